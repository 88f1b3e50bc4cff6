"""Running a job: the handler registry, progress reports, and the outcome.

A handler is ``fn(job, progress) -> dict`` registered with ``@handler(JobKind.X)``. It
must be idempotent (a job whose worker died is run again from the start) and may
commit its own units of work; ``progress(percent, step)`` commits the current one, so
call it only where what was done so far may stand on its own. It raises
``JobFailed`` with a French message for an expected failure (a bad file); any other
exception fails the job with a generic message and is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError

from convention.core.db import db
from convention.jobs import operations
from convention.jobs.models import Job, JobKind

logger = logging.getLogger(__name__)

# The database went away (restart, failover): the task is retried later rather than the job failed.
TRANSIENT_ERRORS = (OperationalError,)

Handler = Callable[[Job, "Progress"], dict[str, Any]]
_HANDLERS: dict[JobKind, Handler] = {}

UNEXPECTED_ERROR = (
    "Une erreur inattendue a interrompu ce travail. Rien n'a été perdu de ce qui était déjà enregistré ; "
    "vous pouvez le relancer. L'équipe technique a été prévenue."
)


class JobFailed(Exception):
    """An expected failure, shown to the user as is (with one detail per bad line, say)."""

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = list(details or [])


def handler(kind: JobKind) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _HANDLERS[kind] = fn
        return fn

    return register


def handler_for(kind: JobKind) -> Handler:
    _load_handlers()
    return _HANDLERS[kind]


def _load_handlers() -> None:
    """Import the modules that register handlers (kept here so the registry is always complete)."""
    import convention.jobs.handlers  # noqa: F401


class Progress:
    """``progress(percent, step)``: record how far the job is, and commit."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.percent = 0

    def __call__(self, percent: float, step: str | None = None) -> None:
        self.percent = max(self.percent, int(percent))
        operations.report(self.job_id, self.percent, step)
        db.session.commit()

    def share(self, start: float, end: float) -> Callable[[float, str | None], None]:
        """A reporter for a sub-task that fills ``start``..``end`` of the bar with its own 0–100."""

        def sub(percent: float, step: str | None = None) -> None:
            self(start + (end - start) * max(0.0, min(100.0, percent)) / 100, step)

        return sub


def run(job_id: int) -> str:
    """Run the job if it is this worker's to run; returns its state (or why it was not run)."""
    job = db.session.get(Job, job_id)
    if job is None:
        return "missing"
    if job.is_finished:
        return job.state.value  # a duplicate delivery: already done
    if not operations.claim(job_id):
        db.session.rollback()
        return "busy"  # another worker holds it, and it is alive
    db.session.commit()
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    fn = handler_for(job.kind)
    try:
        result = fn(job, Progress(job_id))
    except TRANSIENT_ERRORS:
        db.session.rollback()
        try:
            operations.requeue(job_id)
            db.session.commit()
        except DBAPIError:
            db.session.rollback()  # still unreachable: the sweep will find the silent job
        logger.warning("Job %s interrupted by a database error; it will be retried", job_id, exc_info=True)
        raise
    except JobFailed as failure:
        db.session.rollback()
        operations.fail(job_id, failure.message, failure.details)
        db.session.commit()
        logger.info("Job %s failed: %s", job_id, failure.message)
        return "failed"
    except Exception:
        db.session.rollback()
        logger.exception("Job %s (%s) crashed", job_id, job.kind.value)
        operations.fail(job_id, UNEXPECTED_ERROR)
        db.session.commit()
        return "failed"
    operations.succeed(job_id, result or {})
    db.session.commit()
    return "succeeded"
