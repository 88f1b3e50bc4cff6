"""Writing provenance links (the only code that does)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from convention.core.audit import audit
from convention.core.db import db
from convention.core.permissions import ensure
from convention.domain.errors import DomainError
from convention.provenance.models import SourceLink, can_link_contribution, can_link_event
from convention.texts.models import Block, Chapter, TextVersion


def _source_filter(contribution=None, event=None):
    if (contribution is None) == (event is None):
        raise ValueError("give exactly one of contribution and event")
    if contribution is not None:
        return SourceLink.contribution_id == contribution.id, {"contribution_id": contribution.id}
    return SourceLink.event_id == event.id, {"event_id": event.id}


def set_chapter_links(
    actor,
    chapter: Chapter,
    block_ids: Iterable[int],
    *,
    contribution=None,
    event=None,
    note: str = "",
) -> tuple[list[SourceLink], list[int]]:
    """Make the blocks ``block_ids`` of ``chapter`` exactly those the source is linked to there.

    Links are matched by block anchor within the text, so a link made on an earlier version
    counts for the same paragraph of the current one. Returns (links added, anchors unlinked).
    """
    if contribution is not None:
        ensure(
            can_link_contribution(actor, contribution),
            "Seuls les pilotes lient une contribution intégrée au texte.",
        )
    else:
        ensure(can_link_event(actor, event), "Seuls les pilotes lient une audition au texte.")
    condition, values = _source_filter(contribution, event)
    blocks = {b.id: b for b in chapter.blocks}
    wanted = set(block_ids)
    unknown = wanted - set(blocks)
    if unknown:
        raise DomainError("Ces passages n'appartiennent pas au chapitre.")
    wanted_anchors = {blocks[i].anchor for i in wanted}
    text_id = db.session.scalar(
        sa.select(TextVersion.text_id).where(TextVersion.id == chapter.version_id)
    )
    existing = db.session.scalars(
        sa.select(SourceLink)
        .join(Block, Block.id == SourceLink.block_id)
        .join(TextVersion, TextVersion.id == Block.version_id)
        .where(
            condition,
            TextVersion.text_id == text_id,
            Block.anchor.in_([b.anchor for b in blocks.values()]),
        )
    ).all()
    linked_anchors: set[str] = set()
    removed: list[int] = []
    for link in existing:
        anchor = link.block.anchor
        if anchor in wanted_anchors:
            linked_anchors.add(anchor)
            continue
        removed.append(link.block_id)
        audit(actor, "source_link.delete", link, block_id=link.block_id, anchor=anchor, **values)
        db.session.delete(link)
    added: list[SourceLink] = []
    for block_id in sorted(wanted):
        block = blocks[block_id]
        if block.anchor in linked_anchors:
            continue
        link = SourceLink(
            block_id=block.id, note=(note or "").strip()[:300], created_by_id=actor.id, **values
        )
        db.session.add(link)
        db.session.flush()
        audit(actor, "source_link.create", link, block_id=block.id, anchor=block.anchor, **values)
        added.append(link)
    db.session.flush()
    return added, removed
