"""Read helpers for amendments: lists with filters, counts per paragraph, review rights."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import load_only, selectinload

from convention.amendments.models import (
    Amendment,
    AmendmentCluster,
    AmendmentCosignature,
    ChapterAssignment,
)
from convention.core import pagination
from convention.domain.amendments import ADOPTED_STATUSES, AmendmentStatus, conflicts
from convention.extensions import db
from convention.members.models import Federation, Section
from convention.texts.models import Block, Chapter, TextVersion

PER_PAGE = 50


def get_amendment(convention_id: int, amendment_id: int) -> Amendment | None:
    """One amendment of the convention, with what its page shows."""
    return db.session.scalars(
        sa.select(Amendment)
        .where(Amendment.id == amendment_id, Amendment.convention_id == convention_id)
        .options(
            selectinload(Amendment.steps),
            selectinload(Amendment.cluster).selectinload(AmendmentCluster.amendments),
            selectinload(Amendment.section),
            selectinload(Amendment.federation),
        )
    ).first()


def get_by_number(text_id: int, number: int) -> Amendment | None:
    return db.session.scalars(
        sa.select(Amendment).where(Amendment.text_id == text_id, Amendment.number == number)
    ).first()


def find_block(version_id: int, anchor: str) -> Block | None:
    """A block of a version by its stable anchor, with its chapter."""
    return db.session.scalars(
        sa.select(Block)
        .where(Block.version_id == version_id, Block.anchor == anchor)
        .options(selectinload(Block.chapter).selectinload(Chapter.part))
    ).first()


def find_block_for(amendment: Amendment) -> Block | None:
    """The block an amendment was written on, in the version it was written on."""
    return find_block(amendment.version_id, amendment.block_anchor)


def amendments_on_block(text_id: int, block_anchor: str, version_id: int | None = None) -> Sequence[Amendment]:
    """Every amendment of a paragraph (anchored in ``version_id`` when given), in order of number.

    Amendments are anchored in one version: after a consolidation, those still pending are moved
    to the new version, the decided ones stay on the version they were decided on (their spans
    point into that version's text), so comparisons of spans keep to one version.
    """
    query = sa.select(Amendment).where(Amendment.text_id == text_id, Amendment.block_anchor == block_anchor)
    if version_id is not None:
        query = query.where(Amendment.version_id == version_id)
    return db.session.scalars(query.order_by(Amendment.number)).all()


def counts_by_block(text_id: int, chapter_anchor: str, version_id: int | None = None) -> dict[str, int]:
    """block anchor → number of amendments (withdrawn ones left out), for one chapter of a version."""
    rows = db.session.execute(
        sa.select(Amendment.block_anchor, sa.func.count())
        .where(
            Amendment.text_id == text_id,
            Amendment.chapter_anchor == chapter_anchor,
            Amendment.status != AmendmentStatus.WITHDRAWN,
            *([Amendment.version_id == version_id] if version_id is not None else []),
        )
        .group_by(Amendment.block_anchor)
    ).all()
    return {anchor: count for anchor, count in rows}


def counts_by_chapter(text_id: int, version_id: int | None = None) -> dict[str, int]:
    """chapter anchor → number of amendments (withdrawn ones left out), for the whole text or a version."""
    rows = db.session.execute(
        sa.select(Amendment.chapter_anchor, sa.func.count())
        .where(
            Amendment.text_id == text_id,
            Amendment.status != AmendmentStatus.WITHDRAWN,
            *([Amendment.version_id == version_id] if version_id is not None else []),
        )
        .group_by(Amendment.chapter_anchor)
    ).all()
    return {anchor: count for anchor, count in rows}


@dataclass(frozen=True)
class AmendmentFilters:
    """The filters of the lists (every field optional)."""

    version_id: int | None = None
    chapter: str | None = None
    block: str | None = None
    status: AmendmentStatus | None = None
    section_id: int | None = None
    federation_id: int | None = None
    author: str | None = None
    cluster_id: int | None = None
    units_only: bool = False

    def as_args(self) -> dict[str, str]:
        """The query-string arguments that reproduce these filters (for pagination links)."""
        args = {}
        if self.chapter:
            args["chapitre"] = self.chapter
        if self.block:
            args["alinea"] = self.block
        if self.status is not None:
            args["statut"] = self.status.value
        if self.federation_id:
            args["federation"] = str(self.federation_id)
        if self.section_id:
            args["section"] = str(self.section_id)
        if self.author:
            args["auteur"] = self.author
        if self.cluster_id:
            args["discussion"] = str(self.cluster_id)
        if self.units_only:
            args["unites"] = "1"
        return args


def filtered(text_id: int, filters: AmendmentFilters) -> sa.Select:
    """The SELECT of a text's amendments matching ``filters``, in reading order."""
    query = sa.select(Amendment).where(Amendment.text_id == text_id)
    if filters.version_id is not None:
        query = query.where(Amendment.version_id == filters.version_id)
    if filters.chapter:
        query = query.where(Amendment.chapter_anchor == filters.chapter)
    if filters.block:
        query = query.where(Amendment.block_anchor == filters.block)
    if filters.status is not None:
        query = query.where(Amendment.status == filters.status)
    else:  # a withdrawn amendment is listed only when asked for (as the paragraph counts leave it out)
        query = query.where(Amendment.status != AmendmentStatus.WITHDRAWN)
    if filters.section_id:
        query = query.where(Amendment.section_id == filters.section_id)
    if filters.federation_id:
        query = query.where(Amendment.federation_id == filters.federation_id)
    if filters.cluster_id:
        query = query.where(Amendment.cluster_id == filters.cluster_id)
    if filters.units_only:
        query = query.where(
            sa.or_(Amendment.section_id.is_not(None), Amendment.federation_id.is_not(None))
        )
    if filters.author:
        needle = f"%{filters.author.strip()[:100]}%"
        query = query.where(Amendment.author_name.ilike(needle))
    return query.order_by(Amendment.line_start, Amendment.number)


def paginate(text_id: int, filters: AmendmentFilters, page: int = 1, per_page: int = PER_PAGE):
    """One page of the filtered list (page numbers are bounded: a huge one is the last page)."""
    query = filtered(text_id, filters).options(
        selectinload(Amendment.section), selectinload(Amendment.federation)
    )
    return pagination.paginate(query, page=page, per_page=per_page)


def list_for_review(text_id: int, chapter_anchor: str, filters: AmendmentFilters) -> Sequence[Amendment]:
    """Every amendment of a chapter for the review table, in line order."""
    query = filtered(text_id, AmendmentFilters(**{**filters.__dict__, "chapter": chapter_anchor}))
    return db.session.scalars(
        query.options(
            load_only(*REVIEW_COLUMNS, raiseload=False),
            selectinload(Amendment.section).load_only(Section.name),
            selectinload(Amendment.federation).load_only(Federation.title),
        )
    ).all()


# What the review table shows and what the conflict check reads: a chapter may hold a thousand
# amendments, and their rationales and dates are not shown there.
REVIEW_COLUMNS = (
    Amendment.id, Amendment.number, Amendment.text_id, Amendment.chapter_anchor, Amendment.block_anchor,
    Amendment.kind, Amendment.span_start, Amendment.span_end, Amendment.is_whole_block, Amendment.original,
    Amendment.replacement, Amendment.line_start, Amendment.line_end, Amendment.citation, Amendment.author_name,
    Amendment.section_id, Amendment.federation_id, Amendment.status, Amendment.cosignature_count,
    Amendment.cluster_id, Amendment.is_synthesis, Amendment.opinion,
)  # fmt: skip


def adopted_conflicts(amendments: Sequence[Amendment]) -> dict[int, list[int]]:
    """amendment id → ids of the adopted amendments whose span overlaps its own (both adopted)."""
    adopted = [a.anchor() for a in amendments if a.status in ADOPTED_STATUSES]
    found: dict[int, list[int]] = {}
    for first, second in conflicts(adopted):
        found.setdefault(first, []).append(second)
        found.setdefault(second, []).append(first)
    return found


def is_cosigner(amendment_id: int, member_id: int | None) -> bool:
    if member_id is None:
        return False
    return (
        db.session.scalar(
            sa.select(AmendmentCosignature.id).where(
                AmendmentCosignature.amendment_id == amendment_id,
                AmendmentCosignature.member_id == member_id,
            )
        )
        is not None
    )


def cosigned_ids(member_id: int | None, amendment_ids: Sequence[int]) -> set[int]:
    """Which of ``amendment_ids`` the member has co-signed."""
    if member_id is None or not amendment_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(AmendmentCosignature.amendment_id).where(
                AmendmentCosignature.member_id == member_id,
                AmendmentCosignature.amendment_id.in_(list(amendment_ids)),
            )
        )
    )


