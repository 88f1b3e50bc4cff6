"""Contributions sent by members, sections and federations."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convention.core.db import Model, UTCDateTime, str_enum, utcnow
from convention.domain.lifecycle import CONTRIBUTION_TRANSITIONS, ContributionStatus
from convention.domain.phases import PhaseKind, is_open
from convention.domain.roles import Role


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


DECIDED_STATUSES = frozenset(
    {
        ContributionStatus.INTEGRATED,
        ContributionStatus.PARTIALLY_INTEGRATED,
        ContributionStatus.NOT_RETAINED,
    }
)
# The decisions after which a pilot links the contribution to the text it shaped.
INTEGRATED_STATUSES = frozenset(
    {ContributionStatus.INTEGRATED, ContributionStatus.PARTIALLY_INTEGRATED}
)


def _authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def submissions_open(convention, today: dt.date) -> bool:
    """Are contributions received on ``today``?

    When the Bureau national forces a phase, contributions are open only if it forced the
    contributions phase; otherwise the contributions phase must be running by its dates
    (it may overlap the working groups' phase).
    """
    if convention is None:
        return False
    if convention.phase_override is not None:
        return convention.phase_override == PhaseKind.CONTRIBUTIONS
    return is_open(convention.phase_spans(), PhaseKind.CONTRIBUTIONS, today)


def secretary_units(user) -> list:
    """The sections and federations ``user`` may speak for (as their secretary)."""
    if not _authenticated(user):
        return []
    units = []
    for assignment in user.roles:
        if assignment.role == Role.SECTION_SECRETARY and assignment.section is not None:
            units.append(assignment.section)
        elif assignment.role == Role.FEDERATION_SECRETARY and assignment.federation is not None:
            units.append(assignment.federation)
    return units


def can_submit(user, convention, today: dt.date) -> bool:
    """A member (or a secretary for their unit) may submit while contributions are open."""
    if not _authenticated(user):
        return False
    if user.member_id is None and not secretary_units(user):
        return False
    return submissions_open(convention, today)


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
    # False for contributions carried over from a document that does not date them:
    # ``submitted_dt`` is then only when they were recorded, not when they were received.
    submitted_date_known: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # The account that submitted it on the platform (a member, or a secretary for their unit).
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    updated_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The pilot's written answer and who decided, when (set by each moderation decision).
    answer: Mapped[str] = mapped_column(sa.Text, default="")
    decided_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # Optional attachment (PDF, ODT or DOCX), stored outside the static files under a random name.
    attachment_name: Mapped[str] = mapped_column(sa.String(255), default="")  # as uploaded
    attachment_storage: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    attachment_kind: Mapped[str] = mapped_column(sa.String(8), default="")  # pdf | odt | docx
    attachment_size: Mapped[int | None]

    convention = relationship("Convention")
    working_group = relationship("WorkingGroup")
    author_member = relationship("Member")
    section = relationship("Section")
    federation = relationship("Federation")
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    # One number per contribution within a convention, whatever its channel.
    __table_args__ = (sa.UniqueConstraint("convention_id", "number"),)

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

    @property
    def is_decided(self) -> bool:
        return self.status in DECIDED_STATUSES

    @property
    def is_integrated(self) -> bool:
        return self.status in INTEGRATED_STATUSES

    @property
    def has_attachment(self) -> bool:
        return bool(self.attachment_storage)

    def is_submitter(self, user) -> bool:
        """The account that submitted it, or the member who wrote a personal contribution."""
        if not _authenticated(user):
            return False
        if self.submitted_by_id is not None and self.submitted_by_id == user.id:
            return True
        return (
            self.author_member_id is not None
            and self.section_id is None
            and self.federation_id is None
            and user.member_id == self.author_member_id
        )

    def is_unit_secretary(self, user) -> bool:
        """The secretary of the section or federation the contribution speaks for."""
        if not _authenticated(user):
            return False
        if self.section_id is not None:
            return user.has_role(Role.SECTION_SECRETARY, section_id=self.section_id)
        if self.federation_id is not None:
            return user.has_role(Role.FEDERATION_SECRETARY, federation_id=self.federation_id)
        return False

    def is_author_side(self, user) -> bool:
        return self.is_submitter(user) or self.is_unit_secretary(user)

    def can_moderate(self, user) -> bool:
        """Pilots of the target group (else the steering committee), and the Bureau national."""
        if not _authenticated(user):
            return False
        if self.working_group is not None:
            return self.working_group.can_moderate(user)
        return self.convention.is_steering(user)

    def can_edit(self, user) -> bool:
        """Its author may change it until examination starts (the phase is checked apart)."""
        return (
            self.channel == Channel.PLATFORM
            and self.status == ContributionStatus.SUBMITTED
            and self.is_author_side(user)
        )

    def can_withdraw(self, user) -> bool:
        return ContributionStatus.WITHDRAWN in CONTRIBUTION_TRANSITIONS[
            self.status
        ] and self.is_author_side(user)

    def can_view_content(self, user) -> bool:
        """Contributions are public; once withdrawn, only its authors and moderators read it."""
        if self.status != ContributionStatus.WITHDRAWN:
            return True
        return self.is_author_side(user) or self.can_moderate(user)

    def __repr__(self) -> str:
        return f"<Contribution {self.channel} {self.number}>"
