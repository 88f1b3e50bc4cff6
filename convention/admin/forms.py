"""Forms of the Bureau national's administration: validation only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, SelectChoice, SelectField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Optional, ValidationError

from convention.conventions.models import PHASE_LABELS
from convention.domain.roles import Role
from convention.members.models import ROLE_LABELS

FOLLOW_DATES = ""


class PhaseDatesForm(FlaskForm):
    starts_on = DateField(
        _l("Date de début"),
        validators=[InputRequired(_l("Indiquez la date de début (jj/mm/aaaa)."))],
    )
    ends_on = DateField(
        _l("Date de fin"),
        validators=[Optional()],
        description=_l("Laissez vide pour une phase sans fin (le texte adopté reste en vigueur)."),
    )
    submit = SubmitField(_l("Enregistrer les dates"))

    def validate_ends_on(self, field: DateField) -> None:
        if field.data is not None and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("La date de fin ne peut pas précéder la date de début."))


class PhaseOverrideForm(FlaskForm):
    phase = SelectField(
        _l("Phase en cours"),
        choices=[],
        validate_choice=True,
        description=_l(
            "Par défaut, la phase en cours découle des dates. Le Bureau national peut en imposer "
            "une, par exemple pour prolonger les amendements d'une journée."
        ),
    )
    confirm = BooleanField(
        _l("Je confirme ce changement de phase : il s'applique immédiatement à tout le site."),
        validators=[DataRequired(_l("Cochez la case pour confirmer le changement."))],
    )
    submit = SubmitField(_l("Appliquer"))

    def set_choices(self, kinds) -> None:
        self.phase.choices = [
            SelectChoice(FOLLOW_DATES, _l("Suivre les dates (aucun forçage)"))
        ] + [SelectChoice(kind.value, PHASE_LABELS[kind]) for kind in kinds]


class AssignRoleForm(FlaskForm):
    email = EmailField(
        _l("Adresse électronique du compte"),
        validators=[DataRequired(_l("Indiquez l'adresse électronique du compte."))],
    )
    role = SelectField(
        _l("Rôle"),
        choices=[SelectChoice(role.value, ROLE_LABELS[role]) for role in Role],
        validators=[DataRequired(_l("Choisissez un rôle."))],
    )
    working_group_id = SelectField(
        _l("Groupe de travail (pour un·e pilote)"), choices=[], coerce=str, validate_choice=True
    )
    section_id = SelectField(
        _l("Section (pour un·e secrétaire de section)"), choices=[], coerce=str,
        validate_choice=True,
    )  # fmt: skip
    federation_id = SelectField(
        _l("Fédération (pour un·e premier·e secrétaire fédéral·e)"), choices=[], coerce=str,
        validate_choice=True,
    )  # fmt: skip
    submit = SubmitField(_l("Attribuer le rôle"))


class RevokeRoleForm(FlaskForm):
    """An empty form: only its CSRF token matters."""

    submit = SubmitField(_l("Retirer"))
