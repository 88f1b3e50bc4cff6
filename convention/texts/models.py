"""The text under deliberation: versions, parts, chapters, numbered blocks, proposals, acronyms."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convention.core.db import Model, UTCDateTime, str_enum, utcnow
from convention.domain.textstructure import BlockKind
from convention.texts.rendering import EmphasizedLine, emphasized_lines


class VersionStatus(enum.StrEnum):
    DRAFT = "draft"  # projet de texte
    AMENDED = "amended"  # texte amendé
    ADOPTED_BY_BN = "adopted_by_bn"  # adopté par le Bureau national
    SUBMITTED_TO_VOTE = "submitted_to_vote"  # soumis au vote des militants
    ADOPTED = "adopted"  # texte adopté


VERSION_STATUS_LABELS = {
    VersionStatus.DRAFT: "Projet de texte",
    VersionStatus.AMENDED: "Texte amendé",
    VersionStatus.ADOPTED_BY_BN: "Adopté par le Bureau national",
    VersionStatus.SUBMITTED_TO_VOTE: "Soumis au vote des militants",
    VersionStatus.ADOPTED: "Texte adopté",
}

BLOCK_KIND_LABELS = {
    BlockKind.PARAGRAPH: "Paragraphe",
    BlockKind.SUBHEADING: "Intertitre",
    BlockKind.PROPOSAL: "Proposition",
    BlockKind.RECOMMENDATION: "Recommandation",
    BlockKind.LIST_ITEM: "Élément de liste",
    BlockKind.QUOTE: "Citation",
}


class Text(Model):
    __tablename__ = "text"

    id: Mapped[int] = mapped_column(primary_key=True)
    convention_id: Mapped[int] = mapped_column(sa.ForeignKey("convention.id"), index=True)
    slug: Mapped[str] = mapped_column(sa.String(80))
    title: Mapped[str] = mapped_column(sa.String(300))
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    convention = relationship("Convention")
    versions: Mapped[list[TextVersion]] = relationship(
        back_populates="text", order_by="TextVersion.number", cascade="all, delete-orphan"
    )

    __table_args__ = (sa.UniqueConstraint("convention_id", "slug"),)

    @property
    def current_version(self) -> TextVersion | None:
        return self.versions[-1] if self.versions else None

    def __repr__(self) -> str:
        return f"<Text {self.slug}>"


class TextVersion(Model):
    __tablename__ = "text_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    text_id: Mapped[int] = mapped_column(sa.ForeignKey("text.id"), index=True)
    number: Mapped[int]
    label: Mapped[str] = mapped_column(sa.String(200), default="")
    status: Mapped[VersionStatus] = mapped_column(
        str_enum(VersionStatus), default=VersionStatus.DRAFT
    )
    source: Mapped[str] = mapped_column(sa.String(200), default="")  # file it came from
    line_length: Mapped[int] = mapped_column(default=80)
    checksum: Mapped[str] = mapped_column(sa.String(64), default="")  # SHA-256 of the content
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    text: Mapped[Text] = relationship(back_populates="versions")
    parts: Mapped[list[Part]] = relationship(
        back_populates="version", order_by="Part.position", cascade="all, delete-orphan"
    )

    __table_args__ = (sa.UniqueConstraint("text_id", "number"),)

    @property
    def status_label(self) -> str:
        return VERSION_STATUS_LABELS[self.status]


class Part(Model):
    __tablename__ = "text_part"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("text_version.id"), index=True)
    position: Mapped[int]
    number: Mapped[str] = mapped_column(sa.String(10), default="")  # "I", "II"; "" for a preamble
    title: Mapped[str] = mapped_column(sa.String(400))

    version: Mapped[TextVersion] = relationship(back_populates="parts")
    chapters: Mapped[list[Chapter]] = relationship(
        back_populates="part", order_by="Chapter.position", cascade="all, delete-orphan"
    )

    __table_args__ = (sa.UniqueConstraint("version_id", "position"),)


class Chapter(Model):
    __tablename__ = "text_chapter"

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(sa.ForeignKey("text_part.id"), index=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("text_version.id"), index=True)
    position: Mapped[int]
    number: Mapped[str] = mapped_column(sa.String(10), default="")
    title: Mapped[str] = mapped_column(sa.String(400))
    anchor: Mapped[str] = mapped_column(sa.String(40))  # stable id in the version: "II-5"

    part: Mapped[Part] = relationship(back_populates="chapters")
    blocks: Mapped[list[Block]] = relationship(
        back_populates="chapter", order_by="Block.position", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.UniqueConstraint("part_id", "position"),
        sa.UniqueConstraint("version_id", "anchor"),
    )

    @property
    def proposal_count(self) -> int:
        return sum(1 for b in self.blocks if b.kind == BlockKind.PROPOSAL)


class Block(Model):
    """One numbered unit of the text: the thing an amendment targets."""

    __tablename__ = "text_block"

    id: Mapped[int] = mapped_column(primary_key=True)
    chapter_id: Mapped[int] = mapped_column(sa.ForeignKey("text_chapter.id"), index=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("text_version.id"), index=True)
    position: Mapped[int]
    # Stable identifier of the block within its version ("II-5-12"), carried across versions.
    anchor: Mapped[str] = mapped_column(sa.String(40))
    kind: Mapped[BlockKind] = mapped_column(str_enum(BlockKind))
    text: Mapped[str] = mapped_column(sa.Text)
    number: Mapped[str] = mapped_column(sa.String(20), default="")  # recommendation number
    line_start: Mapped[int]
    line_end: Mapped[int]
    # Bold and italic words as [[start, end, "strong" | "em"], …], offsets in ``text`` (which
    # never carries markers: amendments quote it and count in it); NULL when there are none.
    emphasis: Mapped[list[list[Any]] | None] = mapped_column(sa.JSON(none_as_null=True), default=None)

    chapter: Mapped[Chapter] = relationship(back_populates="blocks")
    proposal: Mapped[Proposal | None] = relationship(
        back_populates="block", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.UniqueConstraint("chapter_id", "position"),
        sa.UniqueConstraint("version_id", "anchor"),
        sa.CheckConstraint("line_end >= line_start", name="lines_ordered"),
    )

    @property
    def kind_label(self) -> str:
        return BLOCK_KIND_LABELS[self.kind]

    def numbered_lines(self, width: int) -> list[EmphasizedLine]:
        """The block's lines as the line rule cuts them, numbered, with their bold and italic words."""
        return emphasized_lines(self.text, self.emphasis, width, self.line_start)


