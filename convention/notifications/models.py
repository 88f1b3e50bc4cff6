"""Notifications: written in the same transaction as the action that causes them (an outbox)."""

from __future__ import annotations

import datetime as dt
import enum

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


NOTIFICATION_KIND_LABELS = {
    NotificationKind.CONTRIBUTION_DECISION: "Décision sur une contribution",
    NotificationKind.AMENDMENT_DECISION: "Décision sur un amendement",
    NotificationKind.COSIGNATURE_REQUEST: "Demande de cosignature",
    NotificationKind.GROUP_EVENT: "Nouveau rendez-vous d'un groupe suivi",
    NotificationKind.EVENT_REMINDER: "Rappel d'un rendez-vous",
    NotificationKind.TEXT_VERSION: "Nouvelle version du texte",
    NotificationKind.POLL: "Scrutin",
    NotificationKind.ACCOUNT: "Compte",
}


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

    user = relationship("User")

    @property
    def is_read(self) -> bool:
        return self.read_dt is not None

    @property
    def kind_label(self) -> str:
        return NOTIFICATION_KIND_LABELS[self.kind]
