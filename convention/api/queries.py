"""Read helpers of the public API: one query per list (plus a count), relations preloaded."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import joinedload, selectinload

from convention.amendments.models import Amendment
from convention.calendar.models import PARIS, Event, EventPerson
from convention.contributions.models import Contribution
from convention.conventions.models import Convention
from convention.core.db import db
from convention.domain.amendments import AmendmentKind, AmendmentStatus
from convention.domain.textstructure import BlockKind
from convention.groups.models import WorkingGroup, WorkingGroupAnimator
from convention.members.models import Federation, Section
from convention.provenance import queries as provenance
from convention.texts.models import Block, Chapter, Part, Text, TextVersion


def get_convention(slug: str | None) -> Convention | None:
    """The published convention the request names, or None (drafts never reach the API).

    Under ``/api/v1/conventions/<slug>/…`` the path names it (the ``convention`` query parameter
    is then ignored); else ``?convention=<slug>``; else the featured convention.
    """
    from flask import g, has_request_context

    url_convention = g.get("url_convention") if has_request_context() else None
    if url_convention is not None:
        slug = url_convention.slug
    query = (
        sa.select(Convention)
        .options(selectinload(Convention.phases))
        .where(Convention.published_dt.is_not(None))
    )
    if slug:
        from convention.conventions.queries import could_be_slug

        if not could_be_slug(slug):
            return None
        query = query.where(Convention.slug == slug)
    else:
        query = query.order_by(Convention.is_featured.desc())
    return db.session.scalars(query.order_by(Convention.id).limit(1)).first()


def list_conventions() -> list[Convention]:
    """Every published convention, oldest first, phases preloaded."""
    return list(
        db.session.scalars(
            sa.select(Convention)
            .options(selectinload(Convention.phases))
            .where(Convention.published_dt.is_not(None))
            .order_by(Convention.id)
        )
    )


def convention_summary(convention: Convention, today: dt.date, featured_id: int | None) -> dict[str, Any]:
    """What the list of conventions says of each: titles, the phase in force, featured, archived."""
    phase = convention.current_phase(today)
    slug = convention.slug
    return {
        "slug": slug,
        "title": convention.title,
        "short_title": convention.short_title,
        "current_phase": (
            {"kind": phase.kind.value, "label": phase.label, "starts_on": phase.starts_on, "ends_on": phase.ends_on}
            if phase is not None
            else None
        ),
        "featured": convention.id == featured_id,
        "archived": convention.is_archived(today),
        "url": url_for("conventions.home", convention_slug=slug),
        "api_url": url_for("conventions_api.get_one", slug=slug),
    }


def convention_detail(convention: Convention, today: dt.date, featured_id: int | None) -> dict[str, Any]:
    """One convention: its summary, presentation and dated phases."""
    return {
        **convention_summary(convention, today, featured_id),
        "initiator": convention.initiator,
        "description": convention.description,
        "phases": convention_data(convention, today)["phases"],
    }


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
    """The text ``text_id`` if the API may show it here (see ``shows_convention``)."""
    from flask import g, has_request_context

    query = (
        sa.select(Text)
        .join(Convention, Convention.id == Text.convention_id)
        .where(Text.id == text_id, Convention.published_dt.is_not(None))
        .options(selectinload(Text.versions))
    )
    url_convention = g.get("url_convention") if has_request_context() else None
    if url_convention is not None:
        query = query.where(Text.convention_id == url_convention.id)
    return db.session.scalars(query).first()


def shows_convention(convention_id: int) -> bool:
    """A row of this convention may be shown: a published convention, and the one the path names.

    ``/api/v1/texts/12`` shows any published convention's text (old links keep working);
    ``/api/v1/conventions/<slug>/texts/12`` only that convention's.
    """
    from flask import g, has_request_context

    url_convention = g.get("url_convention") if has_request_context() else None
    if url_convention is not None:
        return url_convention.id == convention_id and url_convention.is_published
    convention = db.session.get(Convention, convention_id)
    return convention is not None and convention.is_published


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


# --- amendments -----------------------------------------------------------------------


def _base_query(convention: Convention) -> sa.Select:
    """The convention's amendments with what an item shows, in one SELECT (no co-signers)."""
    return (
        sa.select(Amendment)
        .where(Amendment.convention_id == convention.id)
        .options(
            joinedload(Amendment.version).load_only(TextVersion.number),
            joinedload(Amendment.section).load_only(Section.name),
            joinedload(Amendment.federation).load_only(Federation.name, Federation.title),
            joinedload(Amendment.merged_into).load_only(Amendment.number),
        )
    )


def list_amendments(
    convention: Convention, page: int, per_page: int, **filters: Any
) -> tuple[list[dict[str, Any]], int]:
    """One page of the convention's amendments by text, then line, then number."""
    query = _base_query(convention)
    if filters.get("text") is not None:
        query = query.where(Amendment.text_id == filters["text"])
    if filters.get("version") is not None:
        query = query.where(
            Amendment.version_id.in_(
                sa.select(TextVersion.id).where(TextVersion.number == filters["version"])
            )
        )
    if filters.get("chapter"):
        query = query.where(Amendment.chapter_anchor == filters["chapter"])
    if filters.get("block"):
        query = query.where(Amendment.block_anchor == filters["block"])
    if filters.get("status"):
        query = query.where(Amendment.status == AmendmentStatus(filters["status"]))
    if filters.get("section") is not None:
        query = query.where(Amendment.section_id == filters["section"])
    if filters.get("federation") is not None:
        query = query.where(Amendment.federation_id == filters["federation"])
    if filters.get("cluster") is not None:
        query = query.where(Amendment.cluster_id == filters["cluster"])
    unit = filters.get("unit")
    if unit is not None:
        has_unit = sa.or_(Amendment.section_id.is_not(None), Amendment.federation_id.is_not(None))
        query = query.where(has_unit if unit else sa.not_(has_unit))
    query = query.order_by(Amendment.text_id, Amendment.line_start, Amendment.number, Amendment.id)
    amendments, total = _page(query, page, per_page)
    return [amendment_data(a) for a in amendments], total


