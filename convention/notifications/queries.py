"""Reading notifications."""

from __future__ import annotations

import sqlalchemy as sa

from convention.core.db import db
from convention.notifications.models import Notification


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
    return db.paginate(query, page=page, per_page=per_page, error_out=False)