class Proposal(Model):
    """A « Les socialistes proposent » item, tracked on its own with a stable reference."""

    __tablename__ = "proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("text_version.id"), index=True)
    block_id: Mapped[int] = mapped_column(sa.ForeignKey("text_block.id"), unique=True)
    chapter_id: Mapped[int] = mapped_column(sa.ForeignKey("text_chapter.id"), index=True)
    reference: Mapped[str] = mapped_column(sa.String(20))  # "II.5.3"
    rank: Mapped[int]  # rank within its chapter

    block: Mapped[Block] = relationship(back_populates="proposal")
    chapter: Mapped[Chapter] = relationship()

    __table_args__ = (sa.UniqueConstraint("version_id", "reference"),)


class Acronym(Model):
    __tablename__ = "acronym"

    id: Mapped[int] = mapped_column(primary_key=True)
    convention_id: Mapped[int] = mapped_column(sa.ForeignKey("convention.id"), index=True)
    abbreviation: Mapped[str] = mapped_column(sa.String(20))
    expansion: Mapped[str] = mapped_column(sa.String(300))  # as the source writes it
    corrected_expansion: Mapped[str] = mapped_column(sa.String(300), default="")
    correction_note: Mapped[str] = mapped_column(sa.String(400), default="")

    __table_args__ = (sa.UniqueConstraint("convention_id", "abbreviation"),)

    @property
    def meaning(self) -> str:
        """The expansion to show: the correction when the source is wrong."""
        return self.corrected_expansion or self.expansion

    @property
    def is_corrected(self) -> bool:
        return bool(self.corrected_expansion)
