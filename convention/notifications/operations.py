"""Writing notifications (the only code that creates them) and their delivery state."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import current_app

from convention.core.after_commit import after_commit
from convention.core.audit import audit
from convention.core.db import db, utcnow
from convention.notifications import queries
from convention.notifications.models import (
    EmailStatus,
    Notification,
    NotificationFrequency,
    NotificationKind,
    NotificationPreference,
)


def notify(
    user, kind: NotificationKind, subject: str, body: str = "", url: str = ""
) -> Notification:
    """Record a notification for ``user`` in the current unit of work (flushes, never commits).

    The row is the outbox: when the user wants e-mails of this kind immediately, the
    delivery task is queued once the unit of work commits (nothing is queued on rollback,
    and the beat sweep delivers it if the broker was unreachable at that moment).
    """
    frequency = queries.frequency_for(user.id, kind)
    wants_mail = frequency != NotificationFrequency.NEVER and bool(user.email) and user.is_enabled
    notification = Notification(
        user_id=user.id,
        kind=kind,
        subject=subject,
        body=body,
        url=url,
        email_status=EmailStatus.PENDING if wants_mail else EmailStatus.SKIPPED,
    )
    db.session.add(notification)
    db.session.flush()
    if wants_mail and frequency == NotificationFrequency.IMMEDIATELY:
        from convention.notifications.delivery import dispatch_delivery

        after_commit(db.session, dispatch_delivery, current_app.extensions["celery"], notification.id)
    return notification


BULK_CHUNK = 2000
SWEEP_TASK = "convention.notifications.deliver_pending_notifications"


def notify_many(user_ids, kind: NotificationKind, subject: str, body: str = "", url: str = "") -> int:
    """Record the same notification for many users at once (a poll's roll, every member).

    Rows are inserted in bulk in the current unit of work; once it commits one sweep is
    queued that e-mails those wanted immediately (the digest carries the daily ones).
    Returns how many notifications were written.
    """
    return notify_each(kind, [(user_id, subject, body, url) for user_id in sorted(set(user_ids))])


def notify_each(kind: NotificationKind, items) -> int:
    """Record many notifications of one kind at once, each (user id, subject, body, url) its own.

    What ``notify`` does for one, in bulk: the rows are the outbox, e-mailed by one sweep queued
    after the commit (a consolidation tells hundreds of authors, each about their amendment).
    """
    from convention.members.models import User

    items = list(items)
    if not items:
        return 0
    now = utcnow()
    written = 0
    for start in range(0, len(items), BULK_CHUNK):
        chunk = items[start : start + BULK_CHUNK]
        ids = sorted({user_id for user_id, *_ in chunk})
        never = set(
            db.session.scalars(
                sa.select(NotificationPreference.user_id).where(
                    NotificationPreference.user_id.in_(ids),
                    NotificationPreference.kind == kind,
                    NotificationPreference.frequency == NotificationFrequency.NEVER,
                )
            )
        )
        mailable = set(
            db.session.scalars(
                sa.select(User.id).where(User.id.in_(ids), User.is_enabled.is_(True), User.email != "")
            )
        )
        rows = [
            {
                "user_id": user_id,
                "kind": kind,
                "subject": subject,
                "body": body,
                "url": url,
                "created_dt": now,
                "attempts": 0,
                "email_status": (
                    EmailStatus.PENDING if user_id in mailable and user_id not in never else EmailStatus.SKIPPED
                ),
            }
            for user_id, subject, body, url in chunk
        ]
        db.session.execute(sa.insert(Notification), rows)
        written += len(rows)
    after_commit(db.session, _queue_sweep, current_app.extensions["celery"])
    return written


def _queue_sweep(celery_app) -> None:
    celery_app.tasks[SWEEP_TASK].delay(min_age_seconds=0)


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


def set_preferences(
    actor, user, frequencies: dict[NotificationKind, NotificationFrequency]
) -> list[NotificationKind]:
    """Set ``user``'s e-mail frequency for the given kinds; returns the kinds that changed."""
    existing = {
        pref.kind: pref
        for pref in db.session.scalars(
            sa.select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        )
    }
    changed = []
    for kind, frequency in frequencies.items():
        pref = existing.get(kind)
        current = pref.frequency if pref else NotificationFrequency.IMMEDIATELY
        if current == frequency:
            continue
        if pref is None:
            db.session.add(NotificationPreference(user_id=user.id, kind=kind, frequency=frequency))
        else:
            pref.frequency = frequency
        changed.append(kind)
    if changed:
        db.session.flush()
        audit(
            actor,
            "notification.preferences",
            user,
            changes={kind.value: frequencies[kind].value for kind in changed},
        )
    return changed


# ---------------------------------------------------------------- delivery state (used by the tasks)


def claim_for_sending(ids: list[int]) -> list[int]:
    """Move the still-pending rows among ``ids`` to "sending"; returns the ids this caller won.

    A single UPDATE … WHERE email_status = 'pending': of two workers racing for a row,
    only one gets it back, so a notification is never sent twice.
    """
    if not ids:
        return []
    rows = db.session.execute(
        sa.update(Notification)
        .where(Notification.id.in_(ids), Notification.email_status == EmailStatus.PENDING)
        .values(
            email_status=EmailStatus.SENDING,
            emailed_dt=utcnow(),
            attempts=Notification.attempts + 1,
        )
        .returning(Notification.id),
        execution_options={"synchronize_session": False},
    )
    return sorted(row[0] for row in rows)


def _move(ids: list[int], from_status: EmailStatus, to_status: EmailStatus, **values) -> int:
    if not ids:
        return 0
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.id.in_(ids), Notification.email_status == from_status)
        .values(email_status=to_status, **values),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount or 0


def mark_sent(ids: list[int]) -> int:
    """The claimed rows were handed to the SMTP server."""
    return _move(ids, EmailStatus.SENDING, EmailStatus.SENT, emailed_dt=utcnow())


def release(ids: list[int]) -> int:
    """Sending failed: the claimed rows go back to pending, for a retry or the sweep."""
    return _move(ids, EmailStatus.SENDING, EmailStatus.PENDING)


def mark_skipped(ids: list[int]) -> int:
    """No e-mail will be sent for these pending rows (preference "never", no usable address)."""
    return _move(ids, EmailStatus.PENDING, EmailStatus.SKIPPED)


def release_stale_claims(claimed_before: dt.datetime) -> int:
    """Rows left in "sending" by a worker that died go back to pending."""
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.email_status == EmailStatus.SENDING, Notification.emailed_dt < claimed_before)
        .values(email_status=EmailStatus.PENDING),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount or 0
