"""Read helpers for the working groups and the convention's steering."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from convention.calendar.models import Event, EventKind, EventPerson, event_working_group
from convention.contributions.models import CHANNEL_LABELS, STATUS_LABELS, Channel, Contribution
from convention.domain.lifecycle import ContributionStatus
from convention.extensions import db
from convention.groups.models import (
    GroupFollow,
    SteeringRole,
    SteeringRoleKind,
    WorkingGroup,
    WorkingGroupAnimator,
)
from convention.members.models import Member, Section

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


# --- a group's story and the representation overview ----------------------------------------


@dataclass(frozen=True)
class Figure:
    """One labelled count of an overview (a bar of a chart, a row of its table)."""

    label: str
    value: int


@dataclass(frozen=True)
class ShapedChapter:
    """A chapter of the text that a group's contributions or hearings shaped."""

    anchor: str
    number: str
    title: str
    links: int


def count_group_contributions_by_status(working_group_id: int) -> list[tuple[str, str, int]]:
    """(status value, French label, count) for every status, in lifecycle order."""
    rows = db.session.execute(
        sa.select(Contribution.status, sa.func.count())
        .where(Contribution.working_group_id == working_group_id)
        .group_by(Contribution.status)
    ).all()
    counts = {status: count for status, count in rows}
    return [(status.value, label, counts.get(status, 0)) for status, label in STATUS_LABELS.items()]


def list_group_shaped_chapters(working_group_id: int) -> list[ShapedChapter]:
    """Chapters holding blocks linked (« issu de ») to this group's contributions or events."""
    try:
        from convention.provenance.models import SourceLink
    except ImportError:  # provenance not installed
        return []
    from convention.texts.models import Block, Chapter, Part

    group_events = sa.select(event_working_group.c.event_id).where(
        event_working_group.c.working_group_id == working_group_id
    )
    group_contributions = sa.select(Contribution.id).where(
        Contribution.working_group_id == working_group_id
    )
    rows = db.session.execute(
        sa.select(Chapter.anchor, Chapter.number, Chapter.title, sa.func.count(SourceLink.id))
        .join(Block, Block.id == SourceLink.block_id)
        .join(Chapter, Chapter.id == Block.chapter_id)
        .join(Part, Part.id == Chapter.part_id)
        .where(
            sa.or_(
                SourceLink.contribution_id.in_(group_contributions),
                SourceLink.event_id.in_(group_events),
            )
        )
        .group_by(Chapter.anchor, Chapter.number, Chapter.title, Part.position, Chapter.position)
        .order_by(Part.position, Chapter.position)
    ).all()
    merged: dict[str, ShapedChapter] = {}
    for anchor, number, title, links in rows:  # one chapter may appear in several versions
        previous = merged.get(anchor)
        merged[anchor] = ShapedChapter(
            anchor, number, title, links + (previous.links if previous else 0)
        )
    return list(merged.values())


def _received_contributions(convention_id: int) -> Sequence[Contribution]:
    return db.session.scalars(
        sa.select(Contribution)
        .where(
            Contribution.convention_id == convention_id,
            Contribution.status != ContributionStatus.WITHDRAWN,
        )
        .options(
            selectinload(Contribution.section).selectinload(Section.federation),
            selectinload(Contribution.federation),
            selectinload(Contribution.author_member)
            .selectinload(Member.section)
            .selectinload(Section.federation),
        )
    ).all()


NO_FEDERATION = "Fédération non renseignée"
NO_SECTION = "Sans section (contribution fédérale ou non rattachée)"


def _contribution_federation(contribution: Contribution) -> str:
    if contribution.federation is not None:
        return contribution.federation.title
    if contribution.section is not None:
        return contribution.section.federation.title
    if contribution.federation_name:
        return f"Fédération {contribution.federation_name}"
    member = contribution.author_member
    if member is not None and member.section is not None:
        return member.section.federation.title
    return NO_FEDERATION


def _contribution_section(contribution: Contribution) -> str:
    if contribution.section is not None:
        return f"{contribution.section.name} ({contribution.section.federation.name})"
    if contribution.section_name:
        return contribution.section_name
    member = contribution.author_member
    if member is not None and member.section is not None and contribution.federation is None:
        return f"{member.section.name} ({member.section.federation.name})"
    return NO_SECTION


def _figures(counter: Counter, last: tuple[str, ...] = ()) -> list[Figure]:
    """Largest first, then alphabetical; the « not given » rows at the end."""
    rows = sorted(
        (item for item in counter.items() if item[0] not in last), key=lambda i: (-i[1], i[0])
    )
    rows += [(label, counter[label]) for label in last if counter.get(label)]
    return [Figure(label, count) for label, count in rows]


@dataclass(frozen=True)
class Representation:
    """Who contributed and who was heard: the figures of the steering committee's overview."""

    total: int
    by_federation: list[Figure]
    by_section: list[Figure]
    by_channel: list[Figure]
    hearings_by_group: list[Figure]


def representation(convention_id: int) -> Representation:
    """Contributions received (withdrawn ones excluded) by federation, section and channel,
    and hearings per working group."""
    contributions = _received_contributions(convention_id)
    by_federation = Counter(_contribution_federation(c) for c in contributions)
    by_section = Counter(_contribution_section(c) for c in contributions)
    by_channel = Counter(c.channel for c in contributions)
    hearing_rows = db.session.execute(
        sa.select(WorkingGroup.number, WorkingGroup.title, sa.func.count(Event.id))
        .select_from(WorkingGroup)
        .outerjoin(event_working_group, event_working_group.c.working_group_id == WorkingGroup.id)
        .outerjoin(
            Event,
            sa.and_(Event.id == event_working_group.c.event_id, Event.kind == EventKind.HEARING),
        )
        .where(WorkingGroup.convention_id == convention_id)
        .group_by(WorkingGroup.id, WorkingGroup.number, WorkingGroup.title)
        .order_by(WorkingGroup.number)
    ).all()
    return Representation(
        total=len(contributions),
        by_federation=_figures(by_federation, last=(NO_FEDERATION,)),
        by_section=_figures(by_section, last=(NO_SECTION,)),
        by_channel=[
            Figure(CHANNEL_LABELS[channel], by_channel.get(channel, 0)) for channel in Channel
        ],
        hearings_by_group=[
            Figure(f"Groupe {number} — {title}", count) for number, title, count in hearing_rows
        ],
    )


def is_following(user_id: int, group_id: int) -> bool:
    """Does the user follow the group?"""
    return (
        db.session.scalar(
            sa.select(GroupFollow.id).where(
                GroupFollow.user_id == user_id, GroupFollow.working_group_id == group_id
            )
        )
        is not None
    )


def list_followed_groups(user_id: int) -> Sequence[WorkingGroup]:
    """The groups the user follows, in order."""
    return db.session.scalars(
        sa.select(WorkingGroup)
        .join(GroupFollow, GroupFollow.working_group_id == WorkingGroup.id)
        .where(GroupFollow.user_id == user_id)
        .order_by(WorkingGroup.convention_id, WorkingGroup.number)
    ).all()
