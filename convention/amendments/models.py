"""Amendments, their co-signatures, clusters (« discussion commune »), steps and chapter assignments.

An amendment is written on one version of the text and anchored to one block by the block's
stable anchor, a character span inside the block's text (whitespace runs read as one space),
the exact words it quotes and a little context around them (prefix and suffix, as Web
Annotation's TextQuoteSelector), so that it can be found again when the text changes.
"""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convention.core.db import Model, UTCDateTime, str_enum, utcnow
from convention.domain.amendments import (
    AMENDMENT_TRANSITIONS,
    KIND_LABELS,
    OPEN_STATUSES,
    OPINION_LABELS,
    STATUS_LABELS,
    AmendmentKind,
    AmendmentStatus,
    Anchor,
    Opinion,
)
from convention.domain.consolidation import BlockChange
from convention.domain.phases import PhaseKind, is_open
from convention.domain.roles import Role


class RectificationState(enum.StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REFUSED = "refused"


RECTIFICATION_LABELS = {
    RectificationState.PROPOSED: "Rectification proposée, en attente de l'auteur",
    RectificationState.ACCEPTED: "Rectification acceptée par l'auteur",
    RectificationState.REFUSED: "Rectification refusée par l'auteur",
}


class StepKind(enum.StrEnum):
    """One entry of an amendment's public history."""

    SUBMITTED = "submitted"
    ADMISSIBLE = "admissible"
    INADMISSIBLE = "inadmissible"
    OPINION = "opinion"
    RECTIFICATION_ACCEPTED = "rectification_accepted"
    RECTIFICATION_REFUSED = "rectification_refused"
    ADOPTED = "adopted"
    ADOPTED_MODIFIED = "adopted_modified"
    MERGED = "merged"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    MAINTAINED = "maintained"
    RECONSIDERED = "reconsidered"  # the committee went back on an adoption


STEP_LABELS = {
    StepKind.SUBMITTED: "Déposé",
    StepKind.ADMISSIBLE: "Déclaré recevable",
    StepKind.INADMISSIBLE: "Déclaré irrecevable",
    StepKind.OPINION: "Avis du comité",
    StepKind.RECTIFICATION_ACCEPTED: "Rectification acceptée par l'auteur",
    StepKind.RECTIFICATION_REFUSED: "Rectification refusée par l'auteur",
    StepKind.ADOPTED: "Adopté",
    StepKind.ADOPTED_MODIFIED: "Adopté avec modification",
    StepKind.MERGED: "Intégré dans un amendement de synthèse",
    StepKind.REJECTED: "Rejeté",
    StepKind.WITHDRAWN: "Retiré",
    StepKind.MAINTAINED: "Maintenu pour la journée de la convention",
    StepKind.RECONSIDERED: "Retour sur la décision : de nouveau en examen",
}

DEFAULT_COSIGNATURES_REQUIRED = 5

STATUS_TONES = {
    AmendmentStatus.SUBMITTED: "neutral",
    AmendmentStatus.ADMISSIBLE: "info",
    AmendmentStatus.INADMISSIBLE: "warning",
    AmendmentStatus.ADOPTED: "success",
    AmendmentStatus.ADOPTED_MODIFIED: "success",
    AmendmentStatus.MERGED: "info",
    AmendmentStatus.REJECTED: "warning",
    AmendmentStatus.WITHDRAWN: "neutral",
    AmendmentStatus.MAINTAINED: "accent",
}


def _authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def amendments_open(convention, today: dt.date) -> bool:
    """Are amendments received (and co-signed) on ``today``?

    When the Bureau national forces a phase, only a forced amendment phase opens them;
    otherwise the amendment phase must be running by its dates.
    """
    if convention is None:
        return False
    if convention.phase_override is not None:
        return convention.phase_override == PhaseKind.AMENDMENTS
    return is_open(convention.phase_spans(), PhaseKind.AMENDMENTS, today)


REVIEW_PHASES = frozenset({PhaseKind.AMENDMENTS, PhaseKind.NATIONAL_BUREAU})


def review_open(convention, today: dt.date) -> bool:
    """The committee reviews and decides from the amendment phase until the Bureau national's."""
    return convention is not None and convention.current_phase_kind(today) in REVIEW_PHASES


def has_dues_paid(user, today: dt.date) -> bool:
    """A member account whose dues are paid on ``today``."""
    member = getattr(user, "member", None) if _authenticated(user) else None
    return member is not None and member.is_dues_paid(today)


def can_submit_amendment(user, convention, today: dt.date) -> bool:
    """A member with dues paid (or a secretary for their unit) while amendments are open."""
    from convention.contributions.models import secretary_units

    if not _authenticated(user) or not amendments_open(convention, today):
        return False
    return has_dues_paid(user, today) or bool(secretary_units(user))


class ChapterAssignment(Model):
    """The working group whose pilots review the amendments of a chapter (by its stable anchor)."""

    __tablename__ = "chapter_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    convention_id: Mapped[int] = mapped_column(sa.ForeignKey("convention.id"), index=True)
    chapter_anchor: Mapped[str] = mapped_column(sa.String(40))
    working_group_id: Mapped[int] = mapped_column(sa.ForeignKey("working_group.id"), index=True)

    working_group = relationship("WorkingGroup")

    __table_args__ = (sa.UniqueConstraint("convention_id", "chapter_anchor"),)


class AmendmentCluster(Model):
    """Amendments on the same passage, examined together (« discussion commune »)."""

    __tablename__ = "amendment_cluster"

    id: Mapped[int] = mapped_column(primary_key=True)
    text_id: Mapped[int] = mapped_column(sa.ForeignKey("text.id"), index=True)
    block_anchor: Mapped[str] = mapped_column(sa.String(40))
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    amendments: Mapped[list[Amendment]] = relationship(
        back_populates="cluster", order_by="Amendment.number"
    )


class Amendment(Model):
    __tablename__ = "amendment"

    id: Mapped[int] = mapped_column(primary_key=True)
    convention_id: Mapped[int] = mapped_column(sa.ForeignKey("convention.id"), index=True)
    text_id: Mapped[int] = mapped_column(sa.ForeignKey("text.id"))
    number: Mapped[int]  # n° 1, 2, … per text, in order of submission, never reused
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("text_version.id"), index=True)
    chapter_anchor: Mapped[str] = mapped_column(sa.String(40))
    block_anchor: Mapped[str] = mapped_column(sa.String(40))
    kind: Mapped[AmendmentKind] = mapped_column(str_enum(AmendmentKind))
    # The span in the block's text (whitespace runs read as one space), end exclusive.
    span_start: Mapped[int]
    span_end: Mapped[int]
    is_whole_block: Mapped[bool] = mapped_column(default=False)
    original: Mapped[str] = mapped_column(sa.Text, default="")
    replacement: Mapped[str] = mapped_column(sa.Text, default="")
    prefix: Mapped[str] = mapped_column(sa.String(80), default="")
    suffix: Mapped[str] = mapped_column(sa.String(80), default="")
    # Lines of the version it was written on (the citation's numbers).
    line_start: Mapped[int]
    line_end: Mapped[int]
    citation: Mapped[str] = mapped_column(sa.Text)
    rationale: Mapped[str] = mapped_column(sa.Text, default="")

    author_name: Mapped[str] = mapped_column(sa.String(200), default="")
    author_member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("member.id"), index=True)
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    section_id: Mapped[int | None] = mapped_column(sa.ForeignKey("section.id"), index=True)
    federation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("federation.id"), index=True)
    adopted_on: Mapped[dt.date | None]  # the unit meeting that adopted it
    submitted_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    status: Mapped[AmendmentStatus] = mapped_column(
        str_enum(AmendmentStatus), default=AmendmentStatus.SUBMITTED
    )
    cosignature_count: Mapped[int] = mapped_column(default=0, server_default="0")
    cluster_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("amendment_cluster.id"), index=True
    )
    is_synthesis: Mapped[bool] = mapped_column(default=False)
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("amendment.id"), index=True)

    # Admissibility (recevabilité).
    admissibility_reason: Mapped[str] = mapped_column(sa.Text, default="")
    admissibility_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The committee's opinion (avis), with a proposed rewrite for « favorable sous réserve ».
    opinion: Mapped[Opinion | None] = mapped_column(str_enum(Opinion))
    opinion_reason: Mapped[str] = mapped_column(sa.Text, default="")
    opinion_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    rectification: Mapped[str] = mapped_column(sa.Text, default="")
    rectification_state: Mapped[RectificationState | None] = mapped_column(
        str_enum(RectificationState)
    )
    # The decision.
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="")
    decided_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    modified_replacement: Mapped[str] = mapped_column(sa.Text, default="")  # adopted as modified
    updated_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # « À redéposer »: pending when the text was consolidated, its passage not found in the new
    # version (it stays on the version it was written on; nothing is deleted).
    is_orphaned: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    orphaned_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    convention = relationship("Convention")
    text = relationship("Text")
    version = relationship("TextVersion")
    author_member = relationship("Member")
    section = relationship("Section")
    federation = relationship("Federation")
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    cluster: Mapped[AmendmentCluster | None] = relationship(back_populates="amendments")
    merged_into: Mapped[Amendment | None] = relationship(remote_side=[id])
    cosignatures: Mapped[list[AmendmentCosignature]] = relationship(
        back_populates="amendment", cascade="all, delete-orphan", order_by="AmendmentCosignature.id"
    )
    steps: Mapped[list[AmendmentStep]] = relationship(
        back_populates="amendment", cascade="all, delete-orphan", order_by="AmendmentStep.id"
    )

    __table_args__ = (
        sa.UniqueConstraint("text_id", "number"),
        sa.Index("ix_amendment_text_chapter", "text_id", "chapter_anchor", "line_start"),
        # The per-paragraph counts of the chapter page, read from the index alone.
        sa.Index("ix_amendment_text_chapter_block", "text_id", "chapter_anchor", "block_anchor", "status"),
        # The whole text's list in reading order, without sorting the table.
        sa.Index("ix_amendment_text_line", "text_id", "line_start", "number"),
        sa.Index("ix_amendment_text_block", "text_id", "block_anchor"),
        sa.Index("ix_amendment_text_status", "text_id", "status"),
        sa.CheckConstraint("span_end >= span_start", name="span_ordered"),
        sa.CheckConstraint("line_end >= line_start", name="lines_ordered"),
    )

    # --- labels ---------------------------------------------------------------------------

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def status_tone(self) -> str:
        """The badge colour of the status (a class suffix of the site's stylesheet)."""
        return STATUS_TONES[self.status]

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def opinion_label(self) -> str:
        return OPINION_LABELS[self.opinion] if self.opinion is not None else ""

    @property
    def rectification_label(self) -> str:
        if self.rectification_state is None:
            return ""
        return RECTIFICATION_LABELS[self.rectification_state]

    @property
    def unit_label(self) -> str:
        """The section or federation the amendment speaks for, if any."""
        if self.section is not None:
            return f"Section {self.section.name}"
        if self.federation is not None:
            return self.federation.title
        return ""

    @property
    def signed_by(self) -> str:
        """« Section de Grenoble », or the author's name, or the committee for a synthesis."""
        if self.is_synthesis:
            return "Comité de pilotage"
        return self.unit_label or self.author_name

    @property
    def is_unit_amendment(self) -> bool:
        return self.section_id is not None or self.federation_id is not None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_insertion(self) -> bool:
        return self.kind == AmendmentKind.INSERT

    @property
    def effective_replacement(self) -> str:
        """What the text would say if adopted: the modified wording when adopted as modified."""
        return self.modified_replacement or self.replacement

    def anchor(self) -> Anchor:
        """The amendment as the domain's detection functions see it."""
        return Anchor(
            id=self.id,
            block=self.block_anchor,
            kind=self.kind,
            start=self.span_start,
            end=self.span_end,
            original=self.original,
            replacement=self.replacement,
            whole_block=self.is_whole_block,
        )

    # --- who may do what ---------------------------------------------------------------------

    def is_submitter(self, user) -> bool:
        if not _authenticated(user):
            return False
        if self.submitted_by_id is not None and self.submitted_by_id == user.id:
            return True
        return (
            self.author_member_id is not None
            and not self.is_unit_amendment
            and user.member_id == self.author_member_id
        )

    def is_unit_secretary(self, user) -> bool:
        if not _authenticated(user):
            return False
        if self.section_id is not None:
            return user.has_role(Role.SECTION_SECRETARY, section_id=self.section_id)
        if self.federation_id is not None:
            return user.has_role(Role.FEDERATION_SECRETARY, federation_id=self.federation_id)
        return False

    def is_author_side(self, user) -> bool:
        return not self.is_synthesis and (self.is_submitter(user) or self.is_unit_secretary(user))

    def can_withdraw(self, user) -> bool:
        """Its author may withdraw it until a decision (or a maintained one, before the day)."""
        return AmendmentStatus.WITHDRAWN in AMENDMENT_TRANSITIONS[
            self.status
        ] and self.is_author_side(user)

    def can_maintain(self, user) -> bool:
        return AmendmentStatus.MAINTAINED in AMENDMENT_TRANSITIONS[
            self.status
        ] and self.is_author_side(user)

    def can_answer_rectification(self, user) -> bool:
        return (
            self.rectification_state == RectificationState.PROPOSED
            and self.is_open
            and self.is_author_side(user)
        )

    def can_cosign(self, user, today: dt.date) -> bool:
        """A member with dues paid, not its author, while amendments are open and it is pending."""
        if not has_dues_paid(user, today) or self.is_synthesis or not self.is_open:
            return False
        if self.author_member_id is not None and self.author_member_id == user.member_id:
            return False
        if self.submitted_by_id is not None and self.submitted_by_id == user.id:
            return False
        return amendments_open(self.convention, today)

    def has_enough_cosignatures(self, required: int) -> bool:
        """Admissible as to support: adopted by a unit, or co-signed by ``required`` members."""
        return self.is_synthesis or self.is_unit_amendment or self.cosignature_count >= required

    def __repr__(self) -> str:
        return f"<Amendment n°{self.number} {self.kind} {self.block_anchor}>"


