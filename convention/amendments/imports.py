"""Amendments sent by federations in a spreadsheet: upload, validation, import job.

The steering committee uploads the file on « Examen des amendements » → « Importer un tableau
d'amendements »; the page checks its type, size and header at once, then a job checks every
row against the text and the units and files the amendments (all or nothing), with its
progress page. The reading and the filing are in :mod:`convention.amendments.spreadsheet`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.utils import secure_filename
from wtforms import BooleanField, SubmitField
from wtforms.validators import DataRequired, ValidationError

from convention.amendments import spreadsheet
from convention.amendments.models import amendments_open
from convention.contributions.attachments import format_size
from convention.conventions.models import Convention
from convention.conventions.web import with_convention
from convention.core.permissions import ensure, require
from convention.domain.amendment_rows import COLUMN_LABELS, HEADER_EXAMPLE, check_header, csv_records
from convention.domain.errors import DomainError
from convention.domain.phases import PhaseKind
from convention.extensions import db
from convention.jobs import operations as job_operations
from convention.jobs import queries as job_queries
from convention.jobs.models import Job, JobFileRole, JobKind, JobState
from convention.jobs.runner import JobFailed, Progress, handler
from convention.members.files import ZIP_MAGIC, is_xlsx
from convention.members.models import User

bp = Blueprint("amendment_imports", __name__, url_prefix="/amendements/import")

ACTIVE_STATES = frozenset({JobState.QUEUED, JobState.RUNNING})


def max_bytes() -> int:
    return int(current_app.config.get("AMENDMENT_FILE_MAX_BYTES", spreadsheet.DEFAULT_MAX_BYTES))


def _today() -> dt.date:
    return dt.date.today()


def check_file_header(data: bytes) -> str | None:
    """Why ``data`` cannot be a spreadsheet of amendments (read at once: type and header), or None."""
    if data.startswith(ZIP_MAGIC):
        return None if is_xlsx(data) else "Fichier refusé : ce n'est ni un fichier CSV ni un classeur XLSX."
    records, _encoding, issues = csv_records(data)
    if records is None:
        return "Fichier refusé : " + issues[0].message
    try:
        _line, header = next(records)
    except StopIteration:
        return "Fichier refusé : le fichier est vide."
    except ValueError as error:
        return f"Fichier refusé : {error}"
    _columns, problems = check_header(header)
    if problems:
        return "La première ligne du fichier doit nommer les colonnes : " + " ".join(problems)
    return None


class AmendmentFileForm(FlaskForm):
    """The spreadsheet uploaded by the committee; ``upload`` holds (name, bytes) once valid."""

    file = FileField(
        "Tableau des amendements (CSV ou XLSX)",
        validators=[FileRequired("Choisissez le fichier des amendements.")],
        render_kw={"accept": ".csv,.xlsx,text/csv"},
    )
    confirm = BooleanField(
        "Je confirme le dépôt : les amendements du tableau seront déposés au nom de leur section ou "
        "fédération, par moi.",
        validators=[DataRequired("Cochez la case pour confirmer l'import.")],
    )
    submit = SubmitField("Importer le tableau")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.upload: tuple[str, bytes] | None = None
        self.file.description = (
            "Fichier CSV (UTF-8, « CSV (séparateur : point-virgule) » d'Excel ou texte Unicode) ou classeur "
            f"XLSX, de {format_size(max_bytes())} au plus."
        )

    def validate_file(self, field: FileField) -> None:
        storage = field.data
        if storage is None or not getattr(storage, "filename", None):
            return
        filename = secure_filename(storage.filename) or "amendements.csv"
        if not filename.lower().endswith(spreadsheet.EXTENSIONS):
            raise ValidationError(
                f"Fichier refusé : seul un fichier CSV (.csv) ou XLSX (.xlsx) est accepté, pas « {filename} »."
            )
        limit = max_bytes()
        data = storage.stream.read(limit + 1)
        if len(data) > limit:
            raise ValidationError(f"Fichier refusé : il dépasse la taille autorisée ({format_size(limit)}).")
        problem = check_file_header(data)
        if problem:
            raise ValidationError(problem)
        self.upload = (filename, data)


# --- the job ------------------------------------------------------------------------------------


def running_import(convention: Convention) -> Job | None:
    """The convention's import waiting or running, if any (one at a time)."""
    return job_queries.find_by_param(JobKind.AMENDMENT_IMPORT, "convention_id", convention.id, ACTIVE_STATES)


def start_amendment_import(actor: Any, convention: Convention, filename: str, data: bytes, *, today: dt.date) -> Job:
    """Queue the import of an uploaded spreadsheet (flushes; the caller commits)."""
    ensure(convention.is_steering(actor), "Seul le comité de pilotage importe un tableau d'amendements.")
    if not amendments_open(convention, today):
        raise DomainError("Le dépôt des amendements n'est pas ouvert : le tableau ne peut pas être importé.")
    if running_import(convention) is not None:
        raise DomainError("Un import de tableau d'amendements est déjà en cours : attendez qu'il se termine.")
    return job_operations.start_job(
        actor,
        JobKind.AMENDMENT_IMPORT,
        {"convention_id": convention.id, "filename": filename},
        obj=convention,
        input_file=(filename, spreadsheet.XLSX_MIMETYPE if is_xlsx(data) else "text/csv", data),
    )