def get_amendment(convention: Convention, amendment_id: int) -> Amendment | None:
    """One amendment of the convention, or None."""
    return db.session.scalars(
        _base_query(convention).where(Amendment.id == amendment_id)
    ).first()


def _paris(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.astimezone(PARIS) if moment is not None else None


def _unit(a: Amendment) -> dict[str, Any] | None:
    if a.section is not None:
        return {"type": "section", "id": a.section_id, "name": a.section.name, "label": a.unit_label}
    if a.federation is not None:
        return {
            "type": "federation",
            "id": a.federation_id,
            "name": a.federation.name,
            "label": a.federation.title,
        }
    return None


def _admissible(a: Amendment) -> bool | None:
    if a.status == AmendmentStatus.INADMISSIBLE:
        return False
    if a.admissibility_dt is not None or a.is_synthesis:
        return True
    return None


def _decision(a: Amendment) -> dict[str, Any] | None:
    if a.decided_dt is None:
        return None
    decided = {AmendmentStatus.ADOPTED, AmendmentStatus.ADOPTED_MODIFIED, AmendmentStatus.MERGED}
    # Maintained (and withdrawn after being maintained) only follow a rejection.
    status = a.status if a.status in decided else AmendmentStatus.REJECTED
    return {
        "status": status.value,
        "reason": a.decision_reason,
        "date": _paris(a.decided_dt),
        "modified_wording": a.modified_replacement or None,
    }


def amendment_data(a: Amendment) -> dict[str, Any]:
    """The public view of one amendment (the co-signers' names are never part of it)."""
    admissible = _admissible(a)
    return {
        "id": a.id,
        "number": a.number,
        "text_id": a.text_id,
        "version": a.version.number,
        "chapter_id": a.chapter_anchor,
        "block_id": a.block_anchor,
        "kind": a.kind.value,
        "line_start": a.line_start,
        "line_end": a.line_end,
        "citation": a.citation,
        "original": "" if a.kind == AmendmentKind.INSERT else a.original,
        "replacement": "" if a.kind == AmendmentKind.DELETE else a.replacement,
        "rationale": a.rationale,
        "author": None if a.is_unit_amendment else (a.signed_by or None),
        "unit": _unit(a),
        "adopted_on": a.adopted_on,
        "cosignatures": a.cosignature_count,
        "cluster_id": a.cluster_id,
        "status": a.status.value,
        "status_label": a.status_label,
        "admissible": admissible,
        "admissibility": None
        if admissible is None
        else {
            "value": admissible,
            "reason": a.admissibility_reason,
            "date": _paris(a.admissibility_dt),
        },
        "opinion": None
        if a.opinion is None
        else {
            "value": a.opinion.value,
            "label": a.opinion_label,
            "reason": a.opinion_reason,
            "date": _paris(a.opinion_dt),
        },
        "decision": _decision(a),
        "is_synthesis": a.is_synthesis,
        "to_resubmit": a.is_orphaned,
        "merged_into": a.merged_into.number if a.merged_into is not None else None,
        "submitted": _paris(a.submitted_dt),
        "url": url_for("amendments.detail", amendment_id=a.id),
    }


# --- versions and differences ---------------------------------------------------------------------


def version_detail_data(text: Text, number: int) -> dict[str, Any] | None:
    """Version ``number`` of the text, the same shape as the text detail's ``version``; None if absent."""
    version = next((v for v in text.versions if v.number == number), None)
    if version is None:
        return None
    data = text_version_data(text, number)
    return {
        **data["version"],
        "text": text.id,
        "created": _paris(version.created_dt),
        "current": version is text.versions[-1],
    }


def diff_data(text: Text, old: TextVersion, new: TextVersion, chapter: str | None) -> dict[str, Any] | None:
    """The difference between two versions, per block; None when ``chapter`` is in neither version."""
    from convention.versions.queries import version_diff

    diff = version_diff(text, old, new, chapter)
    blocks = diff.blocks
    if chapter is not None and not blocks:
        return None
    counts = {change: 0 for change in ("unchanged", "modified", "inserted", "deleted")}
    items = []
    for block in blocks:
        counts[block.change.value] += 1
        refs = diff.refs(block)
        items.append(
            {
                "id": block.anchor,
                "chapter": diff.chapter_of[block.anchor],
                "change": block.change.value,
                "before": block.before,
                "after": block.after,
                "hunks": [
                    {"start": h.start, "end": h.end, "original": h.original, "replacement": h.replacement}
                    for h in block.hunks
                ],
                "amendments": [ref.number for ref in refs],
                "amendment_refs": [
                    {"number": ref.number, "id": ref.id, "version": ref.version_number} for ref in refs
                ],
            }
        )
    return {
        "text": text.id,
        "from": old.number,
        "to": new.number,
        "chapter": chapter,
        "summary": counts,
        "blocks": items,
    }
