"""E-mail delivery of notifications: unsubscribe tokens, messages, and the units of work of the tasks.

Each function below that changes the database commits itself: it is the body of a Celery
task (``tasks.py``), which runs inside the application context.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from celery import Celery
from flask import current_app
from flask_mail import Message

from convention.core.db import db, utcnow
from convention.core.links import absolute, external_url
from convention.extensions import mail
from convention.notifications import operations, queries
from convention.notifications.models import (
    NOTIFICATION_KIND_LABELS,
    EmailStatus,
    Notification,
    NotificationFrequency,
    NotificationKind,
    UnsubscribeToken,
)

logger = logging.getLogger(__name__)

DELIVER_TASK = "convention.notifications.deliver_notification"
DIGEST_TASK = "convention.notifications.send_digest"
SWEEP_MIN_AGE = dt.timedelta(minutes=1)
# A row still "sending" after this long belongs to a worker that died: it is sent again.
STALE_CLAIM_AGE = dt.timedelta(minutes=10)
DEFAULT_TOKEN_DAYS = 365


# ---------------------------------------------------------------- unsubscribe tokens


def unsubscribe_token(user_id: int, kinds: list[NotificationKind], *, now: dt.datetime | None = None) -> str:
    """A new secret that turns off the e-mails of ``kinds`` for ``user_id`` for a year.

    The database keeps its SHA-256 (``UnsubscribeToken``); the row is written in the unit of
    work that sends the e-mail, so it exists exactly when the e-mail went out.
    """
    now = now or utcnow()
    days = int(current_app.config.get("UNSUBSCRIBE_TOKEN_DAYS", DEFAULT_TOKEN_DAYS))
    secret = UnsubscribeToken.new_secret()
    db.session.add(
        UnsubscribeToken(
            user_id=user_id,
            token_hash=UnsubscribeToken.hash(secret),
            kinds=",".join(sorted({kind.value for kind in kinds})),
            created_dt=now,
            expires_dt=now + dt.timedelta(days=days),
        )
    )
    db.session.flush()
    return secret


def read_unsubscribe_token(
    token: str, *, now: dt.datetime | None = None
) -> tuple[int, list[NotificationKind]] | None:
    """The user id and kinds of a token, or None if it is unknown, expired or malformed."""
    if not token or len(token) > 100:
        return None
    row = db.session.scalars(
        db.select(UnsubscribeToken).where(UnsubscribeToken.token_hash == UnsubscribeToken.hash(token))
    ).first()
    if row is None or row.expires_dt <= (now or utcnow()):
        return None
    try:
        return row.user_id, row.kind_list
    except ValueError:  # a kind that no longer exists
        return None


def purge_expired_unsubscribe_tokens(now: dt.datetime | None = None) -> int:
    """Delete the expired unsubscribe tokens (flushes; the caller commits)."""
    result = db.session.execute(
        db.delete(UnsubscribeToken).where(UnsubscribeToken.expires_dt <= (now or utcnow()))
    )
    return result.rowcount or 0


def unsubscribe_url(user_id: int, kinds: list[NotificationKind]) -> str:
    return external_url("notifications.unsubscribe", token=unsubscribe_token(user_id, kinds))


# ---------------------------------------------------------------- messages


def _render(name: str, **context: Any) -> str:
    # Not ``render_template``: its context processors query the database and need a request.
    return current_app.jinja_env.get_template(name).render(**context)


def build_message(user, notifications: list[Notification], *, digest: bool) -> Message:
    """The French text + HTML e-mail for one notification or a daily digest of several."""
    kinds = sorted({n.kind for n in notifications})
    link = unsubscribe_url(user.id, kinds)
    items = [
        {
            "subject": n.subject,
            "body": n.body,
            "url": absolute(n.url) if n.url else "",
            "kind_label": NOTIFICATION_KIND_LABELS[n.kind],
            "created_dt": n.created_dt,
        }
        for n in notifications
    ]
    context = {
        "display_name": user.display_name,
        "items": items,
        "digest": digest,
        "unsubscribe_url": link,
        "kind_labels": [NOTIFICATION_KIND_LABELS[kind] for kind in kinds],
        "preferences_url": external_url("notifications.preferences"),
    }
    if digest:
        subject = f"Convention : votre résumé du jour ({len(items)} notification{'s' if len(items) > 1 else ''})"
    else:
        subject = f"Convention : {notifications[0].subject}"
    return Message(
        subject=subject[:250],
        recipients=[user.email],
        body=_render("emails/notifications/notification.txt", **context),
        html=_render("emails/notifications/notification.html", **context),
        extra_headers={
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )


# ---------------------------------------------------------------- dispatch (after commit)


def dispatch_delivery(celery_app: Celery, notification_id: int) -> None:
    """Queue the delivery task (an after-commit callback: an error is logged, the sweep retries)."""
    celery_app.tasks[DELIVER_TASK].delay(notification_id)


# ---------------------------------------------------------------- units of work of the tasks


def _send_claimed(user, ids: list[int], *, digest: bool) -> None:
    """Send the claimed rows ``ids`` in one e-mail; on failure put them back to pending and re-raise."""
    notifications = list(
        db.session.scalars(
            db.select(Notification)
            .where(Notification.id.in_(ids))
            .order_by(Notification.created_dt, Notification.id)
        )
    )
    message = build_message(user, notifications, digest=digest)
    try:
        mail.send(message)
    except Exception:
        db.session.rollback()
        operations.release(ids)
        db.session.commit()
        raise
    operations.mark_sent(ids)
    db.session.commit()
    logger.info("Notification e-mail %s sent to user %s", ids, user.id)


def deliver(notification_id: int) -> str:
    """E-mail one notification now if it is still pending and wanted immediately; idempotent."""
    notification = db.session.get(Notification, notification_id)
    if notification is None:
        return "missing"
    if notification.email_status != EmailStatus.PENDING:
        return notification.email_status.value
    frequency = queries.frequency_for(notification.user_id, notification.kind)
    if frequency == NotificationFrequency.DAILY:
        return "daily"  # the digest will carry it
    user = notification.user
    if frequency == NotificationFrequency.NEVER or not user.email or not user.is_enabled:
        operations.mark_skipped([notification_id])
        db.session.commit()
        return "skipped"
    if not operations.claim_for_sending([notification_id]):
        db.session.rollback()
        return "claimed"  # another worker has it
    db.session.commit()
    _send_claimed(user, [notification_id], digest=False)
    return "sent"


def send_digest(user_id: int) -> int:
    """E-mail ``user_id`` one digest of their pending daily notifications; returns how many it held."""
    from convention.members.models import User

    user = db.session.get(User, user_id)
    ids = queries.list_pending_daily_ids(user_id)
    if user is None or not ids:
        return 0
    if not user.email or not user.is_enabled:
        operations.mark_skipped(ids)
        db.session.commit()
        return 0
    claimed = operations.claim_for_sending(ids)
    db.session.commit()
    if not claimed:
        return 0
    _send_claimed(user, claimed, digest=True)
    return len(claimed)


def sweep_pending(celery_app: Celery, min_age: dt.timedelta = SWEEP_MIN_AGE) -> int:
    """Queue the delivery of pending immediate notifications older than ``min_age``.

    They are those whose dispatch was lost (broker down when the action committed) or whose
    sending failed for good; rows claimed by a worker that died are released first.
    """
    now = utcnow()
    released = operations.release_stale_claims(now - STALE_CLAIM_AGE)
    db.session.commit()
    if released:
        logger.warning("%d notification(s) left in 'sending' by a dead worker released", released)
    ids = queries.list_pending_immediate_ids(now - min_age)
    task = celery_app.tasks[DELIVER_TASK]
    for notification_id in ids:
        task.delay(notification_id)
    return len(ids)


def queue_daily_digests(celery_app: Celery) -> int:
    """Queue one digest task per user with daily notifications waiting (and purge old links)."""
    purged = purge_expired_unsubscribe_tokens()
    db.session.commit()
    if purged:
        logger.info("%d expired unsubscribe link(s) deleted", purged)
    user_ids = queries.list_digest_user_ids()
    task = celery_app.tasks[DIGEST_TASK]
    for user_id in user_ids:
        task.delay(user_id)
    return len(user_ids)
