"""Forms of the amendments: write (edit, delete, insert), withdraw, review, bulk review, settings."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from convention.amendments.operations import BULK_LABELS, BulkAction
from convention.domain.amendments import OPINION_LABELS, STATUS_LABELS, AmendmentStatus, Opinion

PERSONAL = ""
MAX_TEXT = 20_000


def unit_key(unit) -> str:
    """``section:12`` or ``federation:3`` for a unit chosen in « Au nom de »."""
    return f"{type(unit).__name__.lower()}:{unit.id}"


class AmendmentForm(FlaskForm):
    """The paragraph as the member edits it (or the paragraphs to insert), and the rationale.

    Sent twice: « Voir l'amendement » computes and shows the change; « Déposer
    l'amendement » stores it, only if the text is the one previewed (``preview_key``).
    """

    edited = TextAreaField(
        _l("Le paragraphe modifié"),
        validators=[Length(max=MAX_TEXT, message=_l("Le texte ne doit pas dépasser %(max)d caractères."))],
    )
    rationale = TextAreaField(
        _l("Exposé des motifs"),
        validators=[
            DataRequired(_l("Expliquez pourquoi vous proposez cet amendement.")),
            Length(max=MAX_TEXT, message=_l("L’exposé des motifs ne doit pas dépasser %(max)d caractères.")),
        ],
        description=_l(
            "Pourquoi cet amendement ? Mise en forme Markdown : **gras**, *italique*, listes avec "
            "« - ». Le code HTML n’est pas interprété."
        ),
    )
    on_behalf = SelectField(_l("Au nom de"), choices=[], default=PERSONAL)
    adopted_on = DateField(
        _l("Date de la réunion qui l’a adopté"),
        validators=[Optional()],
        description=_l("Obligatoire pour un amendement déposé au nom d’une section ou d’une fédération."),
    )
    preview_key = HiddenField()
    preview = SubmitField(_l("Voir l’amendement"))
    confirm = SubmitField(_l("Déposer l’amendement"))

    def __init__(self, *args, units=(), edited_label=None, edited_help=None, needs_text=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.needs_text = needs_text
        if edited_label is not None:
            self.edited.label.text = edited_label
        if edited_help is not None:
            self.edited.description = edited_help
        if units:
            self.on_behalf.choices = [SelectChoice(PERSONAL, _l("En mon nom"))] + [
                SelectChoice(unit_key(u), getattr(u, "title", None) or f"Section {u.name}")
                for u in units
            ]
        else:
            del self.on_behalf
            del self.adopted_on

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.needs_text and not (self.edited.data or "").strip() and not self.edited.errors:
            self.edited.errors = [*self.edited.errors, _l("Écrivez le texte de l’amendement.")]
            valid = False
        if "on_behalf" in self._fields and self.on_behalf.data:
            if self.adopted_on.data is None and not self.adopted_on.errors:
                self.adopted_on.errors = [
                    *self.adopted_on.errors,
                    _l("Indiquez la date de la réunion de la section ou de la fédération qui a adopté l’amendement."),
                ]
                valid = False
        return valid

    def validate_adopted_on(self, field: DateField) -> None:
        if field.data is not None and field.data > dt.date.today():
            raise ValidationError(_l("La date d’adoption ne peut pas être dans le futur."))


class ConfirmForm(FlaskForm):
    """A button behind a confirmation checkbox (withdraw, maintain)."""

    reason = TextAreaField(_l("Message (facultatif)"), validators=[Length(max=MAX_TEXT)])
    confirm = BooleanField(
        _l("Je confirme"), validators=[DataRequired(_l("Cochez la case pour confirmer."))]
    )
    submit = SubmitField(_l("Confirmer"))


class ButtonForm(FlaskForm):
    """A bare POST button (co-sign, withdraw a co-signature): the CSRF token only."""


class RectificationAnswerForm(FlaskForm):
    accept = SubmitField(_l("Accepter la rectification"))
    refuse = SubmitField(_l("Refuser la rectification"))


ADMISSIBILITY_CHOICES = [
    SelectChoice("recevable", _l("Recevable")),
    SelectChoice("irrecevable", _l("Irrecevable")),
]
DECISION_CHOICES = [
    SelectChoice(s.value, _l(STATUS_LABELS[s]))
    for s in (AmendmentStatus.ADOPTED, AmendmentStatus.ADOPTED_MODIFIED, AmendmentStatus.REJECTED)
]
OPINION_CHOICES = [SelectChoice(o.value, _l(OPINION_LABELS[o])) for o in Opinion]


def _reason_field(label):
    return TextAreaField(
        label,
        validators=[
            DataRequired(_l("Écrivez la raison : elle est publiée avec l’étape.")),
            Length(max=MAX_TEXT),
        ],
        description=_l("Publiée sur la page de l’amendement et envoyée à son auteur et à ses cosignataires."),
    )


class AdmissibilityForm(FlaskForm):
    admissible = RadioField(
        _l("Recevabilité"), choices=ADMISSIBILITY_CHOICES,
        validators=[InputRequired(_l("Choisissez : recevable ou irrecevable."))],
    )
    reason = _reason_field(_l("Raison"))
    submit = SubmitField(_l("Enregistrer la recevabilité"))


class OpinionForm(FlaskForm):
    opinion = RadioField(
        _l("Avis du comité"), choices=OPINION_CHOICES,
        validators=[InputRequired(_l("Choisissez un avis."))],
    )
    reason = _reason_field(_l("Motif de l’avis"))
    rectification = TextAreaField(
        _l("Rédaction rectifiée proposée"),
        validators=[Length(max=MAX_TEXT)],
        description=_l("Pour un avis favorable sous réserve : la rédaction que l’auteur acceptera ou refusera."),
    )
    submit = SubmitField(_l("Enregistrer l’avis"))


class DecisionForm(FlaskForm):
    status = RadioField(
        _l("Décision"), choices=DECISION_CHOICES,
        validators=[InputRequired(_l("Choisissez une décision."))],
    )
    reason = _reason_field(_l("Motif de la décision"))
    modified_wording = TextAreaField(
        _l("Rédaction retenue"),
        validators=[Length(max=MAX_TEXT)],
        description=_l("Pour une adoption avec modification : les mots (ou l’alinéa) finalement retenus."),
    )
    submit = SubmitField(_l("Enregistrer la décision"))


class ReconsiderForm(FlaskForm):
    """Go back on an adoption before the consolidation (a conflict to settle, a hasty decision)."""

    reason = _reason_field(_l("Pourquoi revenir sur la décision"))
    submit = SubmitField(_l("Revenir sur la décision"))


class BulkForm(FlaskForm):
    """One step with one reason for a selection (or a whole cluster) of the review table."""

    selected = SelectMultipleField(_l("Amendements choisis"), coerce=int, choices=[], validate_choice=False)
    action = SelectField(
        _l("Action"),
        choices=[SelectChoice(a, _l(BULK_LABELS[a])) for a in BulkAction.ALL],  # marked in conventions/i18n
        validators=[InputRequired(_l("Choisissez une action."))],
    )
    reason = _reason_field(_l("Raison (la même pour tous)"))
    submit = SubmitField(_l("Appliquer à la sélection"))

    def validate_selected(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Cochez au moins un amendement."))


class SynthesisForm(AmendmentForm):
    """The committee's synthesis: the paragraph as rewritten, and the amendments it merges."""

    merged = SelectMultipleField(_l("Amendements intégrés"), coerce=int, choices=[], validate_choice=False)

    def validate_merged(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Cochez les amendements que la synthèse intègre."))


class AssignmentForm(FlaskForm):
    """The working group that reviews each chapter, and the co-signature threshold."""

    cosignatures_required = IntegerField(
        _l("Cosignatures requises pour qu’un amendement individuel soit recevable"),
        validators=[
            InputRequired(_l("Indiquez un nombre.")),
            NumberRange(min=0, max=10_000, message=_l("Un nombre entre %(min)d et %(max)d.")),
        ],
        description=_l("Un amendement déposé au nom d’une section ou d’une fédération n’en a pas besoin."),
    )
    submit = SubmitField(_l("Enregistrer"))
