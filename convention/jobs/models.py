"""Long jobs (member import, text export, tally): a durable row with state and progress.

The page that starts a job redirects to the job's page, which polls its state. The row
outlives the worker that runs it: while a job runs, its worker writes ``heartbeat_dt`` every
few seconds (``JOB_HEARTBEAT_SECONDS``, from a thread, so a long step without progress
still beats). A worker that dies leaves it "running" with an old heartbeat: once silent for
``JOB_STALE_SECONDS`` (``is_silent``), beat's sweep queues it again and another worker takes it
over and runs it from the start, which is why every job handler is idempotent. ``attempts``
is the fencing token: a worker that was only slow finds, at its next report, that the job is
no longer its own and gives up without committing anything.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convention.core.db import Model, UTCDateTime, str_enum, utcnow
from convention.domain.roles import Role


class JobKind(enum.StrEnum):
    MEMBER_IMPORT = "member_import"
    TEXT_PDF = "text_pdf"
    TALLY = "tally"
    TEXT_CONSOLIDATION = "text_consolidation"
    AMENDMENT_BOOK = "amendment_book"  # the cahier des amendements (PDF)
    TEXT_DOCX = "text_docx"  # the consolidated text with tracked changes (Word)
    TEXT_ODT = "text_odt"  # the same for LibreOffice
    AMENDMENT_EXPORT = "amendment_export"  # the amendments as CSV or XLSX
    AMENDMENT_IMPORT = "amendment_import"  # a federation's spreadsheet of amendments
    TEXT_IMPORT = "text_import"  # a draft text from a DOCX, ODT, PDF or plain-text file


JOB_KIND_LABELS = {
    JobKind.MEMBER_IMPORT: "Import du fichier des adhérents",
    JobKind.TEXT_PDF: "Export du texte en PDF",
    JobKind.TALLY: "Dépouillement du scrutin",
    JobKind.TEXT_CONSOLIDATION: "Consolidation du texte",
    JobKind.AMENDMENT_BOOK: "Cahier des amendements (PDF)",
    JobKind.TEXT_DOCX: "Texte consolidé avec suivi des modifications (DOCX)",
    JobKind.TEXT_ODT: "Texte consolidé avec suivi des modifications (ODT)",
    JobKind.AMENDMENT_EXPORT: "Export des amendements (CSV ou XLSX)",
    JobKind.AMENDMENT_IMPORT: "Import d'un tableau d'amendements",
    JobKind.TEXT_IMPORT: "Import d'un texte",
}


# Documents made of public data (the text, the amendments): any member may follow them.
PUBLIC_OUTPUTS = frozenset(
    {JobKind.TEXT_PDF, JobKind.AMENDMENT_BOOK, JobKind.TEXT_DOCX, JobKind.TEXT_ODT, JobKind.AMENDMENT_EXPORT}
)
# The steering committee's work on the text (and the Bureau national's).
COMMITTEE_JOBS = frozenset({JobKind.TEXT_CONSOLIDATION, JobKind.AMENDMENT_IMPORT, JobKind.TEXT_IMPORT})


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


JOB_STATE_LABELS = {
    JobState.QUEUED: "En attente",
    JobState.RUNNING: "En cours",
    JobState.SUCCEEDED: "Terminé",
    JobState.FAILED: "Échec",
}

FINISHED_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED})

DEFAULT_STALE_SECONDS = 30


def stale_seconds() -> float:
    """``JOB_STALE_SECONDS``: how long a job may stay silent before it counts as abandoned."""
    from flask import current_app, has_app_context

    if has_app_context():
        return float(current_app.config.get("JOB_STALE_SECONDS", DEFAULT_STALE_SECONDS))
    return float(DEFAULT_STALE_SECONDS)


class Job(Model):
    __tablename__ = "job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[JobKind] = mapped_column(str_enum(JobKind))
    state: Mapped[JobState] = mapped_column(str_enum(JobState), default=lambda: JobState.QUEUED, index=True)
    # 0–100, and the step being worked on (« Vérification des lignes… »).
    progress: Mapped[int] = mapped_column(default=0)
    step: Mapped[str] = mapped_column(sa.String(300), default="")
    # What the handler needs (ids, a stored file's name): JSON only.
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # What it produced: a summary (``lines``), links, a file to download (``file``).
    result: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # The French message shown when it failed, and the details (one per bad line…).
    error: Mapped[str] = mapped_column(sa.Text, default="")
    error_details: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Written with each progress report: a "running" job whose heartbeat is old lost its worker.
    heartbeat_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)

    created_by = relationship("User")

    @property
    def is_finished(self) -> bool:
        return self.state in FINISHED_STATES

    @property
    def is_silent(self) -> bool:
        """Nobody is working on it: running with no heartbeat for ``JOB_STALE_SECONDS``, or queued that long.

        Such a job may be taken over (``operations.resume_silent_job``): its worker died, or its
        dispatch was lost. A queued job counts from its last heartbeat (a retry) or its creation.
        """
        if self.state == JobState.RUNNING:
            since = self.heartbeat_dt or self.started_dt or self.created_dt
        elif self.state == JobState.QUEUED:
            since = self.heartbeat_dt or self.created_dt
        else:
            return False
        return since is None or since < utcnow() - dt.timedelta(seconds=stale_seconds())

    @property
    def kind_label(self) -> str:
        return JOB_KIND_LABELS[self.kind]

    @property
    def state_label(self) -> str:
        return JOB_STATE_LABELS[self.state]

    def can_view(self, user: Any) -> bool:
        """The Bureau national; any member for a document of public data; the committee for its own work."""
        if not getattr(user, "is_authenticated", False):
            return False
        if self.kind in PUBLIC_OUTPUTS:
            # A document of public data, unless it comes from a draft convention (not public yet).
            # Its author and the Bureau national see it without a look-up (« Mes travaux » lists many).
            if user.is_national_bureau or self.created_by_id == user.id:
                return True
            from convention.core.links import job_convention

            convention = job_convention(self)
            return convention is None or convention.is_published
        if self.kind in COMMITTEE_JOBS:  # the convention's steering committee started it
            convention_id = (self.params or {}).get("convention_id")
            if user.is_national_bureau:
                return True
            return convention_id is not None and user.has_role(Role.COMMITTEE, convention_id=convention_id)
        # The member file and the count are the Bureau national's: one who has left it no
        # longer sees even the jobs they started (the error details quote the file's lines).
        return user.is_national_bureau

    def status(self) -> dict[str, Any]:
        """The JSON the job page polls."""
        return {
            "id": self.id,
            "kind": self.kind.value,
            "state": self.state.value,
            "state_label": self.state_label,
            "progress": self.progress,
            "step": self.step,
            "finished": self.is_finished,
            "error": self.error,
        }

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind.value} {self.state.value} {self.progress}%>"


class JobFileRole(enum.StrEnum):
    INPUT = "input"  # the file the job works on (an uploaded member file)
    OUTPUT = "output"  # the file it produced (a PDF), downloaded from the job's page


class JobFile(Model):
    """A file a job reads or writes, kept in the database so that web and worker machines share it."""

    __tablename__ = "job_file"
    __table_args__ = (sa.UniqueConstraint("job_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("job.id", ondelete="CASCADE"), index=True)
    role: Mapped[JobFileRole] = mapped_column(str_enum(JobFileRole))
    filename: Mapped[str] = mapped_column(sa.String(255))
    mimetype: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column(default=0)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
