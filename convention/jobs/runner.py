"""Running a job: the handler registry, progress reports, and the outcome.

A handler is ``fn(job, progress) -> dict`` registered with ``@handler(JobKind.X)``. It
must be idempotent (a job whose worker died is run again from the start) and may
commit its own units of work; ``progress(percent, step)`` commits the current one, so
call it only where what was done so far may stand on its own. It raises
``JobFailed`` with a French message for an expected failure (a bad file); any other
exception fails the job with a generic message and is logged.

While the handler runs, a heartbeat thread writes ``heartbeat_dt`` every
``JOB_HEARTBEAT_SECONDS`` on its own connection (a long query or a long PDF layout between
two progress reports still beats): a job goes silent only when its worker is gone. Every
write of the worker is guarded by the attempt number its claim returned; when another
worker has taken the job over (this one was silent too long), the next progress report
raises ``JobTakenOver`` and nothing of this run is committed any more.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from flask import current_app
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


class JobTakenOver(Exception):
    """Another worker took the job over while this one was silent: this run stops, writing nothing more."""


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


class Heartbeat:
    """A daemon thread that writes the job's heartbeat every ``interval`` seconds while the handler runs."""

    def __init__(self, engine: Any, job_id: int, attempt: int, interval: float) -> None:
        self.engine = engine
        self.job_id = job_id
        self.attempt = attempt
        self.interval = interval
        self.lost = False  # the job is no longer this attempt's (taken over, or finished by another)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"job-{job_id}-heartbeat", daemon=True)

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            # Never wait long: a beat blocked behind the worker's own open transaction finds the job
            # finished once that commits, and writes nothing.
            self._thread.join(timeout=2)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                with self.engine.begin() as connection:
                    if not operations.beat(connection, self.job_id, self.attempt):
                        self.lost = True
                        return
            except Exception:  # the database is away: the next beat tries again
                logger.warning("Heartbeat of job %s not written", self.job_id, exc_info=True)


def _has_own_connections(engine: Any) -> bool:
    """False for an in-memory SQLite database: its one connection cannot be shared with a thread."""
    url = engine.url
    return not (url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"))


def heartbeat_interval() -> float:
    """``JOB_HEARTBEAT_SECONDS``, kept well under ``JOB_STALE_SECONDS`` (three beats per stale period)."""
    config = current_app.config
    stale = float(config["JOB_STALE_SECONDS"])
    return max(0.05, min(float(config.get("JOB_HEARTBEAT_SECONDS", 5)), stale / 3))


class Progress:
    """``progress(percent, step)``: record how far the job is, and commit."""

    def __init__(self, job_id: int, attempt: int | None = None, heartbeat: Heartbeat | None = None) -> None:
        self.job_id = job_id
        self.attempt = attempt
        self.heartbeat = heartbeat
        self.percent = 0

    def __call__(self, percent: float, step: str | None = None) -> None:
        if self.heartbeat is not None and self.heartbeat.lost:
            raise JobTakenOver(self.job_id)
        self.percent = max(self.percent, int(percent))
        if not operations.report(self.job_id, self.percent, step, attempt=self.attempt):
            raise JobTakenOver(self.job_id)
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
    attempt = operations.claim_attempt(job_id)
    if attempt is None:
        db.session.rollback()
        return "busy"  # another worker holds it, and it is alive
    db.session.commit()
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    if attempt > 1:
        logger.warning("Job %s (%s) taken over: attempt %s", job_id, job.kind.value, attempt)
    fn = handler_for(job.kind)
    heartbeat = Heartbeat(db.engine, job_id, attempt, heartbeat_interval())
    if _has_own_connections(db.engine):
        heartbeat.start()
    try:
        try:
            result = fn(job, Progress(job_id, attempt, heartbeat))
        finally:
            heartbeat.stop()  # whatever happened (a worker shutting down too): the job may go silent now
    except JobTakenOver:
        db.session.rollback()
        logger.warning("Job %s was taken over by another worker; this run (attempt %s) stops", job_id, attempt)
        return "taken over"
    except TRANSIENT_ERRORS:
        db.session.rollback()
        try:
            operations.requeue(job_id, attempt=attempt)
            db.session.commit()
        except DBAPIError:
            db.session.rollback()  # still unreachable: the sweep will find the silent job
        logger.warning("Job %s interrupted by a database error; it will be retried", job_id, exc_info=True)
        raise
    except JobFailed as failure:
        db.session.rollback()
        return _finish(job_id, attempt, "failed", operations.fail, failure.message, failure.details)
    except Exception:
        db.session.rollback()
        logger.exception("Job %s (%s) crashed", job_id, job.kind.value)
        return _finish(job_id, attempt, "failed", operations.fail, UNEXPECTED_ERROR)
    return _finish(job_id, attempt, "succeeded", operations.succeed, result or {})


def _finish(job_id: int, attempt: int, outcome: str, write: Callable[..., bool], *args: Any) -> str:
    """Record the outcome with what the handler left in the unit of work, if the job is still this attempt's."""
    if not write(job_id, *args, attempt=attempt):
        db.session.rollback()  # taken over meanwhile: the new owner's run is the one that counts
        logger.warning("Job %s was taken over by another worker; the outcome of attempt %s is dropped", job_id, attempt)
        return "taken over"
    db.session.commit()
    if outcome == "failed":
        logger.info("Job %s failed: %s", job_id, args[0])
    return outcome
