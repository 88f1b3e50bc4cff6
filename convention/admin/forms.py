"""Forms of the Bureau national's administration: validation only."""

from __future__ import annotations

import csv

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.utils import secure_filename
from wtforms import BooleanField, DateField, EmailField, SelectChoice, SelectField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Optional, ValidationError

from convention.contributions.attachments import format_size
from convention.conventions.models import PHASE_LABELS
from convention.domain.memberfile import (
    ALIASES,
    COLUMNS,
    REQUIRED,
    decode_member_file,
    normalise_header,
    sniff_delimiter,
)
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
        _l("Je confirme ce changement de phase : il s'applique immédiatement à toutes les pages de cette convention."),
        validators=[DataRequired(_l("Cochez la case pour confirmer le changement."))],
    )
    submit = SubmitField(_l("Appliquer"))

    def set_choices(self, kinds) -> None:
        self.phase.choices = [
            SelectChoice(FOLLOW_DATES, _l("Suivre les dates (aucun forçage)"))
        ] + [SelectChoice(kind.value, PHASE_LABELS[kind]) for kind in kinds]


class ConventionChoiceForm(FlaskForm):
    """The convention whose phases the administration page shows (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    convention = SelectField(_l("Convention"), choices=[], validate_choice=False)

    def set_choices(self, conventions, featured_ids, archived_ids) -> None:
        def label(convention) -> str:
            if convention.id in featured_ids:
                return _l("%(title)s (en avant sur l'accueil)", title=convention.short_title)
            if convention.id in archived_ids:
                return _l("%(title)s (archive)", title=convention.short_title)
            return convention.short_title

        self.convention.choices = [SelectChoice(c.slug, label(c)) for c in conventions]


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


# The member file: 100,000 members take about 10 MB.
DEFAULT_MEMBER_FILE_MAX_BYTES = 15 * 1024 * 1024
MEMBER_FILE_EXTENSIONS = (".csv", ".txt", ".xlsx")


def member_file_max_bytes() -> int:
    return int(current_app.config.get("MEMBER_FILE_MAX_BYTES", DEFAULT_MEMBER_FILE_MAX_BYTES))


def check_member_file_header(data: bytes) -> str | None:
    """Why ``data`` cannot be the member file (empty, binary, unreadable, no header), or None.

    Only the header is checked here, so that the page answers at once; the lines are
    checked by the import job, which lists every bad line. A workbook is checked by the job.
    """
    from convention.members.files import ZIP_MAGIC, is_xlsx

    if data.startswith(ZIP_MAGIC):
        return None if is_xlsx(data) else "Fichier refusé : ce n'est ni un fichier CSV ni un classeur XLSX."
    text, _encoding, issues = decode_member_file(data)
    if text is None:
        return "Fichier refusé : " + issues[0].message
    header_line = text.split("\n", 1)[0]
    delimiter = sniff_delimiter(header_line)
    if delimiter not in header_line:
        return (
            "Ce fichier n'est pas un fichier CSV : sa première ligne doit nommer les colonnes, "
            f"séparées par « ; » ou « , » ({', '.join(COLUMNS)})."
        )
    names = next(csv.reader([header_line], delimiter=delimiter))
    found = {ALIASES.get(normalise_header(name), "") for name in names}
    missing = [column for column in REQUIRED if column not in found]
    if missing:
        return (
            "La première ligne du fichier ne nomme pas les colonnes attendues : "
            f"il manque {', '.join(missing)} (colonnes attendues : {', '.join(COLUMNS)})."
        )
    return None


class MemberFileForm(FlaskForm):
    """The members file uploaded by the Bureau national; ``upload`` holds (name, bytes) once valid."""

    file = FileField(
        _l("Fichier des adhérents (CSV)"),
        validators=[FileRequired(_l("Choisissez le fichier CSV des adhérents."))],
        render_kw={"accept": ".csv,.xlsx,text/csv"},
    )
    confirm = BooleanField(
        _l(
            "Je confirme l'import : les adhérent·es du fichier seront créé·es ou mis·es à jour "
            "(nom, adresse, section, cotisation)."
        ),
        validators=[DataRequired(_l("Cochez la case pour confirmer l'import."))],
    )
    create_sections = BooleanField(
        _l("Créer les sections absentes du fichier"),
        description=_l(
            "Sans cette case, une section inconnue est signalée avec les noms proches (une "
            "faute de frappe ne crée pas de section)."
        ),
    )
    submit = SubmitField(_l("Importer le fichier"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.upload: tuple[str, bytes] | None = None
        self.file.description = _l(
            "Fichier CSV (UTF-8, ou « CSV (séparateur : point-virgule) » d'Excel, ou texte "
            "Unicode) ou classeur XLSX, de %(size)s au plus.",
            size=format_size(member_file_max_bytes()),
        )

    def validate_file(self, field: FileField) -> None:
        storage = field.data
        if storage is None or not getattr(storage, "filename", None):
            return
        filename = secure_filename(storage.filename) or "adherents.csv"
        if not filename.lower().endswith(MEMBER_FILE_EXTENSIONS):
            raise ValidationError(
                _l(
                    "Fichier refusé : seul un fichier CSV (.csv) ou XLSX (.xlsx) est accepté, pas « %(name)s ».",
                    name=filename,
                )
            )
        max_bytes = member_file_max_bytes()
        data = storage.stream.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise ValidationError(
                _l("Fichier refusé : il dépasse la taille autorisée (%(size)s).", size=format_size(max_bytes))
            )
        problem = check_member_file_header(data)
        if problem:
            raise ValidationError(problem)
        self.upload = (filename, data)
