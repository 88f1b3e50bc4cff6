"""E-mail delivery of notifications: unsubscribe tokens, messages, and the units of work of the tasks.

Each function below that changes the database commits itself: it is the body of a Celery
task (``tasks.py``), which runs inside the application context.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from celery import Celery
from flask import current_app, url_for
from flask_mail import Message
from itsdangerous import BadSignature, URLSafeSerializer

from convention.core.db import db, utcnow
from convention.extensions import mail
from convention.notifications import operations, queries
from convention.notifications.models import (
    NOTIFICATION_KIND_LABELS,
    EmailStatus,
    Notification,
    NotificationFrequency,
    NotificationKind,
)

logger = logging.getLogger(__name__)

DELIVER_TASK = "convention.notifications.deliver_notification"
DIGEST_TASK = "convention.notifications.send_digest"
SWEEP_MIN_AGE = dt.timedelta(minutes=1)
# A row still "sending" after this long belongs to a worker that died: it is sent again.
STALE_CLAIM_AGE = dt.timedelta(minutes=10)
_TOKEN_SALT = "notification-unsubscribe"


# ---------------------------------------------------------------- unsubscribe tokens


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_TOKEN_SALT)


def unsubscribe_token(user_id: int, kinds: list[NotificationKind]) -> str:
    """A signed, non-expiring token that turns off the e-mails of ``kinds`` for ``user_id``."""
    return _serializer().dumps({"u": user_id, "k": sorted({kind.value for kind in kinds})})


def read_unsubscribe_token(token: str) -> tuple[int, list[NotificationKind]] | None:
    """The user id and kinds of a token, or None if it is forged, altered or malformed."""
    try:
        data = _serializer().loads(token)
        return int(data["u"]), [NotificationKind(value) for value in data["k"]]
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute URL on ``PUBLIC_BASE_URL`` (the same from a worker and from a request)."""
    base_url = current_app.config.get("PUBLIC_BASE_URL") or "http://localhost:5000"
    with current_app.test_request_context(base_url=base_url):
        return url_for(endpoint, _external=True, **values)


def unsubscribe_url(user_id: int, kinds: list[NotificationKind]) -> str:
    return external_url("notifications.unsubscribe", token=unsubscribe_token(user_id, kinds))


# ---------------------------------------------------------------- messages


def _render(name: str, **context: Any) -> str:
    # Not ``render_template``: its context processors query the database and need a request.
    return current_app.jinja_env.get_template(name).render(**context)


def _absolute(url: str) -> str:
    if url.startswith("/") and not url.startswith("//"):
        base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
        return base + url
    return url


def build_message(user, notifications: list[Notification], *, digest: bool) -> Message:
    """The French text + HTML e-mail for one notification or a daily digest of several."""
    kinds = sorted({n.kind for n in notifications})
    link = unsubscribe_url(user.id, kinds)
    items = [
        {
            "subject": n.subject,
            "body": n.body,
            "url": _absolute(n.url) if n.url else "",
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
    """Queue one digest task per user with daily notifications waiting."""
    user_ids = queries.list_digest_user_ids()
    task = celery_app.tasks[DIGEST_TASK]
    for user_id in user_ids:
        task.delay(user_id)
    return len(user_ids)
