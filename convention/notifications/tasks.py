"""Celery tasks of the notifications: they take ids, reload, send, and commit their own work."""

from __future__ import annotations

import smtplib

from celery import shared_task

from convention.notifications import delivery

# Transient failures: the SMTP server or the network. The row stays pending meanwhile.
RETRY_ON = (smtplib.SMTPException, ConnectionError, OSError)


@shared_task(
    name=delivery.DELIVER_TASK,
    bind=True,
    acks_late=True,
    autoretry_for=RETRY_ON,
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def deliver_notification(self, notification_id: int) -> str:
    """E-mail one notification (idempotent: a sent one is not sent again)."""
    return delivery.deliver(notification_id)


@shared_task(
    name=delivery.DIGEST_TASK,
    bind=True,
    acks_late=True,
    autoretry_for=RETRY_ON,
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def send_digest(self, user_id: int) -> int:
    """E-mail one user's daily digest of their pending daily notifications."""
    return delivery.send_digest(user_id)


@shared_task(name="convention.notifications.deliver_pending_notifications", bind=True, acks_late=True)
def deliver_pending_notifications(self, min_age_seconds: int = 60) -> int:
    """Beat, every minute: queue the pending immediate notifications older than a minute."""
    import datetime as dt

    return delivery.sweep_pending(self.app, dt.timedelta(seconds=min_age_seconds))


@shared_task(name="convention.notifications.send_daily_digests", bind=True, acks_late=True)
def send_daily_digests(self) -> int:
    """Beat, every evening: queue one digest per user with daily notifications waiting."""
    return delivery.queue_daily_digests(self.app)
