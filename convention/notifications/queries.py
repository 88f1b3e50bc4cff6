"""Reading notifications."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from convention.core.db import db
from convention.core.pagination import paginate
from convention.notifications.models import (
    EmailStatus,
    Notification,
    NotificationFrequency,
    NotificationKind,
    NotificationPreference,
)


def count_unread(user) -> int:
    """Unread notifications of ``user``."""
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_dt.is_(None))
    )


def list_for(user, page: int = 1, per_page: int = 30):
    """``user``'s notifications, newest first, paginated."""
    query = (
        sa.select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_dt.desc(), Notification.id.desc())
    )
    return paginate(query, page=page, per_page=per_page)


def frequency_for(user_id: int, kind: NotificationKind) -> NotificationFrequency:
    """How ``user_id`` wants the e-mails of ``kind`` (immediately when never chosen)."""
    frequency = db.session.scalar(
        sa.select(NotificationPreference.frequency).where(
            NotificationPreference.user_id == user_id, NotificationPreference.kind == kind
        )
    )
    return frequency or NotificationFrequency.IMMEDIATELY


def preferences_of(user_id: int) -> dict[NotificationKind, NotificationFrequency]:
    """Every kind with ``user_id``'s frequency (the default where none was chosen)."""
    chosen = dict(
        db.session.execute(
            sa.select(NotificationPreference.kind, NotificationPreference.frequency).where(
                NotificationPreference.user_id == user_id
            )
        ).all()
    )
    return {kind: chosen.get(kind, NotificationFrequency.IMMEDIATELY) for kind in NotificationKind}


def _frequency_of_row():
    """Outer join from Notification to its owner's preference for its kind."""
    return sa.and_(
        NotificationPreference.user_id == Notification.user_id,
        NotificationPreference.kind == Notification.kind,
    )


def list_pending_immediate_ids(created_before: dt.datetime, limit: int = 500) -> list[int]:
    """Pending notifications older than ``created_before`` that are not left for a digest."""
    return list(
        db.session.scalars(
            sa.select(Notification.id)
            .outerjoin(NotificationPreference, _frequency_of_row())
            .where(
                Notification.email_status == EmailStatus.PENDING,
                Notification.created_dt < created_before,
                sa.or_(
                    NotificationPreference.id.is_(None),
                    NotificationPreference.frequency != NotificationFrequency.DAILY,
                ),
            )
            .order_by(Notification.id)
            .limit(limit)
        )
    )


def list_pending_daily_ids(user_id: int | None = None) -> list[int]:
    """Pending notifications whose owner wants them in the daily digest."""
    query = (
        sa.select(Notification.id)
        .join(NotificationPreference, _frequency_of_row())
        .where(
            Notification.email_status == EmailStatus.PENDING,
            NotificationPreference.frequency == NotificationFrequency.DAILY,
        )
        .order_by(Notification.created_dt, Notification.id)
    )
    if user_id is not None:
        query = query.where(Notification.user_id == user_id)
    return list(db.session.scalars(query))


def list_digest_user_ids() -> list[int]:
    """Users with at least one notification waiting for their daily digest."""
    return list(
        db.session.scalars(
            sa.select(Notification.user_id)
            .join(NotificationPreference, _frequency_of_row())
            .where(
                Notification.email_status == EmailStatus.PENDING,
                NotificationPreference.frequency == NotificationFrequency.DAILY,
            )
            .distinct()
            .order_by(Notification.user_id)
        )
    )
