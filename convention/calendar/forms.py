"""Calendar forms: validation only (times are local to Paris; the view converts them)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from convention.calendar.models import EVENT_KIND_LABELS, PARIS, EventKind
from convention.calendar.operations import (
    MESSAGE_BODY_MAX,
    MESSAGE_SUBJECT_MAX,
    MessageAudience,
    PersonData,
)

MAX_PEOPLE = 30


def parse_people(text: str | None, *, with_details: bool) -> list[PersonData]:
    """One person per line; experts as « Nom ; titre ; organisation » (the last two optional)."""
    people: list[PersonData] = []
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        if with_details:
            name, _, rest = line.partition(";")
            titles, _, organisation = rest.partition(";")
            people.append(PersonData(name.strip(), titles.strip(), organisation.strip()))
        else:
            people.append(PersonData(line))
    return people


def format_people(people, *, with_details: bool) -> str:
    """The inverse of ``parse_people`` for the edit form."""
    lines = []
    for person in people:
        if with_details:
            titles = " · ".join(t.strip() for t in (person.titles or "").splitlines() if t.strip())
            fields = [person.full_name, titles, person.organisation or ""]
            while fields and not fields[-1]:
                fields.pop()
            lines.append(" ; ".join(fields))
        else:
            lines.append(person.full_name)
    return "\n".join(lines)


class EventForm(FlaskForm):
    kind = SelectField(
        _l("Type de rendez-vous"),
        choices=[SelectChoice(kind.value, label) for kind, label in EVENT_KIND_LABELS.items()],
        validators=[DataRequired(_l("Choisissez le type de rendez-vous."))],
    )
    title = StringField(
        _l("Titre"),
        validators=[
            DataRequired(_l("Indiquez un titre.")),
            Length(max=400, message=_l("Le titre ne doit pas dépasser %(max)d caractères.", max=400)),
        ],
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=20000)],
        render_kw={"rows": 5},
    )
    day = DateField(
        _l("Date"),
        validators=[DataRequired(_l("Indiquez la date (jj/mm/aaaa)."))],
        description=_l("Heure de Paris."),
    )
    is_all_day = BooleanField(_l("Toute la journée (sans horaire)"))
    start_time = TimeField(_l("Heure de début"), validators=[Optional()])
    end_time = TimeField(_l("Heure de fin"), validators=[Optional()])
    place = StringField(
        _l("Adresse (sur place)"),
        validators=[Optional(), Length(max=300)],
        description=_l("Laissez vide pour un rendez-vous uniquement à distance."),
    )
    online_url = StringField(
        _l("Lien de visioconférence (à distance)"),
        validators=[Optional(), Length(max=500)],
        description=_l("Adresse commençant par https://"),
    )
    working_groups = SelectMultipleField(_l("Groupes de travail"), coerce=int, validate_choice=True)
    federation = SelectField(_l("Fédération"), coerce=int, default=0)
    capacity = IntegerField(
        _l("Nombre de places"),
        validators=[
            Optional(),
            NumberRange(min=1, max=100000, message=_l("Indiquez un nombre de places d'au moins 1.")),
        ],
        description=_l("Laissez vide si le nombre de places n'est pas limité."),
    )
    hosts = TextAreaField(
        _l("Intervenant·es (animation)"),
        validators=[Optional(), Length(max=5000)],
        description=_l("Une personne par ligne."),
        render_kw={"rows": 3},
    )
    experts = TextAreaField(
        _l("Personnes auditionnées"),
        validators=[Length(max=10000)],
        description=_l("Une personne par ligne : « Nom ; titre ou fonction ; organisation »."),
        render_kw={"rows": 4},
    )
    submit = SubmitField(_l("Enregistrer"))

    def __init__(
        self,
        *args,
        require_group: bool = False,
        secretary_federation_ids: set[int] | frozenset[int] = frozenset(),
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.require_group = require_group
        # A federation's first secretary may schedule, without a group, a federation meeting
        # of their federation.
        self.secretary_federation_ids = set(secretary_federation_ids)

    def restrict_to_federation_meetings(self, federations: list[tuple[int, str]]) -> None:
        """For a first secretary who animates no group: only federation meetings, only theirs."""
        self.kind.choices = [
            SelectChoice(EventKind.FEDERATION_MEETING.value, EVENT_KIND_LABELS[EventKind.FEDERATION_MEETING])
        ]
        self.kind.invalid_choice_message = _l("Vous pouvez programmer des rencontres fédérales uniquement.")
        self.federation.choices = [SelectChoice(fid, title) for fid, title in federations]
        self.federation.invalid_choice_message = _l(
            "Vous ne pouvez programmer une rencontre fédérale que pour votre fédération."
        )
        self.working_groups.choices = []

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Optional() stops the field's own chain when empty: the cross-field rule lives here.
        if not self.is_all_day.data and self.start_time.data is None and not self.start_time.errors:
            self.start_time.errors = [
                *self.start_time.errors,
                _l("Indiquez l'heure de début, ou cochez « Toute la journée »."),
            ]
            valid = False
        return valid

    def validate_end_time(self, field):
        if self.is_all_day.data or field.data is None or self.start_time.data is None:
            return
        if field.data <= self.start_time.data:
            raise ValidationError(_l("L'heure de fin doit être après l'heure de début."))

    def validate_online_url(self, field):
        value = (field.data or "").strip()
        if not value:
            return
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
            raise ValidationError(_l("Indiquez une adresse web complète, commençant par https://"))

    def validate_working_groups(self, field):
        if not self.require_group or field.data:
            return
        if (
            self.kind.data == EventKind.FEDERATION_MEETING.value
            and self.federation.data in self.secretary_federation_ids
        ):
            return  # a federation meeting of the secretary's own federation needs no group
        if self.secretary_federation_ids:
            raise ValidationError(
                _l(
                    "Choisissez au moins un groupe de travail que vous animez, ou programmez une "
                    "rencontre fédérale de votre fédération."
                )
            )
        raise ValidationError(_l("Choisissez au moins un groupe de travail que vous animez."))

    def validate_hosts(self, field):
        people = parse_people(field.data, with_details=False)
        if len(people) > MAX_PEOPLE:
            raise ValidationError(_l("Trop de personnes (%(max)d au plus).", max=MAX_PEOPLE))
        if any(len(p.full_name) > 160 for p in people):
            raise ValidationError(_l("Un nom ne doit pas dépasser 160 caractères."))

    def validate_experts(self, field):
        people = parse_people(field.data, with_details=True)
        if self.kind.data == EventKind.HEARING.value and not people:
            raise ValidationError(_l("Une audition doit nommer au moins une personne auditionnée."))
        if len(people) > MAX_PEOPLE:
            raise ValidationError(_l("Trop de personnes (%(max)d au plus).", max=MAX_PEOPLE))
        if any(not p.full_name for p in people):
            raise ValidationError(_l("Chaque ligne doit commencer par le nom de la personne."))
        if any(len(p.full_name) > 160 or len(p.organisation) > 300 for p in people):
            raise ValidationError(_l("Un nom ou une organisation est trop long."))

    def local_span(self) -> tuple[dt.datetime, dt.datetime | None]:
        """Start and end as aware UTC datetimes (all-day: local midnight, no end)."""
        day: dt.date = self.day.data
        if self.is_all_day.data:
            start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=PARIS)
            return start.astimezone(dt.UTC), None
        start = dt.datetime.combine(day, self.start_time.data, tzinfo=PARIS)
        end = dt.datetime.combine(day, self.end_time.data, tzinfo=PARIS) if self.end_time.data is not None else None
        return start.astimezone(dt.UTC), end.astimezone(dt.UTC) if end else None


class MinutesForm(FlaskForm):
    minutes = TextAreaField(
        _l("Compte rendu"),
        validators=[Length(max=100000)],
        description=_l("Mise en forme Markdown : **gras**, *italique*, listes, liens."),
        render_kw={"rows": 12},
    )
    hearing_summary = TextAreaField(
        _l("Synthèse des propos de la personne auditionnée"),
        validators=[Optional(), Length(max=100000)],
        description=_l("Pour une audition : ce qu'a dit l'expert·e (Markdown)."),
        render_kw={"rows": 10},
    )
    submit = SubmitField(_l("Publier le compte rendu"))

    def validate_minutes(self, field):
        summary = getattr(self, "hearing_summary", None)  # removed for an event that is no hearing
        if not (field.data or "").strip() and not ((summary.data if summary else "") or "").strip():
            raise ValidationError(_l("Rédigez le compte rendu avant de le publier."))


class ConfirmForm(FlaskForm):
    """An empty form: the CSRF token of the register / cancel / feed buttons."""


class MessageForm(FlaskForm):
    """An organiser's message to the registrants of an event (shown again before it is sent)."""

    audience = RadioField(
        _l("Destinataires"),
        choices=[
            SelectChoice(MessageAudience.ALL.value, _l("Tous : inscrit·es et liste d'attente")),
            SelectChoice(MessageAudience.REGISTERED.value, _l("Les inscrit·es seulement (places confirmées)")),
            SelectChoice(MessageAudience.WAITING.value, _l("La liste d'attente seulement")),
        ],
        default=MessageAudience.ALL.value,
        validators=[DataRequired(_l("Choisissez les destinataires."))],
    )
    subject = StringField(
        _l("Objet"),
        validators=[
            DataRequired(_l("Indiquez l'objet du message.")),
            Length(
                max=MESSAGE_SUBJECT_MAX,
                message=_l("L'objet ne doit pas dépasser %(max)d caractères.", max=MESSAGE_SUBJECT_MAX),
            ),
        ],
        description=_l("Il est précédé du titre et de la date du rendez-vous."),
    )
    body = TextAreaField(
        _l("Message"),
        validators=[
            DataRequired(_l("Écrivez le message.")),
            Length(
                max=MESSAGE_BODY_MAX,
                message=_l("Le message ne doit pas dépasser %(max)d caractères.", max=MESSAGE_BODY_MAX),
            ),
        ],
        description=_l(
            "Texte simple, %(max)d caractères au plus. Votre nom est ajouté à la fin.",
            max=MESSAGE_BODY_MAX,
        ),
        render_kw={"rows": 8},
    )
