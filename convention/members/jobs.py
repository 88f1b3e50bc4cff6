"""The member file import as a job: the Bureau national uploads the file, a worker imports it."""

from __future__ import annotations

from typing import Any

from convention.core.permissions import PermissionDenied, can_administer
from convention.domain.textimport import format_issue
from convention.jobs import operations as job_operations
from convention.jobs.models import Job, JobFileRole, JobKind
from convention.jobs.runner import JobFailed, Progress, handler
from convention.members.files import is_xlsx, read_member_file
from convention.members.importer import import_members
from convention.members.models import User

MAX_REPORTED = 1000


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def start_member_import(
    actor: Any, filename: str, data: bytes, *, create_sections: bool = False
) -> Job:
    """Queue the import of an uploaded member file (flushes; the caller commits)."""
    if not can_administer(actor):
        raise PermissionDenied("Seul le Bureau national importe le fichier des adhérents.")
    params: dict[str, Any] = {"filename": filename}
    if create_sections:
        params["create_sections"] = True
    return job_operations.start_job(
        actor,
        JobKind.MEMBER_IMPORT,
        params,
        input_file=(filename, XLSX_MIMETYPE if is_xlsx(data) else "text/csv", data),
    )


@handler(JobKind.MEMBER_IMPORT)
def run_member_import(job: Job, progress: Progress) -> dict[str, Any]:
    stored = job_operations.file_of(job.id, JobFileRole.INPUT)
    if stored is None:
        raise JobFailed("Le fichier à importer n'est plus disponible : déposez-le à nouveau.")
    filename = stored.filename
    progress(1, "Lecture du fichier…")
    member_file = read_member_file(stored.data)
    actor = job.created_by_id and job.created_by
    actor = actor if isinstance(actor, User) else None
    report = import_members(
        actor,
        member_file,
        source=filename,
        create_sections=bool((job.params or {}).get("create_sections")),
        progress=progress,
    )
    if report.errors:
        details = [format_issue(issue) for issue in report.errors[:MAX_REPORTED]]
        if len(report.errors) > MAX_REPORTED:
            details.append(f"… et {len(report.errors) - MAX_REPORTED} autre(s).")
        raise JobFailed(
            f"{filename} : {len(report.errors)} problème(s), aucun adhérent n'a été importé. "
            "Corrigez le fichier puis déposez-le à nouveau.",
            details,
        )
    return {
        "lines": report.lines(),
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "sections_created": report.sections_created,
    }