def cosigners(amendment_id: int) -> Sequence[AmendmentCosignature]:
    """The co-signatures with their members (names are for the committee only)."""
    return db.session.scalars(
        sa.select(AmendmentCosignature)
        .where(AmendmentCosignature.amendment_id == amendment_id)
        .options(selectinload(AmendmentCosignature.member))
        .order_by(AmendmentCosignature.id)
    ).all()


# --- who reviews a chapter ------------------------------------------------------------------


def assignments(convention_id: int) -> dict[str, ChapterAssignment]:
    """chapter anchor → its assignment to a working group."""
    rows = db.session.scalars(
        sa.select(ChapterAssignment)
        .where(ChapterAssignment.convention_id == convention_id)
        .options(selectinload(ChapterAssignment.working_group))
    )
    return {row.chapter_anchor: row for row in rows}


def group_of_chapter(convention_id: int, chapter_anchor: str):
    """The working group whose pilots review ``chapter_anchor`` (None: the committee's)."""
    row = db.session.scalars(
        sa.select(ChapterAssignment)
        .where(
            ChapterAssignment.convention_id == convention_id,
            ChapterAssignment.chapter_anchor == chapter_anchor,
        )
        .options(selectinload(ChapterAssignment.working_group))
    ).first()
    return row.working_group if row is not None else None


