"""Forms of the members' vote: validation only (times are local to Paris; ``local_dt`` converts them)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def local_dt(day: dt.date, time: dt.time) -> dt.datetime:
    """A day and a time in Paris, as an aware UTC datetime."""
    return dt.datetime.combine(day, time, tzinfo=PARIS).astimezone(dt.UTC)


def plausible_date(form: FlaskForm, field: DateField) -> None:
    """Refuse years no convention is held in (0001 would overflow the time zone conversion)."""
    if field.data is not None and not 2000 <= field.data.year <= 2100:
        raise ValidationError(_l("Indiquez une date entre 2000 et 2100."))


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
    options = TextAreaField(
        _l("Choix proposés"),
        validators=[DataRequired(_l("Indiquez au moins deux choix."))],
        description=_l("Un choix par ligne, dans l'ordre d'affichage (par exemple « Pour » puis « Contre »)."),
        render_kw={"rows": 4},
    )
    blank_label = StringField(
        _l("Libellé du vote blanc"),
        validators=[Optional(), Length(max=200)],
        description=_l(
            "Par exemple « Abstention ». Compté à part des suffrages exprimés. Laissez vide pour ne pas le proposer."
        ),
    )
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

    def option_labels(self) -> list[str]:
        return [line.strip() for line in (self.options.data or "").splitlines() if line.strip()]


class ActionForm(FlaskForm):
    """A Bureau national action on a poll (open, close, count, proclaim…): confirmed by a box."""

    confirm = BooleanField(
        _l("Je confirme cette action"),
        validators=[DataRequired(_l("Cochez la case pour confirmer."))],
    )


class BallotForm(FlaskForm):
    """The ballot: one option; ``confirmed`` is set on the confirmation step."""

    option = RadioField(
        _l("Votre choix"),
        coerce=int,
        choices=[],
        validate_choice=True,
        validators=[InputRequired(_l("Choisissez une réponse."))],
    )
    confirmed = HiddenField()

    def set_options(self, options) -> None:
        self.option.choices = [SelectChoice(o.id, o.label) for o in options]


class ReceiptForm(FlaskForm):
    code = StringField(
        _l("Code de reçu"),
        validators=[DataRequired(_l("Indiquez le code de reçu affiché après votre vote.")), Length(max=64)],
        description=_l("Le code de 20 caractères affiché après votre vote (les tirets sont facultatifs)."),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
