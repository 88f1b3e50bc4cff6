"""Writing notifications (the only code that creates them)."""

from __future__ import annotations

from convention.core.db import db, utcnow
from convention.notifications.models import Notification, NotificationKind


def notify(
    user, kind: NotificationKind, subject: str, body: str = "", url: str = ""
) -> Notification:
    """Record a notification for ``user`` in the current unit of work (flushes, never commits).

    Delivery by e-mail is a separate concern (the outbox is this table).
    """
    notification = Notification(user_id=user.id, kind=kind, subject=subject, body=body, url=url)
    db.session.add(notification)
    db.session.flush()
    return notification


def mark_read(user, notification: Notification) -> bool:
    """Mark one of ``user``'s notifications as read; False if it was not theirs or already read."""
    if notification.user_id != user.id or notification.read_dt is not None:
        return False
    notification.read_dt = utcnow()
    return True


def mark_all_read(user) -> int:
    """Mark every unread notification of ``user`` as read; returns how many."""
    now = utcnow()
    result = db.session.execute(
        db.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_dt.is_(None))
        .values(read_dt=now)
    )
    return result.rowcount or 0
