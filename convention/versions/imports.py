"""The job that reads a large file of the text (a long PDF), with its progress page.

The upload page hands a file above ``TEXT_IMPORT_INLINE_MAX_BYTES`` to this job instead of
reading it while the page waits. The job reads it with the same importer, writes nothing but its
own result — the report and the structure read — and links to the preview, where the Bureau
national (or the committee, while the text is drafted) publishes it or cancels, as for a small file.
"""

from __future__ import annotations

import hashlib
from typing import Any

from convention.conventions.models import Convention
from convention.core.db import db
from convention.domain.documents import import_document
from convention.domain.textimport import format_issue, parsed_to_dict
from convention.jobs import operations as job_operations
from convention.jobs.models import Job, JobFileRole, JobKind
from convention.jobs.runner import JobFailed, Progress, handler
from convention.members.models import User
from convention.versions.operations import can_import_text, parsed_issues

MAX_DETAILS = 200  # problems listed on the job's page (the count says how many there are)


@handler(JobKind.TEXT_IMPORT)
def run_text_import(job: Job, progress: Progress) -> dict[str, Any]:
    """Read the file; its structure and report become the job's result (nothing else is written)."""
    import datetime as dt

    from convention.core.links import path_for

    stored = job_operations.file_of(job.id, JobFileRole.INPUT)
    if stored is None:
        raise JobFailed("Le fichier à importer n'est plus disponible : envoyez-le de nouveau.")
    params = job.params or {}
    convention = db.session.get(Convention, params.get("convention_id"))
    actor = db.session.get(User, job.created_by_id) if job.created_by_id else None
    if convention is None or actor is None:
        raise JobFailed("La convention ou le compte qui a lancé l'import n'existe plus.")
    if not (actor.is_enabled and can_import_text(actor, convention, dt.date.today())):
        raise JobFailed("Le compte qui a lancé l'import ne peut plus publier de version du texte : rien n'a été lu.")
    filename, data = stored.filename, stored.data
    progress(5, f"Lecture de « {filename} »…")
    parsed = import_document(filename, data, fmt=params.get("format") or "auto", progress=progress.share(5, 90))
    issues = parsed_issues(parsed)
    if issues:
        details = [format_issue(issue) for issue in issues[:MAX_DETAILS]]
        if len(issues) > MAX_DETAILS:
            details.append(f"… et {len(issues) - MAX_DETAILS} autre(s) problème(s).")
        raise JobFailed(
            f"« {filename} » : {len(issues)} problème(s), rien n'a été publié. Corrigez le fichier puis "
            "envoyez-le de nouveau.",
            details,
        )
    progress(95, "Structure lue : préparation de l'aperçu…")
    return {
        "lines": parsed.report_lines(),
        "document": parsed_to_dict(parsed),
        "checksum": hashlib.sha256(data).hexdigest(),
        "links": [
            {"url": path_for("versions.job_preview", job_id=job.id), "label": "Voir la structure lue, puis publier"}
        ],
    }
