"""A convention and its dated phases."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convention.core.db import Model, UTCDateTime, str_enum, utcnow
from convention.domain.phases import PhaseKind, PhaseSpan, current_phase
from convention.domain.roles import Role

PHASE_LABELS = {
    PhaseKind.WORKING_GROUPS: "Groupes de travail",
    PhaseKind.CONTRIBUTIONS: "Contributions",
    PhaseKind.AMENDMENTS: "Amendements",
    PhaseKind.NATIONAL_BUREAU: "Bureau national",
    PhaseKind.MEMBERS_VOTE: "Vote militant",
    PhaseKind.CONVENTION_DAY: "Journée de la convention",
    PhaseKind.ADOPTED_TEXT: "Texte adopté",
}


class Convention(Model):
    __tablename__ = "convention"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    short_title: Mapped[str] = mapped_column(sa.String(120))
    initiator: Mapped[str] = mapped_column(sa.String(160), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    phase_override: Mapped[PhaseKind | None] = mapped_column(str_enum(PhaseKind))
    # Co-signatures that make a member's amendment admissible (a unit's amendment needs none).
    amendment_cosignatures_required: Mapped[int] = mapped_column(default=5, server_default="5")
    # The convention `/` shows (the Bureau national chooses it; one at a time).
    is_featured: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # None while the Bureau national sets it up in the wizard: then nobody else sees it.
    published_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    phases: Mapped[list[Phase]] = relationship(
        back_populates="convention", order_by="Phase.position", cascade="all, delete-orphan"
    )

    @property
    def is_published(self) -> bool:
        return self.published_dt is not None

    def is_archived(self, today: dt.date) -> bool:
        """True once the text is adopted: the convention is over, its pages stay readable."""
        return self.current_phase_kind(today) == PhaseKind.ADOPTED_TEXT

    def phase_spans(self) -> list[PhaseSpan]:
        return [PhaseSpan(p.kind, p.starts_on, p.ends_on) for p in self.phases]

    def current_phase_kind(self, today: dt.date) -> PhaseKind | None:
        """The phase in force today: the Bureau national's override, else derived from dates."""
        return current_phase(self.phase_spans(), today, self.phase_override)

    def current_phase(self, today: dt.date) -> Phase | None:
        kind = self.current_phase_kind(today)
        return next((p for p in self.phases if p.kind == kind), None)

    def phase(self, kind: PhaseKind) -> Phase | None:
        return next((p for p in self.phases if p.kind == kind), None)

    def can_manage_phases(self, user) -> bool:
        """Only the Bureau national runs the phases."""
        return bool(user and user.is_authenticated and user.has_role(Role.NATIONAL_BUREAU))

    def is_steering(self, user) -> bool:
        """True for the steering committee of this convention (and the Bureau national)."""
        if not (user and user.is_authenticated):
            return False
        return user.has_role(Role.COMMITTEE, convention_id=self.id) or user.has_role(
            Role.NATIONAL_BUREAU
        )

    def __repr__(self) -> str:
        return f"<Convention {self.slug}>"


class Phase(Model):
    __tablename__ = "phase"

    id: Mapped[int] = mapped_column(primary_key=True)
    convention_id: Mapped[int] = mapped_column(sa.ForeignKey("convention.id"), index=True)
    kind: Mapped[PhaseKind] = mapped_column(str_enum(PhaseKind))
    position: Mapped[int]
    starts_on: Mapped[dt.date]
    ends_on: Mapped[dt.date | None]
    description: Mapped[str] = mapped_column(sa.Text, default="")

    convention: Mapped[Convention] = relationship(back_populates="phases")

    __table_args__ = (
        sa.UniqueConstraint("convention_id", "kind"),
        sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates_ordered"),
    )

    @property
    def label(self) -> str:
        return PHASE_LABELS[self.kind]

    def __repr__(self) -> str:
        return f"<Phase {self.kind} {self.starts_on}>"
