"""The convention's calendar: hearings, group meetings, federation meetings, debates, workshops."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import secrets
import zoneinfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convention.core.db import Model, UTCDateTime, str_enum, utcnow
from convention.domain.roles import Role

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


class EventKind(enum.StrEnum):
    HEARING = "hearing"  # audition
    WORKING_GROUP = "working_group"  # réunion de groupe de travail
    FEDERATION_MEETING = "federation_meeting"  # rencontre fédérale
    DEBATE = "debate"  # débat
    WORKSHOP = "workshop"  # atelier
    OTHER = "other"  # autre


EVENT_KIND_LABELS = {
    EventKind.HEARING: "Audition",
    EventKind.WORKING_GROUP: "Groupe de travail",
    EventKind.FEDERATION_MEETING: "Rencontre fédérale",
    EventKind.DEBATE: "Débat",
    EventKind.WORKSHOP: "Atelier",
    EventKind.OTHER: "Autre",
}


class RegistrationStatus(enum.StrEnum):
    REGISTERED = "registered"  # inscrit·e, a seat is held
    WAITING = "waiting"  # en liste d'attente
    CANCELLED = "cancelled"  # désinscrit·e


REGISTRATION_STATUS_LABELS = {
    RegistrationStatus.REGISTERED: "Inscrit·e",
    RegistrationStatus.WAITING: "En liste d'attente",
    RegistrationStatus.CANCELLED: "Inscription annulée",
}


class EventPersonRole(enum.StrEnum):
    HOST = "host"  # the pilots or party people who lead the meeting
    EXPERT = "expert"  # the person heard


event_working_group = sa.Table(
    "event_working_group",
    Model.metadata,
    sa.Column("event_id", sa.ForeignKey("event.id"), primary_key=True),
    sa.Column("working_group_id", sa.ForeignKey("working_group.id"), primary_key=True),
)


class Event(Model):
    __tablename__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True)
    convention_id: Mapped[int] = mapped_column(sa.ForeignKey("convention.id"), index=True)
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind))
    title: Mapped[str] = mapped_column(sa.String(400))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # An all-day event starts at local midnight; the day is what the calendar shows.
    starts_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    ends_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    is_all_day: Mapped[bool] = mapped_column(default=True)
    part_of_day: Mapped[str] = mapped_column(sa.String(20), default="")
    place: Mapped[str] = mapped_column(sa.String(300), default="")
    # A remote (or hybrid) meeting: the video-conference link.
    online_url: Mapped[str] = mapped_column(sa.String(500), default="")
    # Seats; None means no limit. Registrations beyond it go on the waiting list.
    capacity: Mapped[int | None]
    # Published after the event (Markdown, rendered sanitised): the minutes and, for a
    # hearing, what the expert said.
    minutes: Mapped[str] = mapped_column(sa.Text, default="")
    hearing_summary: Mapped[str] = mapped_column(sa.Text, default="")
    minutes_published_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    federation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("federation.id"))
    federation_name: Mapped[str] = mapped_column(sa.String(120), default="")
    # Set for events imported from the convention's document, so that re-seeding finds them.
    seed_key: Mapped[str | None] = mapped_column(sa.String(40))
    position: Mapped[int] = mapped_column(default=0)
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, onupdate=utcnow)

    convention = relationship("Convention")
    federation = relationship("Federation")
    working_groups = relationship("WorkingGroup", secondary=event_working_group, order_by="WorkingGroup.number")
    participants: Mapped[list[EventPerson]] = relationship(
        back_populates="event", order_by="EventPerson.position", cascade="all, delete-orphan"
    )

    __table_args__ = (sa.UniqueConstraint("convention_id", "seed_key"),)

    @property
    def local_start(self) -> dt.datetime:
        return self.starts_dt.astimezone(PARIS)

    @property
    def day(self) -> dt.date:
        return self.local_start.date()

    @property
    def local_end(self) -> dt.datetime | None:
        return self.ends_dt.astimezone(PARIS) if self.ends_dt is not None else None

    @property
    def last_modified_dt(self) -> dt.datetime:
        return self.updated_dt or self.created_dt

    @property
    def kind_label(self) -> str:
        return EVENT_KIND_LABELS[self.kind]

    @property
    def is_hearing(self) -> bool:
        return self.kind == EventKind.HEARING

    @property
    def is_remote(self) -> bool:
        return bool(self.online_url)

    @property
    def has_minutes(self) -> bool:
        return bool(self.minutes.strip() or self.hearing_summary.strip())

    def has_started(self, now: dt.datetime) -> bool:
        """True once the event has begun (all-day events: from local midnight)."""
        return self.starts_dt <= now

    def is_steering(self, user) -> bool:
        """The steering committee of the event's convention and the Bureau national."""
        return bool(self.convention is not None and self.convention.is_steering(user))

    def is_federation_organiser(self, user) -> bool:
        """A federation's first secretary organises its « rencontres fédérales »."""
        return bool(
            user
            and user.is_authenticated
            and self.kind == EventKind.FEDERATION_MEETING
            and self.federation_id is not None
            and user.has_role(Role.FEDERATION_SECRETARY, federation_id=self.federation_id)
        )

    def can_edit(self, user) -> bool:
        """Pilots of one of the event's groups, the steering committee, the Bureau national and,
        for a federation meeting, that federation's first secretary."""
        if not (user and user.is_authenticated):
            return False
        if self.is_steering(user):
            return True
        if any(group.can_moderate(user) for group in self.working_groups):
            return True
        return self.is_federation_organiser(user)

    def can_manage_registrations(self, user) -> bool:
        """The organisers see who registered, export the list and write to the registrants."""
        return self.can_edit(user)

    def can_publish_minutes(self, user) -> bool:
        """Whoever may edit the event publishes its minutes."""
        return self.can_edit(user)

    @property
    def hosts(self) -> list:
        return [p.person for p in self.participants if p.role == EventPersonRole.HOST]

    @property
    def experts(self) -> list:
        return [p.person for p in self.participants if p.role == EventPersonRole.EXPERT]

    @staticmethod
    def local_midnight(day: dt.date) -> dt.datetime:
        """Midnight in Paris on ``day``, in UTC."""
        return dt.datetime.combine(day, dt.time(0, 0), tzinfo=PARIS).astimezone(dt.UTC)

    def __repr__(self) -> str:
        return f"<Event {self.day} {self.kind}>"


