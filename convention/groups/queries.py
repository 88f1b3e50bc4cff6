"""Read helpers for the working groups and the convention's steering."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from convention.calendar.models import Event, EventPerson, event_working_group
from convention.contributions.models import Contribution
from convention.extensions import db
from convention.groups.models import (
    SteeringRole,
    SteeringRoleKind,
    WorkingGroup,
    WorkingGroupAnimator,
)

STEERING_ORDER = (SteeringRoleKind.PILOT, SteeringRoleKind.CO_PILOT, SteeringRoleKind.COMMITTEE)


def list_working_groups(convention_id: int) -> Sequence[WorkingGroup]:
    """The convention's working groups in order, with their animators loaded."""
    return db.session.scalars(
        sa.select(WorkingGroup)
        .where(WorkingGroup.convention_id == convention_id)
        .options(selectinload(WorkingGroup.animators).selectinload(WorkingGroupAnimator.person))
        .order_by(WorkingGroup.number)
    ).all()


def get_working_group(convention_id: int, number: int) -> WorkingGroup | None:
    """One working group by its number, with its animators loaded."""
    return db.session.scalars(
        sa.select(WorkingGroup)
        .where(WorkingGroup.convention_id == convention_id, WorkingGroup.number == number)
        .options(selectinload(WorkingGroup.animators).selectinload(WorkingGroupAnimator.person))
    ).first()


def list_group_events(working_group_id: int) -> Sequence[Event]:
    """Events of the calendar that name this working group, in date order."""
    return db.session.scalars(
        sa.select(Event)
        .join(event_working_group, event_working_group.c.event_id == Event.id)
        .where(event_working_group.c.working_group_id == working_group_id)
        .options(selectinload(Event.participants).selectinload(EventPerson.person))
        .order_by(Event.starts_dt, Event.position)
    ).all()


def list_group_contributions(working_group_id: int) -> Sequence[Contribution]:
    """Contributions addressed to this working group."""
    return db.session.scalars(
        sa.select(Contribution)
        .where(Contribution.working_group_id == working_group_id)
        .options(selectinload(Contribution.section), selectinload(Contribution.federation))
        .order_by(Contribution.channel, Contribution.number, Contribution.id)
    ).all()


def list_steering(convention_id: int) -> list[tuple[SteeringRoleKind, list[SteeringRole]]]:
    """The steering roles grouped by kind (pilots, co-pilots, committee), people loaded."""
    roles = db.session.scalars(
        sa.select(SteeringRole)
        .where(SteeringRole.convention_id == convention_id)
        .options(selectinload(SteeringRole.person))
        .order_by(SteeringRole.position, SteeringRole.id)
    ).all()
    return [
        (kind, [role for role in roles if role.kind == kind])
        for kind in STEERING_ORDER
        if any(role.kind == kind for role in roles)
    ]
