"""The amendments of a text as a CSV (French Excel) or XLSX workbook, made by a job.

One row per amendment (withdrawn ones included), in version then line order. Every cell goes
through ``convention.core.exports``, which neutralises those that start with = + - @.
"""

from __future__ import annotations

import logging
from typing import Any

from convention.amendments.models import Amendment
from convention.core import exports
from convention.core.db import db
from convention.domain.amendments import ADOPTED_STATUSES
from convention.jobs import operations as job_operations
from convention.jobs.models import Job, JobFileRole, JobKind
from convention.jobs.runner import JobFailed, Progress, handler
from convention.outputs import common
from convention.texts.models import Text

logger = logging.getLogger(__name__)

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
HEADER = (
    "Numéro", "Version", "Lignes", "Type", "Citation", "Texte d'origine", "Nouvelle rédaction",
    "Rédaction adoptée", "Exposé des motifs", "Auteur ou unité", "Auteur", "Fédération", "Cosignatures",
    "Statut", "Avis", "Motifs de l'avis", "Décision", "Motifs de la décision", "Déposé le",
    "Réunion de l'unité", "Avis du", "Décidé le",
)  # fmt: skip


def export_filename(slug: str, fmt: str) -> str:
    return f"{slug}-amendements.{fmt}"


def export_params(text: Text, fmt: str) -> dict[str, Any]:
    return {"text_id": text.id, "format": fmt, "fingerprint": common.amendments_fingerprint(text.id)}


def start_amendment_export(actor: Any, text: Text, fmt: str) -> tuple[Job, bool]:
    """The amendments as CSV or XLSX as they stand: the export made already, or a new job (flushes)."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    return common.start_output(actor, JobKind.AMENDMENT_EXPORT, export_params(text, fmt), obj=text)


def row(amendment: Amendment) -> list[Any]:
    """One amendment's cells (dates in the site's time zone)."""
    decided = amendment.decided_dt is not None or amendment.status in ADOPTED_STATUSES
    return [
        amendment.number,
        amendment.version.number if amendment.version is not None else "",
        common.lines_label(amendment),
        amendment.kind_label,
        amendment.citation,
        amendment.original,
        amendment.replacement,
        amendment.modified_replacement,
        amendment.rationale,
        amendment.signed_by,
        amendment.author_name,
        common.federation_of(amendment),
        amendment.cosignature_count,
        amendment.status_label,
        amendment.opinion_label,
        amendment.opinion_reason,
        amendment.status_label if decided else "",
        amendment.decision_reason,
        common.paris(amendment.submitted_dt),
        amendment.adopted_on.strftime("%d/%m/%Y") if amendment.adopted_on else "",
        common.paris(amendment.opinion_dt),
        common.paris(amendment.decided_dt),
    ]


@handler(JobKind.AMENDMENT_EXPORT)
def run_amendment_export(job: Job, progress: Progress) -> dict[str, Any]:
    """Write every amendment of the text as CSV or XLSX and store it as the job's output file."""
    text = db.session.get(Text, job.params.get("text_id"))
    fmt = job.params.get("format")
    if text is None or fmt not in FORMATS:
        raise JobFailed("Ce texte n'existe plus : ses amendements ne peuvent pas être exportés.")
    slug, text_id = text.slug, text.id
    progress(5, "Lecture des amendements…")
    # Every row is read before the next report, which commits and so expires what was loaded.
    rows = [row(amendment) for amendment in common.list_amendments(text_id)]
    progress(70, f"{len(rows)} amendements lus.")
    progress(85, "Écriture du fichier…")
    if fmt == "csv":
        data = exports.csv_bytes(HEADER, rows)
    else:
        data = exports.xlsx_bytes(HEADER, rows, title="Amendements")
    job_operations.attach_file(job, JobFileRole.OUTPUT, export_filename(slug, fmt), FORMATS[fmt], data)
    count = len(rows)
    logger.info("Amendments of %s exported as %s: %s rows", slug, fmt, count)
    return {
        "lines": [
            f"{count} amendement{'s' if count > 1 else ''} exporté{'s' if count > 1 else ''} ({fmt.upper()}).",
            "Le fichier est prêt : téléchargez-le ci-dessous.",
        ],
        "links": [{"url": common.path_for("outputs.index", job), "label": "Revenir aux documents"}],
        "amendments": count,
        "format": fmt,
    }