class EventPerson(Model):
    __tablename__ = "event_person"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id"), index=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"))
    role: Mapped[EventPersonRole] = mapped_column(str_enum(EventPersonRole))
    position: Mapped[int] = mapped_column(default=0)

    event: Mapped[Event] = relationship(back_populates="participants")
    person = relationship("Person")

    __table_args__ = (sa.UniqueConstraint("event_id", "person_id", "role"),)


class EventRegistration(Model):
    """A member's registration for an event: a seat, a place on the waiting list, or cancelled.

    One row per (event, user): cancelling and registering again reuses it, so that a double
    submission hits the unique constraint instead of creating a second seat.
    """

    __tablename__ = "event_registration"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    status: Mapped[RegistrationStatus] = mapped_column(str_enum(RegistrationStatus))
    # Order of arrival: the waiting list is served by increasing position.
    position: Mapped[int] = mapped_column(default=0)
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, onupdate=utcnow)

    event: Mapped[Event] = relationship()
    user = relationship("User")

    __table_args__ = (sa.UniqueConstraint("event_id", "user_id"),)

    @property
    def status_label(self) -> str:
        return REGISTRATION_STATUS_LABELS[self.status]

    @property
    def is_active(self) -> bool:
        return self.status != RegistrationStatus.CANCELLED

    def __repr__(self) -> str:
        return f"<EventRegistration event={self.event_id} user={self.user_id} {self.status}>"


class CalendarFeedToken(Model):
    """The secret of a member's private calendar feed (``/calendrier/flux/<secret>.ics``).

    One per user; regenerating replaces the secret, so the old address stops working. Only
    the secret's SHA-256 is stored: the address is shown once, when it is created.
    """

    __tablename__ = "calendar_feed_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User")

    # The secret itself, only on the object the operation that created it returns.
    plain_secret = None

    @staticmethod
    def new_secret() -> str:
        return secrets.token_urlsafe(32)

    @staticmethod
    def hash(secret: str) -> str:
        return hashlib.sha256(secret.encode("utf-8")).hexdigest()
