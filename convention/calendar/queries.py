"""Read helpers for the calendar."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from convention.calendar.models import (
    PARIS,
    CalendarFeedToken,
    Event,
    EventKind,
    EventPerson,
    EventRegistration,
    RegistrationStatus,
    event_working_group,
)
from convention.extensions import db
from convention.groups.models import WorkingGroup
from convention.members.models import Federation


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
    working_group_id: int | None = None,
    federation_id: int | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Sequence[Event]:
    """Events in date order, optionally by kind, group, federation and local days [start, end)."""
    query = sa.select(Event).where(Event.convention_id == convention_id)
    if kind is not None:
        query = query.where(Event.kind == kind)
    if federation_id is not None:
        query = query.where(Event.federation_id == federation_id)
    if working_group_id is not None:
        query = query.where(
            Event.id.in_(
                sa.select(event_working_group.c.event_id).where(
                    event_working_group.c.working_group_id == working_group_id
                )
            )
        )
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
        sa.select(Event).where(Event.convention_id == convention_id, Event.id == event_id).options(*_event_options())
    ).first()


def nearest_event_day(convention_id: int, today: dt.date) -> dt.date | None:
    """The day of the first event from today on, else of the last one before today."""
    midnight = Event.local_midnight(today)
    base = sa.select(Event.starts_dt).where(Event.convention_id == convention_id)
    upcoming = db.session.scalar(base.where(Event.starts_dt >= midnight).order_by(Event.starts_dt).limit(1))
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


def list_federation_choices(convention_id: int) -> Sequence[tuple[int, str]]:
    """(id, title) of the federations that hold at least one event of the convention."""
    return db.session.execute(
        sa.select(Federation.id, Federation.title)
        .where(
            Federation.id.in_(
                sa.select(Event.federation_id).where(
                    Event.convention_id == convention_id, Event.federation_id.is_not(None)
                )
            )
        )
        .order_by(Federation.title)
    ).all()


def list_all_federations() -> Sequence[tuple[int, str]]:
    """(id, title) of every federation, for the event form."""
    return db.session.execute(sa.select(Federation.id, Federation.title).order_by(Federation.code)).all()


def list_groups(convention_id: int) -> Sequence[WorkingGroup]:
    """The convention's working groups in order."""
    return db.session.scalars(
        sa.select(WorkingGroup).where(WorkingGroup.convention_id == convention_id).order_by(WorkingGroup.number)
    ).all()


def get_working_group(group_id: int) -> WorkingGroup | None:
    """A working group by id."""
    return db.session.get(WorkingGroup, group_id)


def get_registration(event_id: int, user_id: int) -> EventRegistration | None:
    """``user_id``'s registration row for an event (any status), if any."""
    return db.session.scalars(
        sa.select(EventRegistration).where(EventRegistration.event_id == event_id, EventRegistration.user_id == user_id)
    ).first()


def count_registrations(event_id: int) -> dict[RegistrationStatus, int]:
    """How many registrations of each status an event has."""
    rows = db.session.execute(
        sa.select(EventRegistration.status, sa.func.count())
        .where(EventRegistration.event_id == event_id)
        .group_by(EventRegistration.status)
    ).all()
    counts = {status: 0 for status in RegistrationStatus}
    counts.update({status: n for status, n in rows})
    return counts


def waiting_rank(registration: EventRegistration) -> int | None:
    """1-based rank of a waiting registration on its event's waiting list."""
    if registration.status != RegistrationStatus.WAITING:
        return None
    ahead = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(EventRegistration)
        .where(
            EventRegistration.event_id == registration.event_id,
            EventRegistration.status == RegistrationStatus.WAITING,
            sa.or_(
                EventRegistration.position < registration.position,
                sa.and_(
                    EventRegistration.position == registration.position,
                    EventRegistration.id < registration.id,
                ),
            ),
        )
    )
    return ahead + 1


