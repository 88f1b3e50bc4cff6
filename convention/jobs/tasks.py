"""Celery tasks of the jobs: run one, and the beat sweep that re-queues the lost ones."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task

from convention.core.db import db, utcnow
from convention.jobs import operations, runner

logger = logging.getLogger(__name__)

# A queued job still waiting after this long lost its dispatch (broker down at commit time). Longer
# than the stale delay of running jobs: a job queued behind busy workers is not re-sent every sweep.
QUEUED_GRACE = dt.timedelta(minutes=2)


@shared_task(
    name=operations.RUN_TASK,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=runner.TRANSIENT_ERRORS,
    retry_backoff=True,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
)
def run_job(self, job_id: int) -> str:
    """Run one job (idempotent: a finished job is not run again, a live one not twice)."""
    return runner.run(job_id)


@shared_task(name="convention.jobs.resume_stalled_jobs", bind=True, acks_late=True)
def resume_stalled_jobs(self) -> int:
    """Beat (every ``JOB_SWEEP_SECONDS``): queue again the jobs whose task was lost or whose worker died.

    A running job silent for ``JOB_STALE_SECONDS`` is taken over by the worker that receives the
    new task (``runner.run`` claims it), instead of waiting for the broker's visibility timeout.
    """
    ids = operations.list_stalled_ids(utcnow() - QUEUED_GRACE)
    db.session.rollback()
    task = self.app.tasks[operations.RUN_TASK]
    for job_id in ids:
        task.delay(job_id)
    if ids:
        logger.warning("Stalled job(s) queued again: %s", ids)
    return len(ids)
