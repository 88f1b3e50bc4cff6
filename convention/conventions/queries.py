"""Read helpers for the home page and for finding a convention (by slug, the featured one)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from convention.calendar.models import Event
from convention.contributions.models import Contribution
from convention.conventions.models import Convention
from convention.extensions import db
from convention.groups.models import WorkingGroup
from convention.texts.models import Proposal


@dataclass(frozen=True)
class KeyFigures:
    working_groups: int
    events: int
    contributions: int
    proposals: int


def _count(model: type, *where: sa.ColumnElement[bool]) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def get_key_figures(convention: Convention) -> KeyFigures:
    """Counts shown on the home page (proposals: the current version of the text)."""
    from convention.texts.queries import get_main_text

    text = get_main_text(convention.id)
    version = text.current_version if text is not None else None
    return KeyFigures(
        working_groups=_count(WorkingGroup, WorkingGroup.convention_id == convention.id),
        events=_count(Event, Event.convention_id == convention.id),
        contributions=_count(Contribution, Contribution.convention_id == convention.id),
        proposals=_count(Proposal, Proposal.version_id == version.id) if version else 0,
    )


def could_be_slug(value: str | None) -> bool:
    """False for what no convention's address can be (a NUL byte, which PostgreSQL refuses; too long)."""
    return bool(value) and "\x00" not in value and len(value) <= Convention.__table__.c.slug.type.length


def get_convention_by_slug(slug: str) -> Convention | None:
    """The convention named ``slug`` (published or not: the caller decides who may see it)."""
    if not could_be_slug(slug):
        return None
    return db.session.scalar(sa.select(Convention).where(Convention.slug == slug))


def get_featured_convention() -> Convention | None:
    """The convention ``/`` shows: the featured one, else the first published (drafts never)."""
    return db.session.scalars(
        sa.select(Convention)
        .where(Convention.published_dt.is_not(None))
        .order_by(Convention.is_featured.desc(), Convention.id)
        .limit(1)
    ).first()


def list_conventions(*, with_drafts: bool = False) -> list[Convention]:
    """Every published convention (and the drafts for the Bureau national), oldest first."""
    query = sa.select(Convention).options(selectinload(Convention.phases)).order_by(Convention.id)
    if not with_drafts:
        query = query.where(Convention.published_dt.is_not(None))
    return list(db.session.scalars(query))
