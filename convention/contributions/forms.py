"""Forms of the contributions: submit, edit, withdraw, review, decide, link to the text."""

from __future__ import annotations

import datetime as dt

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from convention.contributions import attachments
from convention.contributions.models import STATUS_LABELS
from convention.domain.lifecycle import ContributionStatus

WHOLE_CONVENTION = 0
PERSONAL = ""
MAX_BODY = 60_000

DECISIONS = (
    ContributionStatus.INTEGRATED,
    ContributionStatus.PARTIALLY_INTEGRATED,
    ContributionStatus.NOT_RETAINED,
)


def unit_key(unit) -> str:
    """``section:12`` or ``federation:3`` for a unit chosen in « Au nom de »."""
    return f"{type(unit).__name__.lower()}:{unit.id}"


class ContributionForm(FlaskForm):
    title = StringField(
        _l("Titre"),
        validators=[
            DataRequired(_l("Donnez un titre à votre contribution.")),
            Length(max=400, message=_l("Le titre ne doit pas dépasser %(max)d caractères.")),
        ],
    )
    working_group = SelectField(
        _l("Destinataire"),
        coerce=int,
        choices=[],
        description=_l("Un groupe de travail, ou la convention dans son ensemble."),
    )
    body = TextAreaField(
        _l("Texte de la contribution"),
        validators=[
            DataRequired(_l("Écrivez le texte de votre contribution.")),
            Length(max=MAX_BODY, message=_l("Le texte ne doit pas dépasser %(max)d caractères.")),
        ],
        description=_l(
            "Mise en forme Markdown : **gras**, *italique*, listes avec « - », liens "
            "[texte](https://…). Le code HTML n’est pas interprété."
        ),
    )
    on_behalf = SelectField(_l("Au nom de"), choices=[], default=PERSONAL)
    adopted_on = DateField(
        _l("Date de la réunion qui l’a adoptée"),
        validators=[Optional()],
        description=_l(
            "Obligatoire pour une contribution déposée au nom d’une section ou d’une fédération."
        ),
    )
    attachment = FileField(
        _l("Pièce jointe (facultative)"),
        render_kw={
            "accept": ".pdf,.odt,.docx,application/pdf,"
            "application/vnd.oasis.opendocument.text,"
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        },
    )
    remove_attachment = BooleanField(_l("Supprimer la pièce jointe actuelle"))

    def __init__(
        self,
        *args,
        groups=(),
        units=(),
        editing=False,
        has_attachment=False,
        unit_contribution=False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.editing_unit_contribution = editing and unit_contribution
        self.upload: attachments.Upload | None = None
        self.working_group.choices = [
            SelectChoice(WHOLE_CONVENTION, _l("La convention dans son ensemble"))
        ] + [SelectChoice(g.id, f"Groupe {g.number} — {g.title}") for g in groups]
        max_bytes = current_app.config["CONTRIBUTION_MAX_ATTACHMENT_BYTES"]
        self.attachment.description = _l(
            "Un document PDF, ODT ou DOCX de %(size)s au plus.",
            size=attachments.format_size(max_bytes),
        )
        if units and not editing:
            self.on_behalf.choices = [SelectChoice(PERSONAL, _l("En mon nom"))] + [
                SelectChoice(unit_key(u), getattr(u, "title", None) or f"Section {u.name}")
                for u in units
            ]
        else:
            del self.on_behalf
        if not (units and not editing) and not self.editing_unit_contribution:
            del self.adopted_on  # only a unit's contribution has an adoption meeting
        if not (editing and has_attachment):
            del self.remove_attachment

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Checked here: Optional() on the date stops the inline validators when it is empty.
        speaks_for_unit = self.editing_unit_contribution or (
            "on_behalf" in self._fields and self.on_behalf.data
        )
        if speaks_for_unit and self.adopted_on.data is None and not self.adopted_on.errors:
            self.adopted_on.errors = [
                *self.adopted_on.errors,
                _l(
                    "Indiquez la date de la réunion de la section ou de la fédération qui a "
                    "adopté la contribution."
                ),
            ]
            valid = False
        return valid

    def validate_adopted_on(self, field: DateField) -> None:
        if field.data is not None and field.data > dt.date.today():
            raise ValidationError(_l("La date d’adoption ne peut pas être dans le futur."))

    def validate_attachment(self, field: FileField) -> None:
        storage = field.data
        if storage is None or not getattr(storage, "filename", None):
            return
        max_bytes = current_app.config["CONTRIBUTION_MAX_ATTACHMENT_BYTES"]
        data = storage.stream.read(max_bytes + 1)
        try:
            attachments.check(data, max_bytes)
        except attachments.AttachmentRejected as error:
            raise ValidationError(str(error)) from None
        self.upload = attachments.Upload(storage.filename, data)


class WithdrawForm(FlaskForm):
    confirm = BooleanField(
        _l("Je confirme le retrait de cette contribution : elle ne sera plus examinée."),
        validators=[DataRequired(_l("Cochez la case pour confirmer le retrait."))],
    )
    submit = SubmitField(_l("Retirer la contribution"))


class ReviewForm(FlaskForm):
    submit = SubmitField(_l("Commencer l’examen"))


class DecisionForm(FlaskForm):
    status = RadioField(
        _l("Décision"),
        choices=[SelectChoice(s.value, STATUS_LABELS[s]) for s in DECISIONS],
        validators=[InputRequired(_l("Choisissez une décision."))],
    )
    answer = TextAreaField(
        _l("Réponse à l’auteur"),
        validators=[
            DataRequired(_l("Rédigez la réponse : elle est publiée avec la décision.")),
            Length(max=20_000),
        ],
        description=_l("Publiée sur la page de la contribution et envoyée à son auteur."),
    )
    submit = SubmitField(_l("Enregistrer la décision"))


class SourceLinksForm(FlaskForm):
    """The blocks of one chapter that a contribution or a hearing shaped."""

    blocks = SelectMultipleField(_l("Passages du chapitre"), coerce=int, choices=[])
    note = StringField(
        _l("Note (facultative)"),
        validators=[Length(max=300)],
        description=_l("Par exemple : « reprend la proposition sur les maisons de la justice »."),
    )
    submit = SubmitField(_l("Enregistrer les liens"))
