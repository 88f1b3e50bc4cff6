"""Forms of the new-convention wizard (validation only; the operations check again)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from convention.conventions.models import PHASE_LABELS
from convention.domain.phases import PHASE_ORDER, PhaseKind

_MAX = _l("%(max)d caractères au plus.")


class IdentityForm(FlaskForm):
    title = StringField(
        _l("Titre de la convention"),
        validators=[DataRequired(_l("Le titre est obligatoire.")), Length(max=300, message=_MAX)],
        description=_l("Par exemple « Convention nationale sur la sécurité et la prévention de la délinquance »."),
    )
    short_title = StringField(
        _l("Titre court"),
        validators=[DataRequired(_l("Le titre court est obligatoire.")), Length(max=120, message=_MAX)],
        description=_l("Affiché dans les menus et les listes, par exemple « Sécurité et prévention »."),
    )
    slug = StringField(
        _l("Adresse de la convention"),
        validators=[Optional(), Length(max=80, message=_MAX)],
        description=_l(
            "La fin de l'adresse de ses pages (/c/…) : lettres minuscules sans accent, chiffres et tirets. "
            "Laissez vide pour qu'elle soit tirée du titre."
        ),
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000, message=_MAX)])
    submit = SubmitField(_l("Enregistrer et continuer"))


def _phase_fields():
    fields = {}
    for kind in PHASE_ORDER:
        label = PHASE_LABELS[kind]
        fields[f"{kind.value}_start"] = DateField(
            _l("Début — %(phase)s", phase=_l(label)),
            validators=[DataRequired(_l("Indiquez la date de début (jj/mm/aaaa)."))],
        )
        end_validators = (
            [Optional()] if kind == PhaseKind.ADOPTED_TEXT else [DataRequired(_l("Indiquez la date de fin."))]
        )
        fields[f"{kind.value}_end"] = DateField(
            _l("Fin — %(phase)s", phase=_l(label)),
            validators=end_validators,
            description=_l("Facultative : le texte adopté reste en ligne.") if kind == PhaseKind.ADOPTED_TEXT else "",
        )
    return fields


class PhasesForm(FlaskForm):
    """The seven phases, in order, each with its start and end."""

    submit = SubmitField(_l("Enregistrer et continuer"))

    def start(self, kind: PhaseKind):
        return self[f"{kind.value}_start"]

    def end(self, kind: PhaseKind):
        return self[f"{kind.value}_end"]


for _name, _field in _phase_fields().items():
    setattr(PhasesForm, _name, _field)


class MemberChoiceForm(FlaskForm):
    """A member chosen in the search results (committee or animator)."""

    member_id = HiddenField(validators=[DataRequired()])


class PersonForm(FlaskForm):
    """Someone who is not a member: a free name and their quality."""

    full_name = StringField(
        _l("Nom et prénom"),
        validators=[DataRequired(_l("Le nom est obligatoire.")), Length(max=160, message=_MAX)],
    )
    quality = StringField(
        _l("Qualité"),
        validators=[Optional(), Length(max=300, message=_MAX)],
        description=_l("Par exemple « Maire de Grenoble » ou « Chercheuse au CNRS »."),
    )


class GroupForm(FlaskForm):
    number = IntegerField(
        _l("Numéro"),
        validators=[
            DataRequired(_l("Le numéro est obligatoire.")),
            NumberRange(min=1, max=999, message=_l("Un nombre entier de 1 à 999.")),
        ],
    )
    title = StringField(
        _l("Titre du groupe"),
        validators=[DataRequired(_l("Le titre du groupe est obligatoire.")), Length(max=400, message=_MAX)],
    )
    description = TextAreaField(_l("Description du groupe"), validators=[Optional(), Length(max=5000, message=_MAX)])


class ConfirmForm(FlaskForm):
    """A button whose form carries only its CSRF token (remove, feature)."""


class ConfirmTextForm(FlaskForm):
    """The previewed file, carried signed, to become version 1."""

    upload = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Confirmer : ce fichier devient la version 1"))


class PublishConventionForm(FlaskForm):
    confirm = BooleanField(
        _l(
            "Je confirme : la convention sera visible de tous les adhérent·es et ne pourra plus être "
            "modifiée par cet assistant."
        ),
        validators=[DataRequired(_l("Cochez la case pour confirmer la publication."))],
    )
    submit = SubmitField(_l("Publier la convention"))