def list_user_registrations(user_id: int, *, active_only: bool = True) -> Sequence[EventRegistration]:
    """A member's registrations with their events, in the events' date order."""
    query = (
        sa.select(EventRegistration)
        .join(Event, Event.id == EventRegistration.event_id)
        .where(EventRegistration.user_id == user_id)
        .options(
            selectinload(EventRegistration.event).selectinload(Event.working_groups),
            selectinload(EventRegistration.event).selectinload(Event.federation),
        )
        .order_by(Event.starts_dt, Event.id)
    )
    if active_only:
        query = query.where(EventRegistration.status != RegistrationStatus.CANCELLED)
    return db.session.scalars(query).all()


def list_user_feed_events(user_id: int) -> Sequence[Event]:
    """The events a member holds a seat for (or waits for), for their private feed."""
    return db.session.scalars(
        sa.select(Event)
        .join(EventRegistration, EventRegistration.event_id == Event.id)
        .where(
            EventRegistration.user_id == user_id,
            EventRegistration.status != RegistrationStatus.CANCELLED,
        )
        .options(*_event_options())
        .order_by(Event.starts_dt, Event.id)
    ).all()


def get_feed_token(user_id: int) -> CalendarFeedToken | None:
    """The member's feed secret, if they generated one."""
    return db.session.scalars(sa.select(CalendarFeedToken).where(CalendarFeedToken.user_id == user_id)).first()


def find_feed_token(secret: str) -> CalendarFeedToken | None:
    """The feed token row whose secret is ``secret`` (None for a revoked or unknown one)."""
    if not secret or len(secret) > 64:
        return None
    return db.session.scalars(
        sa.select(CalendarFeedToken).where(CalendarFeedToken.token_hash == CalendarFeedToken.hash(secret))
    ).first()


# --- the organisers' view ---------------------------------------------------------------------


def list_event_registrations(event_id: int) -> list[EventRegistration]:
    """An event's active registrations: the seats, then the waiting list, each in order of arrival.

    Each comes with its account, member record, section and federation (for the organisers'
    list and its export).
    """
    from convention.members.models import Member, Section, User

    rows = db.session.scalars(
        sa.select(EventRegistration)
        .where(
            EventRegistration.event_id == event_id,
            EventRegistration.status != RegistrationStatus.CANCELLED,
        )
        .options(
            selectinload(EventRegistration.user)
            .selectinload(User.member)
            .selectinload(Member.section)
            .selectinload(Section.federation)
        )
        .order_by(EventRegistration.position, EventRegistration.id)
    ).all()
    order = {RegistrationStatus.REGISTERED: 0, RegistrationStatus.WAITING: 1}
    return sorted(rows, key=lambda r: order[r.status])  # stable: arrival order kept in each


def count_registrations_by_event(event_ids: Sequence[int]) -> dict[int, dict[RegistrationStatus, int]]:
    """For each event id, how many registrations of each status it has."""
    counts = {event_id: {status: 0 for status in RegistrationStatus} for event_id in event_ids}
    if not event_ids:
        return counts
    rows = db.session.execute(
        sa.select(EventRegistration.event_id, EventRegistration.status, sa.func.count())
        .where(EventRegistration.event_id.in_(list(event_ids)))
        .group_by(EventRegistration.event_id, EventRegistration.status)
    ).all()
    for event_id, status, n in rows:
        counts[event_id][status] = n
    return counts


def list_organised_events(
    convention_id: int, *, group_ids: set[int] | None, federation_ids: set[int]
) -> Sequence[Event]:
    """The events someone organises: those of ``group_ids`` (None: every event, for the
    steering committee) and the federation meetings of ``federation_ids``, in date order."""
    query = sa.select(Event).where(Event.convention_id == convention_id)
    if group_ids is not None:
        conditions = []
        if group_ids:
            conditions.append(
                Event.id.in_(
                    sa.select(event_working_group.c.event_id).where(
                        event_working_group.c.working_group_id.in_(sorted(group_ids))
                    )
                )
            )
        if federation_ids:
            conditions.append(
                sa.and_(
                    Event.kind == EventKind.FEDERATION_MEETING,
                    Event.federation_id.in_(sorted(federation_ids)),
                )
            )
        if not conditions:
            return []
        query = query.where(sa.or_(*conditions))
    return db.session.scalars(
        query.options(*_event_options()).order_by(Event.starts_dt, Event.position, Event.id)
    ).all()
