"""The convention's calendar: hearings, group meetings, federation meetings, debates, workshops."""

from __future__ import annotations

import datetime as dt
import enum
import zoneinfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convention.core.db import Model, UTCDateTime, str_enum, utcnow

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
    federation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("federation.id"))
    federation_name: Mapped[str] = mapped_column(sa.String(120), default="")
    # Set for events imported from the convention's document, so that re-seeding finds them.
    seed_key: Mapped[str | None] = mapped_column(sa.String(40))
    position: Mapped[int] = mapped_column(default=0)
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    convention = relationship("Convention")
    federation = relationship("Federation")
    working_groups = relationship(
        "WorkingGroup", secondary=event_working_group, order_by="WorkingGroup.number"
    )
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
    def kind_label(self) -> str:
        return EVENT_KIND_LABELS[self.kind]

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