def can_review_chapter(user, convention, chapter_anchor: str) -> bool:
    """The steering committee (and the Bureau national) everywhere; a group's pilots on its chapters."""
    if convention is None or not getattr(user, "is_authenticated", False):
        return False
    if convention.is_steering(user):
        return True
    group = group_of_chapter(convention.id, chapter_anchor)
    return group is not None and group.can_moderate(user)


def reviewable_chapters(user, convention) -> set[str] | None:
    """The chapter anchors ``user`` reviews: None means every chapter (the committee)."""
    if convention is None or not getattr(user, "is_authenticated", False):
        return set()
    if convention.is_steering(user):
        return None
    return {
        anchor
        for anchor, row in assignments(convention.id).items()
        if row.working_group is not None and row.working_group.can_moderate(user)
    }


def chapters_of_version(version_id: int) -> Sequence[Chapter]:
    """The chapters of a version in reading order (with their part)."""
    from convention.texts.models import Part

    return db.session.scalars(
        sa.select(Chapter)
        .join(Part, Part.id == Chapter.part_id)
        .where(Chapter.version_id == version_id)
        .options(selectinload(Chapter.part))
        .order_by(Part.position, Chapter.position)
    ).all()


def version_by_id(version_id: int) -> TextVersion | None:
    return db.session.get(TextVersion, version_id)


def pending_counts_by_chapter(text_id: int, version_id: int | None = None) -> dict[str, int]:
    """chapter anchor → amendments still waiting for a step (déposés or recevables)."""
    rows = db.session.execute(
        sa.select(Amendment.chapter_anchor, sa.func.count())
        .where(
            Amendment.text_id == text_id,
            *([Amendment.version_id == version_id] if version_id is not None else []),
            Amendment.status.in_([AmendmentStatus.SUBMITTED, AmendmentStatus.ADMISSIBLE]),
        )
        .group_by(Amendment.chapter_anchor)
    ).all()
    return {anchor: count for anchor, count in rows}
