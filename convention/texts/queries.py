"""Read helpers for the text of the convention and its glossary."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from convention.extensions import db
from convention.texts.models import Acronym, Block, Chapter, Part, Proposal, Text, TextVersion


def get_main_text(convention_id: int) -> Text | None:
    """The convention's text (its first one), with its versions loaded."""
    return db.session.scalars(
        sa.select(Text)
        .where(Text.convention_id == convention_id)
        .options(selectinload(Text.versions))
        .order_by(Text.id)
        .limit(1)
    ).first()


def get_version(text: Text, number: int | None) -> TextVersion | None:
    """Version ``number`` of the text, or the current (latest) one when ``number`` is None."""
    if number is None:
        return text.current_version
    return next((v for v in text.versions if v.number == number), None)


def list_parts(version_id: int) -> Sequence[Part]:
    """The parts of a version with their chapters (no blocks), in order."""
    return db.session.scalars(
        sa.select(Part)
        .where(Part.version_id == version_id)
        .options(selectinload(Part.chapters))
        .order_by(Part.position)
    ).all()


def count_proposals_by_chapter(version_id: int) -> dict[int, int]:
    """chapter id → number of proposals, for one version."""
    rows = db.session.execute(
        sa.select(Proposal.chapter_id, sa.func.count())
        .where(Proposal.version_id == version_id)
        .group_by(Proposal.chapter_id)
    ).all()
    return {chapter_id: count for chapter_id, count in rows}


def get_chapter(version_id: int, anchor: str) -> Chapter | None:
    """One chapter by its anchor, with its part, its blocks and their proposals."""
    return db.session.scalars(
        sa.select(Chapter)
        .where(Chapter.version_id == version_id, Chapter.anchor == anchor)
        .options(
            selectinload(Chapter.part),
            selectinload(Chapter.blocks).selectinload(Block.proposal),
        )
    ).first()


@dataclass(frozen=True)
class ChapterLink:
    anchor: str
    number: str
    title: str
    part_number: str


def chapter_neighbours(version_id: int, chapter_id: int) -> tuple[ChapterLink | None, ...]:
    """The chapters before and after ``chapter_id`` in reading order (None at the ends)."""
    rows = db.session.execute(
        sa.select(Chapter.id, Chapter.anchor, Chapter.number, Chapter.title, Part.number)
        .join(Part, Part.id == Chapter.part_id)
        .where(Chapter.version_id == version_id)
        .order_by(Part.position, Chapter.position)
    ).all()
    ids = [row[0] for row in rows]
    index = ids.index(chapter_id)
    links = [ChapterLink(*row[1:]) for row in rows]
    previous = links[index - 1] if index > 0 else None
    following = links[index + 1] if index + 1 < len(links) else None
    return previous, following


def list_acronyms(convention_id: int) -> Sequence[Acronym]:
    """The convention's glossary, in alphabetical order."""
    return db.session.scalars(
        sa.select(Acronym)
        .where(Acronym.convention_id == convention_id)
        .order_by(Acronym.abbreviation)
    ).all()
