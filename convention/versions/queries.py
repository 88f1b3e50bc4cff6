"""Read helpers for the versions of the text and the difference between two of them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

from convention.amendments.models import Amendment, BlockAmendment
from convention.core.db import db
from convention.domain.consolidation import BlockChange, BlockDiff, SourceBlock, diff_versions
from convention.domain.versions import ChapterDiff, diff_by_chapter, summary
from convention.texts.models import Block, Chapter, Part, Text, TextVersion


def list_versions(text: Text) -> list[TextVersion]:
    """The text's versions, the latest first."""
    return list(reversed(text.versions))


def source_blocks(version_id: int) -> list[SourceBlock]:
    """The blocks of a version in reading order, as the diff reads them."""
    rows = db.session.execute(
        sa.select(Block.anchor, Block.kind, Block.text, Chapter.anchor)
        .join(Chapter, Chapter.id == Block.chapter_id)
        .join(Part, Part.id == Chapter.part_id)
        .where(Block.version_id == version_id)
        .order_by(Part.position, Chapter.position, Block.position)
    ).all()
    return [SourceBlock(anchor, kind, text, chapter) for anchor, kind, text, chapter in rows]


@dataclass(frozen=True)
class ChapterInfo:
    anchor: str
    number: str
    title: str
    part_number: str
    part_title: str


def chapter_infos(version_id: int) -> dict[str, ChapterInfo]:
    """chapter anchor → its number and title (and its part's), in reading order."""
    rows = db.session.execute(
        sa.select(Chapter.anchor, Chapter.number, Chapter.title, Part.number, Part.title)
        .join(Part, Part.id == Chapter.part_id)
        .where(Chapter.version_id == version_id)
        .order_by(Part.position, Chapter.position)
    ).all()
    return {row[0]: ChapterInfo(*row) for row in rows}


@dataclass(frozen=True)
class AmendmentRef:
    """An amendment that changed a block between the two versions (for a link)."""

    id: int
    number: int
    signed_by: str
    change: BlockChange
    version_number: int  # the consolidated version that applied it


def amendments_between(
    text_id: int, low: int, high: int, anchors: set[str] | None = None
) -> dict[str, list[AmendmentRef]]:
    """block anchor → the amendments applied by the versions ``low`` < n ≤ ``high`` (block_amendment).

    ``anchors``: only those blocks (a chapter's). Read as plain rows: a consolidation may have
    applied thousands of amendments, and the page shows only their number and signature.
    """
    from convention.members.models import Federation, Section

    query = (
        sa.select(
            BlockAmendment.block_anchor, BlockAmendment.change, TextVersion.number, Amendment.id,
            Amendment.number, Amendment.is_synthesis, Amendment.author_name, Section.name, Federation.title,
        )
        .join(Amendment, Amendment.id == BlockAmendment.amendment_id)
        .join(TextVersion, TextVersion.id == BlockAmendment.version_id)
        .outerjoin(Section, Section.id == Amendment.section_id)
        .outerjoin(Federation, Federation.id == Amendment.federation_id)
        .where(TextVersion.text_id == text_id, TextVersion.number > low, TextVersion.number <= high)
        .order_by(TextVersion.number, Amendment.number)
    )  # fmt: skip
    if anchors is not None:
        query = query.where(BlockAmendment.block_anchor.in_(sorted(anchors)))
    result: dict[str, list[AmendmentRef]] = defaultdict(list)
    for anchor, change, version_number, amendment_id, number, synthesis, author, section, federation in (
        db.session.execute(query).all()
    ):
        if synthesis:
            signed_by = "Comité de pilotage"
        elif section:
            signed_by = f"Section {section}"
        else:
            signed_by = federation or author
        result[anchor].append(AmendmentRef(amendment_id, number, signed_by, change, version_number))
    return dict(result)


@dataclass
class VersionDiff:
    """The difference between versions ``old`` and ``new`` of a text, chapter by chapter."""

    text: Text
    old: TextVersion
    new: TextVersion
    blocks: list[BlockDiff]
    chapter_of: dict[str, str]  # block anchor → chapter anchor (the new version's, else the old one's)
    chapters: list[ChapterDiff]
    infos: dict[str, ChapterInfo]  # chapter anchor → number and title
    amendments: dict[str, list[AmendmentRef]] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        return summary(self.blocks)

    def refs(self, block: BlockDiff) -> list[AmendmentRef]:
        """The amendments responsible for a block's change (none for an unchanged block)."""
        if block.change == BlockChange.UNCHANGED:
            return []
        return self.amendments.get(block.anchor, [])

    def chapter(self, anchor: str) -> ChapterDiff | None:
        return next((c for c in self.chapters if c.anchor == anchor), None)

    def info(self, anchor: str) -> ChapterInfo:
        return self.infos.get(anchor) or ChapterInfo(anchor, "", anchor, "", "")

    @property
    def changed_chapters(self) -> list[ChapterDiff]:
        return [c for c in self.chapters if c.changed]


def version_diff(text: Text, old: TextVersion, new: TextVersion, chapter: str | None = None) -> VersionDiff:
    """Compare two versions of ``text`` block by block (stable anchors), with the amendments responsible.

    ``chapter``: only the blocks of that chapter (by its anchor, in either version), which is
    what the chapter's page needs, without diffing the whole text.
    """
    old_blocks, new_blocks = source_blocks(old.id), source_blocks(new.id)
    if chapter is not None:
        old_blocks = [b for b in old_blocks if b.chapter == chapter]
        new_blocks = [b for b in new_blocks if b.chapter == chapter]
    chapter_of = {b.anchor: b.chapter for b in old_blocks}
    chapter_of.update({b.anchor: b.chapter for b in new_blocks})
    diffs = diff_versions(old_blocks, new_blocks)
    infos = chapter_infos(new.id)
    infos.update({anchor: info for anchor, info in chapter_infos(old.id).items() if anchor not in infos})
    low, high = sorted((old.number, new.number))
    return VersionDiff(
        text=text,
        old=old,
        new=new,
        blocks=diffs,
        chapter_of=chapter_of,
        chapters=diff_by_chapter(diffs, lambda d: chapter_of[d.anchor]),
        infos=infos,
        amendments=amendments_between(text.id, low, high, set(chapter_of) if chapter is not None else None),
    )


def version_counts(text: Text) -> dict[int, int]:
    """version id → number of blocks, for the versions page."""
    rows = db.session.execute(
        sa.select(Block.version_id, sa.func.count())
        .join(TextVersion, TextVersion.id == Block.version_id)
        .where(TextVersion.text_id == text.id)
        .group_by(Block.version_id)
    ).all()
    return {version_id: count for version_id, count in rows}


def previous_version(text: Text, version: TextVersion) -> TextVersion | None:
    earlier = [v for v in text.versions if v.number < version.number]
    return earlier[-1] if earlier else None


def versions_by_number(text: Text) -> dict[int, TextVersion]:
    return {v.number: v for v in text.versions}


def current_chapters(version: TextVersion) -> Sequence[Chapter]:
    """The chapters of a version in reading order (for the chapter selector)."""
    return db.session.scalars(
        sa.select(Chapter)
        .join(Part, Part.id == Chapter.part_id)
        .where(Chapter.version_id == version.id)
        .order_by(Part.position, Chapter.position)
    ).all()
