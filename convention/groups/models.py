"""People named by the convention, its steering roles and its working groups."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convention.core.db import Model, UTCDateTime, str_enum, utcnow
from convention.domain.roles import Role


class Person(Model):
    """Someone the convention names: a pilot, a committee member, an expert heard.

    Not necessarily a member; linked to a Member when they are one.
    """

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(sa.String(160), unique=True)
    first_name: Mapped[str] = mapped_column(sa.String(80), default="")
    last_name: Mapped[str] = mapped_column(sa.String(80), default="")
    titles: Mapped[str] = mapped_column(sa.Text, default="")
    organisation: Mapped[str] = mapped_column(sa.String(300), default="")
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("member.id"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    member = relationship("Member")
    user = relationship("User")

    @property
    def display_name(self) -> str:
        if self.first_name and self.last_name:
            return f"{self.first_name} {self.last_name}"
        return self.full_name

    def __repr__(self) -> str:
        return f"<Person {self.full_name}>"


class SteeringRoleKind(enum.StrEnum):
    PILOT = "pilot"
    CO_PILOT = "co_pilot"
    COMMITTEE = "committee"


class SteeringRole(Model):
    """A person's place in the convention's steering, as the document writes it."""

    __tablename__ = "steering_role"

    id: Mapped[int] = mapped_column(primary_key=True)
    convention_id: Mapped[int] = mapped_column(sa.ForeignKey("convention.id"), index=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"))
    kind: Mapped[SteeringRoleKind] = mapped_column(str_enum(SteeringRoleKind))
    label: Mapped[str] = mapped_column(sa.String(160))
    representing: Mapped[str] = mapped_column(sa.String(120), default="")
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    position: Mapped[int] = mapped_column(default=0)

    person: Mapped[Person] = relationship()
    convention = relationship("Convention")

    __table_args__ = (sa.UniqueConstraint("convention_id", "person_id", "kind"),)


class WorkingGroup(Model):
    __tablename__ = "working_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    convention_id: Mapped[int] = mapped_column(sa.ForeignKey("convention.id"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(400))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    convention = relationship("Convention")
    animators: Mapped[list[WorkingGroupAnimator]] = relationship(
        back_populates="working_group",
        order_by="WorkingGroupAnimator.position",
        cascade="all, delete-orphan",
    )

    __table_args__ = (sa.UniqueConstraint("convention_id", "number"),)

    @property
    def animator_people(self) -> list[Person]:
        return [a.person for a in self.animators]

    def can_moderate(self, user) -> bool:
        """Pilots of this group, the steering committee and the Bureau national moderate it."""
        if not (user and user.is_authenticated):
            return False
        return (
            user.has_role(Role.PILOT, working_group_id=self.id)
            or user.has_role(Role.COMMITTEE, convention_id=self.convention_id)
            or user.has_role(Role.NATIONAL_BUREAU)
        )

    def can_follow(self, user) -> bool:
        """Any signed-in member may follow a group (its new events are notified to them)."""
        return bool(user and user.is_authenticated)

    def __repr__(self) -> str:
        return f"<WorkingGroup {self.number}>"


class WorkingGroupAnimator(Model):
    __tablename__ = "working_group_animator"

    id: Mapped[int] = mapped_column(primary_key=True)
    working_group_id: Mapped[int] = mapped_column(sa.ForeignKey("working_group.id"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"))
    position: Mapped[int] = mapped_column(default=0)

    working_group: Mapped[WorkingGroup] = relationship(back_populates="animators")
    person: Mapped[Person] = relationship()

    __table_args__ = (sa.UniqueConstraint("working_group_id", "person_id"),)


class GroupFollow(Model):
    """A member follows a working group: each new event of the group is notified to them."""

    __tablename__ = "group_follow"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    working_group_id: Mapped[int] = mapped_column(sa.ForeignKey("working_group.id"), index=True)
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User")
    working_group: Mapped[WorkingGroup] = relationship()

    __table_args__ = (sa.UniqueConstraint("user_id", "working_group_id"),)

    def __repr__(self) -> str:
        return f"<GroupFollow user={self.user_id} group={self.working_group_id}>"
