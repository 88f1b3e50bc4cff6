"""Read helpers of the public API: one query per list (plus a count), relations preloaded."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from convention.calendar.models import Event, EventPerson
from convention.contributions.models import Contribution
from convention.conventions.models import Convention
from convention.core.db import db
from convention.domain.textstructure import BlockKind
from convention.groups.models import WorkingGroup, WorkingGroupAnimator
from convention.provenance import queries as provenance
from convention.texts.models import Block, Chapter, Part, Text, TextVersion


def get_convention(slug: str | None) -> Convention | None:
    """The convention named by ``slug``, or the first one (one convention runs at a time)."""
    query = sa.select(Convention).options(selectinload(Convention.phases))
    if slug:
        query = query.where(Convention.slug == slug)
    return db.session.scalars(query.order_by(Convention.id).limit(1)).first()


def _page(query: sa.Select, page: int, per_page: int) -> tuple[list[Any], int]:
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    )
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return items, total or 0


def convention_data(convention: Convention, today: dt.date) -> dict[str, Any]:
    kind = convention.current_phase_kind(today)
    return {
        "slug": convention.slug,
        "title": convention.title,
        "short_title": convention.short_title,
        "initiator": convention.initiator,
        "current_phase": kind.value if kind else None,
        "phases": [
            {"kind": p.kind.value, "label": p.label, "starts_on": p.starts_on, "ends_on": p.ends_on}
            for p in convention.phases
        ],
    }


def list_working_groups(convention: Convention, page: int, per_page: int):
    query = (
        sa.select(WorkingGroup)
        .where(WorkingGroup.convention_id == convention.id)
        .options(selectinload(WorkingGroup.animators).selectinload(WorkingGroupAnimator.person))
        .order_by(WorkingGroup.number)
    )
    groups, total = _page(query, page, per_page)
    items = [
        {
            "id": g.id,
            "number": g.number,
            "title": g.title,
            "animators": [
                {"name": a.person.display_name, "titles": a.person.titles} for a in g.animators
            ],
        }
        for g in groups
    ]
    return items, total


def list_events(convention: Convention, page: int, per_page: int):
    query = (
        sa.select(Event)
        .where(Event.convention_id == convention.id)
        .options(
            selectinload(Event.participants).selectinload(EventPerson.person),
            selectinload(Event.working_groups),
        )
        .order_by(Event.starts_dt, Event.position, Event.id)
    )
    events, total = _page(query, page, per_page)
    links = provenance.text_links_by_source(event_ids=[e.id for e in events])
    items = [
        {
            "id": e.id,
            "start": e.local_start,
            "end": e.ends_dt.astimezone(e.local_start.tzinfo) if e.ends_dt else None,
            "all_day": e.is_all_day,
            "kind": e.kind.value,
            "title": e.title,
            "description": e.description,
            "place": e.place,
            "people": [p.display_name for p in e.hosts],
            "experts": [p.display_name for p in e.experts],
            "working_groups": [g.number for g in e.working_groups],
            "text_links": links.get(("event", e.id), []),
        }
        for e in events
    ]
    return items, total


def list_contributions(convention: Convention, page: int, per_page: int):
    query = (
        sa.select(Contribution)
        .where(Contribution.convention_id == convention.id)
        .options(
            selectinload(Contribution.working_group),
            selectinload(Contribution.section),
            selectinload(Contribution.federation),
        )
        .order_by(Contribution.channel.desc(), Contribution.number, Contribution.id)
    )
    contributions, total = _page(query, page, per_page)
    links = provenance.text_links_by_source(contribution_ids=[c.id for c in contributions])
    items = [
        {
            "id": c.id,
            "number": c.number,
            "channel": c.channel.value,
            "title": c.title,
            "author_name": c.author_name,
            "unit": c.unit_label,
            "status": c.status.value,
            "working_group": c.working_group.number if c.working_group else None,
            "answer": c.answer,
            "text_links": links.get(("contribution", c.id), []),
        }
        for c in contributions
    ]
    return items, total


def _version_summary(version: TextVersion) -> dict[str, Any]:
    return {"number": version.number, "label": version.label, "status": version.status.value}


def list_texts(convention: Convention, page: int, per_page: int):
    query = (
        sa.select(Text)
        .where(Text.convention_id == convention.id)
        .options(selectinload(Text.versions))
        .order_by(Text.id)
    )
    texts, total = _page(query, page, per_page)
    items = [
        {
            "id": t.id,
            "slug": t.slug,
            "title": t.title,
            "versions": [_version_summary(v) for v in t.versions],
        }
        for t in texts
    ]
    return items, total


def get_text(text_id: int) -> Text | None:
    return db.session.scalars(
        sa.select(Text).where(Text.id == text_id).options(selectinload(Text.versions))
    ).first()


def text_version_data(text: Text, version_number: int | None) -> dict[str, Any] | None:
    """The text with one version (the current one by default) down to its blocks; None if absent."""
    if not text.versions:
        return None
    if version_number is None:
        version_id = text.versions[-1].id
    else:
        version_id = next((v.id for v in text.versions if v.number == version_number), None)
        if version_id is None:
            return None
    version = db.session.scalars(
        sa.select(TextVersion)
        .where(TextVersion.id == version_id)
        .options(
            selectinload(TextVersion.parts)
            .selectinload(Part.chapters)
            .selectinload(Chapter.blocks)
            .selectinload(Block.proposal)
        )
    ).one()
    sources = provenance.api_sources_by_anchor(text.id)
    return {
        "id": text.id,
        "slug": text.slug,
        "title": text.title,
        "versions": [_version_summary(v) for v in text.versions],
        "version": {
            **_version_summary(version),
            "line_length": version.line_length,
            "parts": [
                {
                    "number": part.number,
                    "title": part.title,
                    "chapters": [
                        {
                            "id": chapter.anchor,
                            "number": chapter.number,
                            "title": chapter.title,
                            "blocks": [
                                _block_data(block, sources.get(block.anchor, []))
                                for block in chapter.blocks
                            ],
                        }
                        for chapter in part.chapters
                    ],
                }
                for part in version.parts
            ],
        },
    }


def _block_data(block: Block, sources: list[dict] | None = None) -> dict[str, Any]:
    return {
        "id": block.anchor,
        "pk": block.id,
        "kind": block.kind.value,
        "text": block.text,
        "line_start": block.line_start,
        "line_end": block.line_end,
        "reference": block.proposal.reference if block.proposal is not None else None,
        "number": block.number if block.kind == BlockKind.RECOMMENDATION else None,
        "sources": sources or [],
    }
