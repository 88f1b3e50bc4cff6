"""Starting jobs and moving them through their states.

``start_job`` and ``resume_silent_job`` belong to the action's unit of work (flush, audit,
never commit) and queue the task once it commits. The other functions are the runner's:
each is a single UPDATE guarded by the current state, so two workers never both own a job,
and by the attempt number the worker's claim returned (the fencing token): a worker whose
job was taken over while it was silent writes nothing more to it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import current_app

from convention.core.after_commit import after_commit
from convention.core.audit import audit
from convention.core.db import db, utcnow
from convention.core.permissions import ensure
from convention.domain.errors import DomainError
from convention.jobs.models import Job, JobFile, JobFileRole, JobKind, JobState

RUN_TASK = "convention.jobs.run_job"


def dispatch(job_id: int) -> None:
    """Queue the job's task (an after-commit callback: an error is logged, the sweep retries)."""
    current_app.extensions["celery"].tasks[RUN_TASK].delay(job_id)


def start_job(
    actor: Any,
    kind: JobKind,
    params: dict[str, Any] | None = None,
    *,
    obj: Any = None,
    input_file: tuple[str, str, bytes] | None = None,
) -> Job:
    """Record a queued job (with its input file: name, type, bytes) and run it once the unit of work commits."""
    job = Job(kind=kind, params=dict(params or {}), created_by_id=getattr(actor, "id", None))
    db.session.add(job)
    db.session.flush()
    if input_file is not None:
        attach_file(job, JobFileRole.INPUT, *input_file)
    audit(actor, "job.start", job, kind=kind.value, on=f"{type(obj).__name__} {obj.id}" if obj is not None else "")
    after_commit(db.session, dispatch, job.id)
    return job


def stale_before() -> dt.datetime:
    return utcnow() - dt.timedelta(seconds=current_app.config["JOB_STALE_SECONDS"])


class JobNotSilent(DomainError):
    """The job is finished, or its worker is alive: there is nothing to take over."""


def resume_silent_job(actor: Any, job: Job) -> Job:
    """Queue a silent job again (« Relancer »): the next worker takes it over, the same row, from the start.

    Accepted only while ``job.is_silent`` (its worker died, or its dispatch was lost); the
    worker that claims it becomes its owner, and one that was merely slow is fenced off.
    ``actor`` is someone who may follow the job, or None (the system).
    """
    if actor is not None:
        ensure(job.can_view(actor), "Vous ne pouvez pas relancer ce travail.")
    if job.is_finished:
        raise JobNotSilent("Ce travail est terminé : il n'y a rien à relancer.")
    if not job.is_silent:
        raise JobNotSilent("Ce travail est en cours et son exécutant donne signe de vie : attendez qu'il se termine.")
    audit(actor, "job.resume", job, kind=job.kind.value, attempts=job.attempts)
    after_commit(db.session, dispatch, job.id)
    return job


def claim_attempt(job_id: int) -> int | None:
    """Take the job for this worker (a queued one, or a running one whose worker went silent).

    Returns the attempt number, the token every later write of this worker is guarded by,
    or None when the job is not this worker's to run.
    """
    now = utcnow()
    row = db.session.execute(
        sa.update(Job)
        .where(
            Job.id == job_id,
            sa.or_(
                Job.state == JobState.QUEUED,
                sa.and_(Job.state == JobState.RUNNING, Job.heartbeat_dt < stale_before()),
            ),
        )
        .values(
            state=JobState.RUNNING,
            attempts=Job.attempts + 1,
            started_dt=now,
            heartbeat_dt=now,
            progress=0,
            step="",
        )
        .returning(Job.attempts),
        execution_options={"synchronize_session": False},
    ).first()
    return None if row is None else int(row[0])


def claim(job_id: int) -> bool:
    """Take the job for this worker: a queued one, or a running one whose worker went silent."""
    return claim_attempt(job_id) is not None


def _owned(job_id: int, attempt: int | None):
    """The WHERE clause of the owner's writes: the job is running, under this attempt if given."""
    condition = sa.and_(Job.id == job_id, Job.state == JobState.RUNNING)
    if attempt is not None:
        condition = sa.and_(condition, Job.attempts == attempt)
    return condition


def _update(job_id: int, attempt: int | None, **values: Any) -> bool:
    result = db.session.execute(
        sa.update(Job).where(_owned(job_id, attempt)).values(**values),
        execution_options={"synchronize_session": False},
    )
    return (result.rowcount or 0) == 1


def report(job_id: int, progress: int, step: str | None = None, *, attempt: int | None = None) -> bool:
    """Record progress (and the heartbeat) in the current unit of work; False if the job is no longer ours."""
    values: dict[str, Any] = {"progress": max(0, min(100, int(progress))), "heartbeat_dt": utcnow()}
    if step is not None:
        values["step"] = step[:300]
    return _update(job_id, attempt, **values)


def beat(connection: sa.Connection, job_id: int, attempt: int) -> bool:
    """The heartbeat thread's write, on its own connection: False once the job is no longer ours."""
    result = connection.execute(sa.update(Job).where(_owned(job_id, attempt)).values(heartbeat_dt=utcnow()))
    return (result.rowcount or 0) == 1


def requeue(job_id: int, *, attempt: int | None = None) -> bool:
    """A transient error interrupted the job: back to the queue for the task's retry (silent from now on)."""
    return _update(job_id, attempt, state=JobState.QUEUED, step="", heartbeat_dt=utcnow())


def succeed(job_id: int, result: dict[str, Any], *, attempt: int | None = None) -> bool:
    return _update(
        job_id, attempt, state=JobState.SUCCEEDED, progress=100, result=result, finished_dt=utcnow(), step=""
    )


def fail(job_id: int, message: str, details: list[str] | None = None, *, attempt: int | None = None) -> bool:
    return _update(
        job_id,
        attempt,
        state=JobState.FAILED,
        error=message,
        error_details=list(details or []),
        finished_dt=utcnow(),
    )


def list_stalled_ids(queued_before: dt.datetime) -> list[int]:
    """Jobs whose task was lost: queued long ago (broker down), or running without a heartbeat."""
    return list(
        db.session.scalars(
            sa.select(Job.id)
            .where(
                sa.or_(
                    sa.and_(Job.state == JobState.QUEUED, Job.created_dt < queued_before),
                    sa.and_(Job.state == JobState.RUNNING, Job.heartbeat_dt < stale_before()),
                )
            )
            .order_by(Job.id)
        )
    )


def attach_file(job: Job, role: JobFileRole, filename: str, mimetype: str, data: bytes) -> JobFile:
    """Store the job's input or (replacing an earlier attempt's) output file."""
    existing = db.session.scalar(sa.select(JobFile).where(JobFile.job_id == job.id, JobFile.role == role))
    if existing is not None:
        db.session.delete(existing)
        db.session.flush()
    job_file = JobFile(job_id=job.id, role=role, filename=filename, mimetype=mimetype, size=len(data), data=data)
    db.session.add(job_file)
    db.session.flush()
    return job_file


def file_of(job_id: int, role: JobFileRole) -> JobFile | None:
    return db.session.scalar(sa.select(JobFile).where(JobFile.job_id == job_id, JobFile.role == role))
