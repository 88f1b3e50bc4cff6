"""Starting jobs and moving them through their states.

``start_job`` belongs to the action's unit of work (flushes, audits, never commits) and
queues the task once it commits. The other functions are the runner's: each is a
single UPDATE guarded by the current state, so two workers never both own a job.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import current_app

from convention.core.after_commit import after_commit
from convention.core.audit import audit
from convention.core.db import db, utcnow
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


def claim(job_id: int) -> bool:
    """Take the job for this worker: a queued one, or a running one whose worker went silent."""
    now = utcnow()
    result = db.session.execute(
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
        ),
        execution_options={"synchronize_session": False},
    )
    return (result.rowcount or 0) == 1


def report(job_id: int, progress: int, step: str | None = None) -> None:
    """Record progress (and the heartbeat) in the current unit of work."""
    values: dict[str, Any] = {"progress": max(0, min(100, int(progress))), "heartbeat_dt": utcnow()}
    if step is not None:
        values["step"] = step[:300]
    db.session.execute(
        sa.update(Job).where(Job.id == job_id, Job.state == JobState.RUNNING).values(**values),
        execution_options={"synchronize_session": False},
    )


def requeue(job_id: int) -> None:
    """A transient error interrupted the job: back to the queue for the task's retry."""
    db.session.execute(
        sa.update(Job)
        .where(Job.id == job_id, Job.state == JobState.RUNNING)
        .values(state=JobState.QUEUED, step="")
        .execution_options(synchronize_session=False)
    )


def succeed(job_id: int, result: dict[str, Any]) -> None:
    db.session.execute(
        sa.update(Job)
        .where(Job.id == job_id, Job.state == JobState.RUNNING)
        .values(state=JobState.SUCCEEDED, progress=100, result=result, finished_dt=utcnow(), step=""),
        execution_options={"synchronize_session": False},
    )


def fail(job_id: int, message: str, details: list[str] | None = None) -> None:
    db.session.execute(
        sa.update(Job)
        .where(Job.id == job_id, Job.state == JobState.RUNNING)
        .values(state=JobState.FAILED, error=message, error_details=list(details or []), finished_dt=utcnow())
        .execution_options(synchronize_session=False)
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
