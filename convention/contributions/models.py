"""Contributions sent by members, sections and federations."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convention.core.db import Model, UTCDateTime, str_enum, utcnow
from convention.domain.lifecycle import ContributionStatus


class Channel(enum.StrEnum):
    PLATFORM = "platform"
    EMAIL = "email"


CHANNEL_LABELS = {Channel.PLATFORM: "Plateforme", Channel.EMAIL: "Courriel"}

STATUS_LABELS = {
    ContributionStatus.SUBMITTED: "Déposée",
    ContributionStatus.UNDER_REVIEW: "En examen",
    ContributionStatus.INTEGRATED: "Intégrée",
    ContributionStatus.PARTIALLY_INTEGRATED: "Partiellement intégrée",
    ContributionStatus.NOT_RETAINED: "Non retenue",
    ContributionStatus.WITHDRAWN: "Retirée",
}


class Contribution(Model):
    __tablename__ = "contribution"

    id: Mapped[int] = mapped_column(primary_key=True)
    convention_id: Mapped[int] = mapped_column(sa.ForeignKey("convention.id"), index=True)
    working_group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("working_group.id"))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel))
    number: Mapped[int | None]  # as printed in the convention's lists
    title: Mapped[str] = mapped_column(sa.String(400))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    author_name: Mapped[str] = mapped_column(sa.String(200), default="")
    author_member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("member.id"))
    section_id: Mapped[int | None] = mapped_column(sa.ForeignKey("section.id"))
    federation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("federation.id"))
    # Free-text unit names kept from the source when no Section/Federation row matches.
    section_name: Mapped[str] = mapped_column(sa.String(160), default="")
    federation_name: Mapped[str] = mapped_column(sa.String(120), default="")
    adopted_on: Mapped[dt.date | None]  # date of the unit meeting that adopted it
    status: Mapped[ContributionStatus] = mapped_column(
        str_enum(ContributionStatus), default=ContributionStatus.SUBMITTED
    )
    submitted_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    convention = relationship("Convention")
    working_group = relationship("WorkingGroup")
    author_member = relationship("Member")
    section = relationship("Section")
    federation = relationship("Federation")

    __table_args__ = (
        sa.UniqueConstraint("convention_id", "channel", "number"),
    )

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def channel_label(self) -> str:
        return CHANNEL_LABELS[self.channel]

    @property
    def unit_label(self) -> str:
        """The section or federation the contribution speaks for, if any."""
        if self.section is not None:
            return f"Section {self.section.name}"
        if self.section_name:
            return f"Section {self.section_name}"
        if self.federation is not None:
            return self.federation.title
        if self.federation_name:
            return f"Fédération {self.federation_name}"
        return ""

    def __repr__(self) -> str:
        return f"<Contribution {self.channel} {self.number}>"