class AmendmentCosignature(Model):
    __tablename__ = "amendment_cosignature"

    id: Mapped[int] = mapped_column(primary_key=True)
    amendment_id: Mapped[int] = mapped_column(sa.ForeignKey("amendment.id"), index=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("member.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    amendment: Mapped[Amendment] = relationship(back_populates="cosignatures")
    member = relationship("Member")

    __table_args__ = (sa.UniqueConstraint("amendment_id", "member_id"),)


class AmendmentStep(Model):
    """One public step of an amendment's history: who, when, what, and the written reason."""

    __tablename__ = "amendment_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    amendment_id: Mapped[int] = mapped_column(sa.ForeignKey("amendment.id"), index=True)
    kind: Mapped[StepKind] = mapped_column(str_enum(StepKind))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(sa.String(200), default="")  # « Comité de pilotage »…
    opinion: Mapped[Opinion | None] = mapped_column(str_enum(Opinion))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    wording: Mapped[str] = mapped_column(sa.Text, default="")  # a rectification or modified text
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    amendment: Mapped[Amendment] = relationship(back_populates="steps")

    @property
    def label(self) -> str:
        if self.kind == StepKind.OPINION and self.opinion is not None:
            return OPINION_LABELS[self.opinion]
        return STEP_LABELS[self.kind]


class BlockAmendment(Model):
    """An adopted amendment that changed a block when its version was consolidated.

    ``version_id`` is the consolidated version; ``block_anchor`` the block's stable anchor in it
    (for a deleted block, the anchor it had: it is not in the version any more).
    """

    __tablename__ = "block_amendment"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("text_version.id"), index=True)
    block_anchor: Mapped[str] = mapped_column(sa.String(40))
    amendment_id: Mapped[int] = mapped_column(sa.ForeignKey("amendment.id"), index=True)
    change: Mapped[BlockChange] = mapped_column(str_enum(BlockChange))

    amendment: Mapped[Amendment] = relationship()

    __table_args__ = (sa.UniqueConstraint("version_id", "block_anchor", "amendment_id"),)
