"""Read helpers for the contributions."""

from __future__ import annotations

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import selectinload

from convention.contributions.models import Channel, Contribution
from convention.core.pagination import paginate
from convention.domain.lifecycle import ContributionStatus
from convention.extensions import db

PER_PAGE = 20


def _options():
    return (
        selectinload(Contribution.section),
        selectinload(Contribution.federation),
        selectinload(Contribution.working_group),
    )


def paginate_contributions(
    convention_id: int,
    *,
    channel: Channel | None = None,
    status: ContributionStatus | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Pagination:
    """One page of the convention's contributions: platform list first, then by number."""
    query = sa.select(Contribution).where(Contribution.convention_id == convention_id)
    if channel is not None:
        query = query.where(Contribution.channel == channel)
    if status is not None:
        query = query.where(Contribution.status == status)
    channel_order = sa.case((Contribution.channel == Channel.PLATFORM, 0), else_=1)
    query = query.options(*_options()).order_by(channel_order, Contribution.number, Contribution.id)
    return paginate(query, page=page, per_page=per_page)


def get_contribution(convention_id: int, contribution_id: int) -> Contribution | None:
    """One contribution of the convention, with its unit and working group."""
    return db.session.scalars(
        sa.select(Contribution)
        .where(Contribution.convention_id == convention_id, Contribution.id == contribution_id)
        .options(*_options())
    ).first()


PENDING = (ContributionStatus.SUBMITTED, ContributionStatus.UNDER_REVIEW)


def moderated_group_ids(user, convention) -> list[int] | None:
    """Ids of the groups of ``convention`` ``user`` moderates; None means every group and the
    whole convention (its steering committee, the Bureau national)."""
    from convention.conventions.scoping import pilot_group_ids

    if convention.is_steering(user):
        return None
    return sorted(pilot_group_ids(user, convention))


def list_review_queue(user, convention) -> list[Contribution]:
    """Contributions awaiting a decision that ``user`` moderates (oldest first)."""
    query = sa.select(Contribution).where(
        Contribution.convention_id == convention.id, Contribution.status.in_(PENDING)
    )
    group_ids = moderated_group_ids(user, convention)
    if group_ids is not None:
        if not group_ids:
            return []
        query = query.where(Contribution.working_group_id.in_(group_ids))
    status_order = sa.case((Contribution.status == ContributionStatus.SUBMITTED, 0), else_=1)
    return list(
        db.session.scalars(
            query.options(*_options()).order_by(
                status_order, Contribution.submitted_dt, Contribution.id
            )
        )
    )


def list_groups(convention_id: int):
    """The working groups a contribution may be sent to, by number."""
    from convention.groups.models import WorkingGroup

    return db.session.scalars(
        sa.select(WorkingGroup)
        .where(WorkingGroup.convention_id == convention_id)
        .order_by(WorkingGroup.number)
    ).all()
