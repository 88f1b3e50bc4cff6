"""Reading provenance links: a chapter's sources, a contribution's or a hearing's place in the text.

Every helper runs a fixed number of queries whatever the number of links (no N+1).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from convention.calendar.models import Event
from convention.contributions.models import Contribution
from convention.core.db import db
from convention.provenance.models import SourceLink
from convention.texts.models import Block, Chapter, Part, TextVersion


@dataclass(frozen=True)
class SourceRef:
    """One source of a block, ready to show: a contribution or a hearing."""

    kind: str  # "contribution" | "event"
    id: int
    title: str
    detail: str  # « Contribution n° 12 · Section Grenoble », « Audition du 3 mars 2026 »
    note: str
    url: str
    label: str = ""  # for an amendment: « Modifié par », « Inséré par »


@dataclass(frozen=True)
class TextPlace:
    """Where a source went in the text: one block of one chapter."""

    link_id: int
    chapter_anchor: str
    chapter_number: str
    chapter_title: str
    block_anchor: str
    label: str  # « Proposition II.5.3 », « Lignes 120 à 124 »
    excerpt: str
    note: str
    version_number: int

    @property
    def url(self) -> str:
        return f"/texte/chapitre/{self.chapter_anchor}#{self.block_anchor}"


def _source_options():
    return (
        selectinload(SourceLink.contribution).selectinload(Contribution.section),
        selectinload(SourceLink.contribution).selectinload(Contribution.federation),
        selectinload(SourceLink.event),
    )


def _source_ref(link: SourceLink) -> SourceRef:
    if link.contribution is not None:
        c = link.contribution
        parts = [f"Contribution n° {c.number}" if c.number is not None else "Contribution"]
        if c.unit_label:
            parts.append(c.unit_label)
        elif c.author_name:
            parts.append(c.author_name)
        return SourceRef(
            "contribution", c.id, c.title, " · ".join(parts), link.note, f"/contributions/{c.id}"
        )
    e = link.event
    return SourceRef(
        "event",
        e.id,
        e.title,
        f"{e.kind_label} du {e.day.strftime('%d/%m/%Y')}",
        link.note,
        f"/calendrier/{e.id}",
    )


def sources_by_anchor(
    text_id: int, anchors: Iterable[str] | None = None
) -> dict[str, list[SourceRef]]:
    """block anchor → its sources, for blocks of any version of the text ``text_id``
    (only the blocks ``anchors`` when given)."""
    query = (
        sa.select(SourceLink, Block.anchor)
        .join(Block, Block.id == SourceLink.block_id)
        .join(TextVersion, TextVersion.id == Block.version_id)
        .where(TextVersion.text_id == text_id)
    )
    if anchors is not None:
        anchors = list(anchors)
        if not anchors:
            return {}
        query = query.where(Block.anchor.in_(anchors))
    rows = db.session.execute(
        query.options(*_source_options()).order_by(SourceLink.created_dt, SourceLink.id)
    ).all()
    result: dict[str, list[SourceRef]] = defaultdict(list)
    seen: set[tuple[str, str, int]] = set()
    for link, anchor in rows:
        ref = _source_ref(link)
        key = (anchor, ref.kind, ref.id)
        if key not in seen:  # the same source linked on two versions of the paragraph
            seen.add(key)
            result[anchor].append(ref)
    return dict(result)


def sources_of_chapter(chapter: Chapter) -> dict[str, list[SourceRef]]:
    """The sources of each block of ``chapter`` (by block anchor), then the amendments that
    changed it up to the chapter's version, in four queries."""
    version = db.session.get(TextVersion, chapter.version_id)
    anchors = [b.anchor for b in chapter.blocks]
    result = sources_by_anchor(version.text_id, anchors)
    for anchor, refs in amendments_by_anchor(version.text_id, version.number, anchors).items():
        result[anchor] = [*result.get(anchor, []), *refs]
    return result


def _of(name: str) -> str:
    """« de Grenoble », « d'Orléans », « du Havre », « des Sables-d'Olonne »."""
    if name.startswith("Le "):
        return f"du {name[3:]}"
    if name.startswith("Les "):
        return f"des {name[4:]}"
    if name[:1].upper() in "AEIOUYÂÊÎÔÛÉÈÀ":
        return f"d'{name}"
    return f"de {name}"


def _amendment_signer(amendment) -> str:
    """« section de Grenoble », « fédération de l'Isère », the author's name, « comité de pilotage »."""
    if amendment.is_synthesis:
        return "comité de pilotage"
    if amendment.section is not None:
        return f"section {_of(amendment.section.name)}"
    if amendment.federation is not None:
        title = amendment.federation.title
        return title[:1].lower() + title[1:]
    return amendment.author_name


def amendments_by_anchor(text_id: int, version_number: int, anchors: Iterable[str]) -> dict[str, list[SourceRef]]:
    """block anchor → the adopted amendments that changed (or inserted) it in the consolidations
    of the text up to version ``version_number``, oldest first (one query, two for the units)."""
    from convention.amendments.models import Amendment, BlockAmendment
    from convention.domain.consolidation import BlockChange

    anchors = list(anchors)
    if not anchors:
        return {}
    rows = db.session.execute(
        sa.select(BlockAmendment.block_anchor, BlockAmendment.change, Amendment)
        .join(Amendment, Amendment.id == BlockAmendment.amendment_id)
        .join(TextVersion, TextVersion.id == BlockAmendment.version_id)
        .where(
            TextVersion.text_id == text_id,
            TextVersion.number <= version_number,
            BlockAmendment.block_anchor.in_(anchors),
            BlockAmendment.change != BlockChange.DELETED,
        )
        .options(selectinload(Amendment.section), selectinload(Amendment.federation))
        .order_by(TextVersion.number, Amendment.number)
    ).all()
    result: dict[str, list[SourceRef]] = defaultdict(list)
    for anchor, change, amendment in rows:
        kind = "de synthèse " if amendment.is_synthesis else ""
        result[anchor].append(
            SourceRef(
                "amendment",
                amendment.id,
                f"l'amendement {kind}n° {amendment.number}",
                _amendment_signer(amendment),
                "",
                f"/amendements/{amendment.id}",
                "Inséré par" if change == BlockChange.INSERTED else "Modifié par",
            )
        )
    return dict(result)


