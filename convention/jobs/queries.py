"""Read helpers for the jobs: a user's list, the recent ones of a kind, an export to reuse."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from convention.extensions import db
from convention.jobs.models import Job, JobKind, JobState


def list_started_by(user: Any, limit: int = 50) -> Sequence[Job]:
    """The jobs ``user`` started and may still see, most recent first."""
    jobs = db.session.scalars(
        sa.select(Job).where(Job.created_by_id == user.id).order_by(Job.id.desc()).limit(limit)
    ).all()
    return [job for job in jobs if job.can_view(user)]


def list_recent(kind: JobKind, limit: int = 5) -> Sequence[Job]:
    """The latest jobs of one kind, whoever started them, most recent first."""
    return db.session.scalars(sa.select(Job).where(Job.kind == kind).order_by(Job.id.desc()).limit(limit)).all()


def find_by_param(
    kind: JobKind, name: str, value: int, states: frozenset[JobState] | set[JobState]
) -> Job | None:
    """The latest job of ``kind`` in one of ``states`` whose integer parameter ``name`` is ``value``."""
    return db.session.scalars(
        sa.select(Job)
        .where(Job.kind == kind, Job.state.in_(states), Job.params[name].as_integer() == value)
        .order_by(Job.id.desc())
        .limit(1)
    ).first()
