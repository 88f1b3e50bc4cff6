"""Forms of the members' vote: validation only (times are local to Paris; ``local_dt`` converts them)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from convention.domain.ballots import BLANK
from convention.domain.polls import MAJORITY_BASE_LABELS, QUESTION_METHOD_LABELS, MajorityBase, QuestionMethod
from convention.votes.operations import MAX_OPTIONS, MAX_QUESTIONS, QuestionData

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def local_dt(day: dt.date, time: dt.time) -> dt.datetime:
    """A day and a time in Paris, as an aware UTC datetime."""
    return dt.datetime.combine(day, time, tzinfo=PARIS).astimezone(dt.UTC)


def plausible_date(form: FlaskForm, field: DateField) -> None:
    """Refuse years no convention is held in (0001 would overflow the time zone conversion)."""
    if field.data is not None and not 2000 <= field.data.year <= 2100:
        raise ValidationError(_l("Indiquez une date entre 2000 et 2100."))


THRESHOLDS = [
    SelectChoice("1/2", _l("la moitié (1/2)")),
    SelectChoice("3/5", _l("les trois cinquièmes (3/5)")),
    SelectChoice("2/3", _l("les deux tiers (2/3)")),
    SelectChoice("3/4", _l("les trois quarts (3/4)")),
]


class QuestionForm(Form):
    """One question of a poll (a sub-form: the CSRF token is the poll form's)."""

    title = StringField(_l("Intitulé de la question"), validators=[Optional(), Length(max=300)])
    description = TextAreaField(
        _l("Texte soumis (facultatif)"),
        validators=[Optional(), Length(max=20000)],
        description=_l("Par exemple la proposition en débat. Mise en forme Markdown."),
        render_kw={"rows": 3},
    )
    method = SelectField(
        _l("Mode de scrutin"),
        choices=[SelectChoice(m.value, _l(label)) for m, label in QUESTION_METHOD_LABELS.items()],
        default=QuestionMethod.YES_NO_ABSTAIN.value,
    )
    options = TextAreaField(
        _l("Réponses proposées"),
        validators=[Optional(), Length(max=20000)],
        description=_l(
            "Sauf pour « Pour, Contre ou Abstention » : une réponse par ligne ; "
            "pour une rédaction, « Libellé | texte »."
        ),
        render_kw={"rows": 4},
    )
    seats = IntegerField(
        _l("Nombre d'élu·es (approbation)"),
        validators=[Optional(), NumberRange(1, MAX_OPTIONS, _l("Entre 1 et %(max)d.", max=MAX_OPTIONS))],
        description=_l("Facultatif : les réponses les plus approuvées, dans cette limite."),
    )
    status_quo = BooleanField(_l("Ajouter « Aucune de ces rédactions (statu quo) » (classement)"))
    base = SelectField(
        _l("Base de la majorité"),
        choices=[SelectChoice(b.value, _l(label)) for b, label in MAJORITY_BASE_LABELS.items()],
        default=MajorityBase.YES_NO.value,
    )
    strict = SelectField(
        _l("Majorité requise"),
        choices=[SelectChoice("strict", _l("plus de")), SelectChoice("atleast", _l("au moins"))],
        default="strict",
    )
    threshold = SelectField(_l("Seuil"), choices=THRESHOLDS, default="1/2")
    quorum = StringField(
        _l("Quorum (facultatif)"),
        validators=[Optional(), Length(max=16)],
        description=_l("Fraction des inscrit·es qui doivent voter, par exemple 1/4. Vide : pas de quorum."),
    )
    remove = BooleanField(_l("Supprimer cette question"))

    def option_pairs(self) -> list[tuple[str, str]]:
        pairs = []
        for line in (self.options.data or "").splitlines():
            label, _sep, description = line.partition("|")
            if label.strip():
                pairs.append((label.strip(), description.strip()))
        return pairs

    def fill(self, question) -> None:
        """Fill from a stored ``PollQuestion``."""
        self.title.data = question.title
        self.description.data = question.description
        self.method.data = question.method.value
        self.options.data = "\n".join(
            o.label + (f" | {o.description}" if o.description else "")
            for o in question.options
            if not o.is_status_quo and not o.code
        )
        self.seats.data = question.seats
        self.status_quo.data = any(o.is_status_quo for o in question.options)
        self.base.data = (question.base or MajorityBase.YES_NO).value
        self.strict.data = "strict" if question.strict else "atleast"
        self.threshold.data = question.threshold
        self.quorum.data = question.quorum or ""


class PollForm(FlaskForm):
    title = StringField(
        _l("Titre du scrutin"),
        validators=[DataRequired(_l("Indiquez un titre.")), Length(max=300)],
    )
    question = TextAreaField(
        _l("Question posée"),
        validators=[DataRequired(_l("Indiquez la question posée aux adhérent·es.")), Length(max=2000)],
        render_kw={"rows": 3},
    )
    description = TextAreaField(
        _l("Présentation"),
        validators=[Optional(), Length(max=20000)],
        description=_l("Facultatif. Mise en forme Markdown (titres, listes, liens)."),
        render_kw={"rows": 6},
    )
    text_version = SelectField(_l("Version du texte soumise au vote"), coerce=int, choices=[], validate_choice=True)
    opens_on = DateField(
        _l("Jour d'ouverture"), validators=[InputRequired(_l("Indiquez le jour d'ouverture.")), plausible_date]
    )
    opens_time = TimeField(
        _l("Heure d'ouverture (heure de Paris)"), validators=[InputRequired(_l("Indiquez l'heure d'ouverture."))]
    )
    closes_on = DateField(
        _l("Jour de clôture"), validators=[InputRequired(_l("Indiquez le jour de clôture.")), plausible_date]
    )
    closes_time = TimeField(
        _l("Heure de clôture (heure de Paris)"), validators=[InputRequired(_l("Indiquez l'heure de clôture."))]
    )
    roll_cutoff = DateField(
        _l("Date d'arrêt de la liste électorale"),
        validators=[InputRequired(_l("Indiquez la date d'arrêt de la liste électorale.")), plausible_date],
        description=_l(
            "Votent les adhérent·es à jour de cotisation à cette date. La liste est figée à l'ouverture du scrutin."
        ),
    )
    allows_paper = BooleanField(
        _l("Les sections peuvent voter sur papier, en réunion"),
        description=_l(
            "Le ou la secrétaire de section tient la liste d'émargement et saisit le procès-verbal, validé par la "
            "fédération ; un·e adhérent·e émargé·e sur papier ne peut plus voter en ligne."
        ),
    )
    secrecy_threshold = IntegerField(
        _l("Seuil de publication des résultats (bulletins)"),
        validators=[InputRequired(_l("Indiquez un seuil.")), NumberRange(1, 1000, _l("Entre 1 et 1 000."))],
        description=_l(
            "Une section ou une fédération qui compte moins de bulletins, ou dont tous les bulletins sont identiques, "
            "est regroupée avec d'autres dans les résultats publiés, pour protéger le secret du vote."
        ),
    )
    questions = FieldList(FormField(QuestionForm), min_entries=1, max_entries=MAX_QUESTIONS)
    add_question = SubmitField(_l("Ajouter une question"))
    submit = SubmitField(_l("Enregistrer"))

    def set_text_versions(self, versions: list[tuple[int, str]]) -> None:
        choices = [SelectChoice(vid, label) for vid, label in versions]
        self.text_version.choices = [SelectChoice(0, _l("Aucune")), *choices]

    def validate_closes_time(self, field: TimeField) -> None:
        if None in (self.opens_on.data, self.opens_time.data, self.closes_on.data, field.data):
            return
        if self.opens_on.errors or self.closes_on.errors:
            return
        if self.closes_at() <= self.opens_at():
            raise ValidationError(_l("La clôture doit suivre l'ouverture."))

    def opens_at(self) -> dt.datetime:
        return local_dt(self.opens_on.data, self.opens_time.data)

    def closes_at(self) -> dt.datetime:
        return local_dt(self.closes_on.data, self.closes_time.data)

    def question_data(self) -> list[QuestionData]:
        """The questions as the operations take them (those marked « supprimer » left out)."""
        result = []
        for entry in self.questions:
            sub = entry.form
            if sub.remove.data:
                continue
            result.append(
                QuestionData(
                    title=sub.title.data or "",
                    method=QuestionMethod(sub.method.data),
                    description=sub.description.data or "",
                    options=sub.option_pairs(),
                    seats=sub.seats.data or None,
                    base=MajorityBase(sub.base.data),
                    threshold=sub.threshold.data or "1/2",
                    strict=sub.strict.data == "strict",
                    quorum=sub.quorum.data or "",
                    status_quo=bool(sub.status_quo.data),
                )
            )
        return result


class ActionForm(FlaskForm):
    """A Bureau national action on a poll (open, close, count, proclaim…): confirmed by a box."""

    confirm = BooleanField(
        _l("Je confirme cette action"),
        validators=[DataRequired(_l("Cochez la case pour confirmer."))],
    )


class BallotForm(FlaskForm):
    """The ballot's envelope: the CSRF token and ``confirmed`` (set on the confirmation step).

    The answers are read from the request by ``choices_from_form``: one field per question
    (« q<id> ») for yes/no/abstain, single choice and approval (several values), one per option
    (« q<id>-o<option id> ») for majority judgment (the grade's index) and Schulze (the rank).
    """

    confirmed = HiddenField()


def choices_from_form(questions, formdata) -> dict[str, object]:
    """The ballot's answers as ``cast_ballot`` takes them; the operation checks them."""
    choices: dict[str, object] = {}
    for question in questions:
        name = f"q{question.id}"
        if question.method == QuestionMethod.APPROVAL:
            choices[question.key] = formdata.getlist(name)
        elif question.method in (QuestionMethod.MAJORITY_JUDGMENT, QuestionMethod.SCHULZE):
            per_option = {
                str(option.id): formdata.get(f"{name}-o{option.id}", "").strip() for option in question.options
            }
            if question.method == QuestionMethod.MAJORITY_JUDGMENT:
                given = {k: v for k, v in per_option.items() if v != ""}
                choices[question.key] = given if given else BLANK
            else:
                choices[question.key] = per_option
        else:
            value = formdata.get(name)
            if value is not None:
                choices[question.key] = value
    return choices


class ReceiptForm(FlaskForm):
    code = StringField(
        _l("Code de reçu"),
        validators=[DataRequired(_l("Indiquez le code de reçu affiché après votre vote.")), Length(max=64)],
        description=_l("Le code de 20 caractères affiché après votre vote (les tirets sont facultatifs)."),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
