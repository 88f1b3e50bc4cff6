"""Notifications: written in the same transaction as the action that causes them (an outbox)."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import secrets

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convention.core.db import Model, UTCDateTime, str_enum, utcnow


class NotificationKind(enum.StrEnum):
    CONTRIBUTION_DECISION = "contribution_decision"
    AMENDMENT_DECISION = "amendment_decision"
    COSIGNATURE_REQUEST = "cosignature_request"
    GROUP_EVENT = "group_event"
    EVENT_REMINDER = "event_reminder"
    TEXT_VERSION = "text_version"
    POLL = "poll"
    ACCOUNT = "account"
    PHASE = "phase"


NOTIFICATION_KIND_LABELS = {
    NotificationKind.CONTRIBUTION_DECISION: "Décision sur une contribution",
    NotificationKind.AMENDMENT_DECISION: "Décision sur un amendement",
    NotificationKind.COSIGNATURE_REQUEST: "Demande de cosignature",
    NotificationKind.GROUP_EVENT: "Nouveau rendez-vous d'un groupe suivi",
    NotificationKind.EVENT_REMINDER: "Rappel d'un rendez-vous",
    NotificationKind.TEXT_VERSION: "Nouvelle version du texte",
    NotificationKind.POLL: "Scrutin",
    NotificationKind.ACCOUNT: "Compte",
    NotificationKind.PHASE: "Nouvelle étape de la convention",
}


class NotificationFrequency(enum.StrEnum):
    IMMEDIATELY = "immediately"
    DAILY = "daily"
    NEVER = "never"


NOTIFICATION_FREQUENCY_LABELS = {
    NotificationFrequency.IMMEDIATELY: "Immédiatement",
    NotificationFrequency.DAILY: "Dans un résumé quotidien",
    NotificationFrequency.NEVER: "Jamais",
}


class EmailStatus(enum.StrEnum):
    PENDING = "pending"  # to be e-mailed (immediately or in the next digest)
    SENDING = "sending"  # claimed by a worker; back to pending if that worker dies
    SENT = "sent"
    SKIPPED = "skipped"  # no e-mail wanted (preference "never", no usable address)


class Notification(Model):
    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    kind: Mapped[NotificationKind] = mapped_column(str_enum(NotificationKind))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    url: Mapped[str] = mapped_column(sa.String(500), default="")
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    read_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # E-mail delivery (the outbox): a task claims a pending row, sends it and marks it sent.
    email_status: Mapped[EmailStatus] = mapped_column(
        str_enum(EmailStatus), default=lambda: EmailStatus.PENDING, index=True
    )
    # When the last attempt started (while sending), then when the e-mail was sent.
    emailed_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)

    user = relationship("User")

    @property
    def is_read(self) -> bool:
        return self.read_dt is not None

    @property
    def kind_label(self) -> str:
        return NOTIFICATION_KIND_LABELS[self.kind]


class NotificationPreference(Model):
    """How a user wants to receive the e-mails of one kind of notification (default: immediately)."""

    __tablename__ = "notification_preference"
    __table_args__ = (sa.UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    kind: Mapped[NotificationKind] = mapped_column(str_enum(NotificationKind))
    frequency: Mapped[NotificationFrequency] = mapped_column(
        str_enum(NotificationFrequency), default=lambda: NotificationFrequency.IMMEDIATELY
    )


class UnsubscribeToken(Model):
    """The link « ne plus recevoir ces courriels » of one e-mail: only its SHA-256 is stored.

    It does one thing (turn off the e-mails of ``kinds`` for ``user_id``) and expires after a
    year (``UNSUBSCRIBE_TOKEN_DAYS``); expired rows are purged with the daily digests.
    """

    __tablename__ = "unsubscribe_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    kinds: Mapped[str] = mapped_column(sa.String(400))  # NotificationKind values, comma-separated
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)

    @staticmethod
    def new_secret() -> str:
        return secrets.token_urlsafe(32)

    @staticmethod
    def hash(secret: str) -> str:
        return hashlib.sha256(secret.encode("utf-8")).hexdigest()

    @property
    def kind_list(self) -> list[NotificationKind]:
        return [NotificationKind(value) for value in self.kinds.split(",") if value]