def _places(condition) -> list[TextPlace]:
    rows = db.session.execute(
        sa.select(SourceLink, TextVersion.number)
        .join(Block, Block.id == SourceLink.block_id)
        .join(Chapter, Chapter.id == Block.chapter_id)
        .join(Part, Part.id == Chapter.part_id)
        .join(TextVersion, TextVersion.id == Block.version_id)
        .where(condition)
        .options(
            selectinload(SourceLink.block).selectinload(Block.chapter),
            selectinload(SourceLink.block).selectinload(Block.proposal),
        )
        .order_by(TextVersion.number.desc(), Part.position, Chapter.position, Block.position)
    ).all()
    places, seen = [], set()
    for link, version_number in rows:
        block = link.block
        if block.anchor in seen:
            continue
        seen.add(block.anchor)
        if block.proposal is not None:
            label = f"Proposition {block.proposal.reference}"
        elif block.line_start == block.line_end:
            label = f"Ligne {block.line_start}"
        else:
            label = f"Lignes {block.line_start} à {block.line_end}"
        excerpt = block.text if len(block.text) <= 220 else block.text[:219].rstrip() + "…"
        places.append(
            TextPlace(
                link.id,
                block.chapter.anchor,
                block.chapter.number,
                block.chapter.title,
                block.anchor,
                label,
                excerpt,
                link.note,
                version_number,
            )
        )
    return places


def places_of_contribution(contribution_id: int) -> list[TextPlace]:
    """The blocks a contribution shaped (latest version first, one entry per anchor)."""
    return _places(SourceLink.contribution_id == contribution_id)


def places_of_event(event_id: int) -> list[TextPlace]:
    """The blocks a hearing shaped."""
    return _places(SourceLink.event_id == event_id)


def linked_anchors(
    chapter: Chapter, *, contribution_id: int | None = None, event_id: int | None = None
) -> set[str]:
    """Anchors of the blocks of ``chapter`` already linked to the source."""
    condition = (
        SourceLink.contribution_id == contribution_id
        if contribution_id is not None
        else SourceLink.event_id == event_id
    )
    text_id = db.session.scalar(
        sa.select(TextVersion.text_id).where(TextVersion.id == chapter.version_id)
    )
    return set(
        db.session.scalars(
            sa.select(Block.anchor)
            .join(SourceLink, SourceLink.block_id == Block.id)
            .join(TextVersion, TextVersion.id == Block.version_id)
            .where(
                condition,
                TextVersion.text_id == text_id,
                Block.anchor.in_([b.anchor for b in chapter.blocks]),
            )
        )
    )


def text_links_by_source(
    *, contribution_ids: Sequence[int] = (), event_ids: Sequence[int] = ()
) -> dict[tuple[str, int], list[dict]]:
    """For the API: (kind, id) → [{"chapter", "block", "url", "note"}], one query."""
    conditions = []
    if contribution_ids:
        conditions.append(SourceLink.contribution_id.in_(list(contribution_ids)))
    if event_ids:
        conditions.append(SourceLink.event_id.in_(list(event_ids)))
    if not conditions:
        return {}
    rows = db.session.execute(
        sa.select(
            SourceLink.contribution_id,
            SourceLink.event_id,
            SourceLink.note,
            Block.anchor,
            Chapter.anchor,
            TextVersion.number,
        )
        .join(Block, Block.id == SourceLink.block_id)
        .join(Chapter, Chapter.id == Block.chapter_id)
        .join(Part, Part.id == Chapter.part_id)
        .join(TextVersion, TextVersion.id == Block.version_id)
        .where(sa.or_(*conditions))
        .order_by(TextVersion.number, Part.position, Chapter.position, Block.position)
    ).all()
    result: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for contribution_id, event_id, note, block_anchor, chapter_anchor, version in rows:
        key = ("contribution", contribution_id) if contribution_id else ("event", event_id)
        result[key].append(
            {
                "chapter": chapter_anchor,
                "block": block_anchor,
                "version": version,
                "url": f"/texte/chapitre/{chapter_anchor}#{block_anchor}",
                "note": note,
            }
        )
    return dict(result)


def api_sources_by_anchor(
    text_id: int, anchors: Iterable[str] | None = None
) -> dict[str, list[dict]]:
    """For the API: block anchor → [{"kind", "id", "title", "url", "note"}]."""
    return {
        anchor: [
            {"kind": r.kind, "id": r.id, "title": r.title, "url": r.url, "note": r.note}
            for r in refs
        ]
        for anchor, refs in sources_by_anchor(text_id, anchors).items()
    }


def get_event(convention_id: int, event_id: int) -> Event | None:
    """An event of the convention with its groups (for the provenance editor)."""
    return db.session.scalars(
        sa.select(Event)
        .where(Event.convention_id == convention_id, Event.id == event_id)
        .options(selectinload(Event.working_groups))
    ).first()