@handler(JobKind.AMENDMENT_IMPORT)
def run_amendment_import(job: Job, progress: Progress) -> dict[str, Any]:
    """Check the whole file, then file every amendment in one unit of work (committed by the runner)."""
    stored = job_operations.file_of(job.id, JobFileRole.INPUT)
    if stored is None:
        raise JobFailed("Le fichier à importer n'est plus disponible : déposez-le à nouveau.")
    filename = stored.filename
    data = stored.data
    convention = db.session.get(Convention, (job.params or {}).get("convention_id"))
    actor = db.session.get(User, job.created_by_id) if job.created_by_id else None
    if convention is None or actor is None:
        raise JobFailed("La convention ou le compte qui a lancé l'import n'existe plus.")
    if not (actor.is_enabled and convention.is_steering(actor)):
        raise JobFailed("Le compte qui a lancé l'import n'est plus membre du comité de pilotage : rien n'a été déposé.")
    try:
        report = spreadsheet.import_amendments(
            actor, convention, data, today=_today(), source=filename, progress=progress
        )
    except DomainError as error:
        raise JobFailed(f"{filename} : {error} Rien n'a été déposé.") from None
    if report.errors:
        raise JobFailed(
            f"{filename} : {len(report.errors)} problème(s), aucun amendement n'a été déposé. "
            "Corrigez le tableau puis déposez-le à nouveau.",
            report.error_details(),
        )
    from convention.core.links import path_for

    return {
        "lines": report.lines(),
        "filed": len(report.filed),
        "numbers": report.filed,
        "already": [number for _row, number in report.already],
        # The link goes to this convention's amendments (``/c/<slug>/…`` unless it is the featured one).
        "links": [
            {
                "url": path_for("amendments.index", unites="1", _convention=convention),
                "label": "Voir les amendements des unités",
            }
        ],
    }


# --- the page -----------------------------------------------------------------------------------

COLUMN_HELP = (
    ("unite", "« Fédération / Section » (« Isère / Grenoble ») pour une section, ou la fédération seule "
              "(son numéro « 38 », son nom « Isère » ou son titre). Ou bien deux colonnes « Fédération » et "
              "« Section ».", True),
    ("ligne", "le numéro de la ligne du texte en vigueur où figurent les mots (« 12 », ou « 12-14 » pour des "
              "mots sur plusieurs lignes) ; pour un alinéa entier, l'une de ses lignes.", True),
    ("alinea", "l'identifiant de l'alinéa (« II-5-12 »), au lieu de la ligne ou en plus d'elle.", False),
    ("type", "modifier (ou remplacer), supprimer ou insérer.", True),
    ("mots_vises", "les mots à remplacer ou à supprimer, ou ceux après lesquels insérer, tels qu'ils figurent à "
                   "cette ligne ; vide pour supprimer tout l'alinéa ou insérer un nouvel alinéa après lui.", True),
    ("nouveaux_mots", "les mots qui remplacent, ou le texte à insérer (plusieurs alinéas séparés par une ligne "
                      "vide) ; vide pour une suppression.", True),
    ("expose_des_motifs", "l'exposé des motifs (obligatoire).", True),
    ("date_reunion", "la date de la réunion qui a adopté l'amendement : JJ/MM/AAAA ou AAAA-MM-JJ, pas dans le "
                     "futur.", True),
)  # fmt: skip


@bp.route("/", methods=["GET", "POST"])
@login_required
@with_convention
def upload(convention: Convention):
    """The committee uploads a spreadsheet; checked at once (type, size, header), then imported by a job."""
    require(convention.is_steering(current_user))
    today = _today()
    is_open = amendments_open(convention, today)
    form = AmendmentFileForm()
    status = 200
    if form.validate_on_submit() and form.upload is not None:
        filename, data = form.upload
        try:
            job = start_amendment_import(current_user, convention, filename, data, today=today)
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "danger")
            status = 409
        else:
            db.session.commit()
            flash(f"Tableau « {filename} » reçu : l'import est lancé.", "info")
            return redirect(url_for("jobs.show", job_id=job.id))
    elif form.errors:
        status = 400
    recent = [
        job
        for job in job_queries.list_recent(JobKind.AMENDMENT_IMPORT, 10)
        if (job.params or {}).get("convention_id") == convention.id
    ]
    return render_template(
        "amendments/import.html",
        form=form,
        is_open=is_open,
        phase=convention.phase(PhaseKind.AMENDMENTS),
        columns=[(COLUMN_LABELS[c], help_text, required) for c, help_text, required in COLUMN_HELP],
        header_example=HEADER_EXAMPLE,
        recent_imports=recent[:5],
    ), status
