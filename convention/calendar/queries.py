"""Read helpers for the calendar."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from convention.calendar.models import PARIS, Event, EventKind, EventPerson, event_working_group
from convention.extensions import db
from convention.groups.models import WorkingGroup


def _event_options():
    return (
        selectinload(Event.working_groups),
        selectinload(Event.participants).selectinload(EventPerson.person),
        selectinload(Event.federation),
    )


def list_events(
    convention_id: int,
    *,
    kind: EventKind | None = None,
    working_group_number: int | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Sequence[Event]:
    """Events in date order, optionally by kind, working group and local days [start, end)."""
    query = sa.select(Event).where(Event.convention_id == convention_id)
    if kind is not None:
        query = query.where(Event.kind == kind)
    if working_group_number is not None:
        query = query.where(
            Event.id.in_(
                sa.select(event_working_group.c.event_id)
                .join(WorkingGroup, WorkingGroup.id == event_working_group.c.working_group_id)
                .where(
                    WorkingGroup.convention_id == convention_id,
                    WorkingGroup.number == working_group_number,
                )
            )
        )
    if start is not None:
        query = query.where(Event.starts_dt >= Event.local_midnight(start))
    if end is not None:
        query = query.where(Event.starts_dt < Event.local_midnight(end))
    return db.session.scalars(
        query.options(*_event_options()).order_by(Event.starts_dt, Event.position, Event.id)
    ).all()


def get_event(convention_id: int, event_id: int) -> Event | None:
    """One event of the convention with its people, groups and federation."""
    return db.session.scalars(
        sa.select(Event)
        .where(Event.convention_id == convention_id, Event.id == event_id)
        .options(*_event_options())
    ).first()


def nearest_event_day(convention_id: int, today: dt.date) -> dt.date | None:
    """The day of the first event from today on, else of the last one before today."""
    midnight = Event.local_midnight(today)
    base = sa.select(Event.starts_dt).where(Event.convention_id == convention_id)
    upcoming = db.session.scalar(
        base.where(Event.starts_dt >= midnight).order_by(Event.starts_dt).limit(1)
    )
    starts = upcoming or db.session.scalar(base.order_by(Event.starts_dt.desc()).limit(1))
    if starts is None:
        return None
    return starts.astimezone(PARIS).date()


def list_group_choices(convention_id: int) -> Sequence[tuple[int, str]]:
    """(number, title) of the convention's working groups, for the filter."""
    return db.session.execute(
        sa.select(WorkingGroup.number, WorkingGroup.title)
        .where(WorkingGroup.convention_id == convention_id)
        .order_by(WorkingGroup.number)
    ).all()
