"""Keep the search index (``search_document``) in step with the objects it describes.

Call ``index_contribution`` / ``index_event`` / ``index_block`` after a write that changes
what is searchable (they flush, never commit), ``index_text`` after a new version of a text,
and ``rebuild_index()`` after a bulk import (the seed). Withdrawn contributions and blocks of
older versions are taken out of the index.
"""

from __future__ import annotations

import functools
import html
import logging
import re
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from convention.calendar.models import Event, EventPerson
from convention.contributions.models import Contribution
from convention.domain.lifecycle import ContributionStatus
from convention.extensions import db
from convention.search.models import SearchDocument, SearchKind
from convention.search.syntax import clean_text
from convention.texts.models import Block, Chapter, Part, Text, TextVersion

logger = logging.getLogger(__name__)

# Event attributes that may hold what was said (minutes, a hearing's summary), when present.
EVENT_TEXT_ATTRIBUTES = ("description", "minutes", "summary", "hearing_summary", "expert_summary")

_TAG = re.compile(r"<[^>]+>")


def _path(endpoint: str, fragment: str | None = None, **values: Any) -> str:
    """The path of a page within its convention, built without a request (indexing also runs from the CLI).

    The index stores each page's path *inside its convention* — the short path (``/texte/…``),
    never ``/c/<slug>/…`` nor the site's root — and :func:`site_path` puts the convention's
    prefix in front when a result is shown. Stored this way, a url stays right when the Bureau
    national features another convention (the featured one's pages keep the short paths, the
    others' move under ``/c/<slug>/``) without rebuilding the index. Built on the bare URL map
    (no ``url_defaults``), so the slug of the page that happens to run the indexing never gets in.
    """
    adapter = current_app.url_map.bind("localhost", script_name="/")
    path = adapter.build(endpoint, values)
    return f"{path}#{fragment}" if fragment else path


def site_path(stored: str, convention: Any) -> str:
    """The site path of an index row's ``url`` for ``convention`` (that the row belongs to).

    ``/texte/chapitre/I-1#a`` for the featured convention, ``/c/<slug>/texte/chapitre/I-1#a``
    for another; the site's root (``SCRIPT_NAME`` or ``PUBLIC_BASE_URL``'s path) included, as
    :func:`convention.core.links.path_for` builds it.
    """
    from convention.core.links import path_for

    home = path_for("conventions.home", _convention=convention).rstrip("/")
    return home + stored


@functools.cache
def _markdown_parser():
    """One CommonMark parser for the process (building one costs more than rendering a rationale)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False})


def markdown_to_text(source: str | None) -> str:
    """Plain text of a Markdown body (what a reader sees, without the markup)."""
    if not source:
        return ""
    rendered = _markdown_parser().render(source)
    text = html.unescape(_TAG.sub(" ", rendered))
    return clean_text(" ".join(text.split()))


def _group_ids(ids: Iterable[int]) -> str:
    ids = sorted(set(ids))
    return "," + ",".join(str(i) for i in ids) + "," if ids else ""


def _store(kind: SearchKind, object_id: int, values: dict[str, Any]) -> SearchDocument:
    document = db.session.scalars(
        sa.select(SearchDocument).where(
            SearchDocument.kind == kind, SearchDocument.object_id == object_id
        )
    ).first()
    if document is None:
        document = SearchDocument(kind=kind, object_id=object_id, **values)
        db.session.add(document)
    else:
        for key, value in values.items():
            if getattr(document, key) != value:
                setattr(document, key, value)
    return document


def remove_document(kind: SearchKind, object_id: int) -> None:
    """Take one object out of the index (no error if it was not there)."""
    db.session.execute(
        sa.delete(SearchDocument).where(
            SearchDocument.kind == kind, SearchDocument.object_id == object_id
        )
    )


# --- values of each kind ---------------------------------------------------------------


def _block_values(block: Block, chapter: Chapter, part: Part, convention_id: int) -> dict:
    reference = ""
    if block.proposal is not None:
        reference = f" {block.proposal.reference}"
    elif block.number:
        reference = f" {block.number}"
    chapter_label = f"{chapter.number}. {chapter.title}" if chapter.number else chapter.title
    part_label = f"Partie {part.number} — {part.title}" if part.number else part.title
    return {
        "convention_id": convention_id,
        "title": chapter_label[:400],
        "context": f"{part_label} · {block.kind_label}{reference}"[:400],
        "search_title": "",
        "body": clean_text(block.text),
        "url": _path("texts.chapter", fragment=block.anchor, anchor=chapter.anchor),
        "day": None,
        "working_group_ids": "",
        "status": block.kind.value,
        "position": block.line_start,
    }


def _contribution_values(contribution: Contribution) -> dict:
    number = f"Contribution n° {contribution.number}" if contribution.number else "Contribution"
    who = contribution.unit_label or contribution.author_name
    context = " · ".join(p for p in (number, who, contribution.status_label) if p)
    return {
        "convention_id": contribution.convention_id,
        "title": contribution.title[:400],
        "context": context[:400],
        "search_title": clean_text(contribution.title),
        "body": markdown_to_text(contribution.body),
        "url": _path("contributions.detail", contribution_id=contribution.id),
        "day": contribution.submitted_dt.date()
        if contribution.submitted_dt and contribution.submitted_date_known
        else None,
        "working_group_ids": _group_ids(
            [contribution.working_group_id] if contribution.working_group_id else []
        ),
        "status": contribution.status.value,
        "position": contribution.number or 0,
    }


def _event_values(event: Event) -> dict:
    texts = []
    # Minutes count once published (when the model says so): drafts must not leak.
    published = getattr(event, "minutes_published_dt", True) is not None
    for name in EVENT_TEXT_ATTRIBUTES if published else EVENT_TEXT_ATTRIBUTES[:1]:
        value = getattr(event, name, None)
        if isinstance(value, str) and value.strip():
            texts.append(value.strip())
    people = [
        " ".join(p for p in (person.display_name, person.organisation) if p)
        for person in (participant.person for participant in event.participants)
        if person is not None
    ]
    experts = ", ".join(person.display_name for person in event.experts)
    context = " · ".join(p for p in (event.kind_label, experts, event.place) if p)
    return {
        "convention_id": event.convention_id,
        "title": event.title[:400],
        "context": context[:400],
        "search_title": clean_text(" ".join([event.title, *people])),
        "body": clean_text("\n\n".join(markdown_to_text(t) for t in texts)),
        "url": _path("calendar.event", event_id=event.id),
        "day": event.day,
        "working_group_ids": _group_ids(group.id for group in event.working_groups),
        "status": event.kind.value,
        "position": 0,
    }


def _amendment_values(amendment) -> dict:
    who = amendment.signed_by
    context = " · ".join(
        p for p in (f"Amendement n° {amendment.number}", who, amendment.status_label) if p
    )
    body = "\n\n".join(
        p for p in (amendment.citation, markdown_to_text(amendment.rationale)) if p
    )
    return {
        "convention_id": amendment.convention_id,
        "title": f"Amendement n° {amendment.number} — {amendment.citation}"[:400],
        "context": context[:400],
        "search_title": clean_text(f"Amendement n° {amendment.number} {who}"),
        "body": clean_text(body),
        "url": _path("amendments.detail", amendment_id=amendment.id),
        "day": amendment.submitted_dt.date() if amendment.submitted_dt else None,
        "working_group_ids": "",
        "status": amendment.status.value,
        "position": amendment.number,
    }


# --- one object --------------------------------------------------------------------------


def index_contribution(contribution: Contribution) -> None:
    """(Re)index a contribution; a withdrawn one leaves the index. Flushes."""
    db.session.flush()
    if contribution.status == ContributionStatus.WITHDRAWN:
        remove_document(SearchKind.CONTRIBUTION, contribution.id)
    else:
        _store(SearchKind.CONTRIBUTION, contribution.id, _contribution_values(contribution))
    db.session.flush()


def index_amendment(amendment) -> None:
    """(Re)index an amendment: its citation (the quoted and new words) and its rationale. Flushes.

    A withdrawn amendment leaves the index, as a withdrawn contribution does.
    """
    from convention.domain.amendments import AmendmentStatus

    db.session.flush()
    if amendment.status == AmendmentStatus.WITHDRAWN:
        remove_document(SearchKind.AMENDMENT, amendment.id)
    else:
        _store(SearchKind.AMENDMENT, amendment.id, _amendment_values(amendment))
    db.session.flush()


def index_amendments(amendments) -> None:
    """(Re)index many amendments at once (a consolidation moves thousands): one read, one flush."""
    from convention.domain.amendments import AmendmentStatus

    amendments = list(amendments)
    if not amendments:
        return
    db.session.flush()
    ids = [a.id for a in amendments]
    existing = {
        document.object_id: document
        for start in range(0, len(ids), 1000)
        for document in db.session.scalars(
            sa.select(SearchDocument).where(
                SearchDocument.kind == SearchKind.AMENDMENT, SearchDocument.object_id.in_(ids[start : start + 1000])
            )
        )
    }
    with db.session.no_autoflush:
        for amendment in amendments:
            document = existing.get(amendment.id)
            if amendment.status == AmendmentStatus.WITHDRAWN:
                if document is not None:
                    db.session.delete(document)
                continue
            values = _amendment_values(amendment)
            if document is None:
                db.session.add(SearchDocument(kind=SearchKind.AMENDMENT, object_id=amendment.id, **values))
            else:
                for key, value in values.items():
                    if getattr(document, key) != value:
                        setattr(document, key, value)
    db.session.flush()


def index_event(event: Event) -> None:
    """(Re)index an event of the calendar. Flushes."""
    db.session.flush()
    _store(SearchKind.EVENT, event.id, _event_values(event))
    db.session.flush()


def index_block(block: Block) -> None:
    """(Re)index a block if it belongs to the current version of its text. Flushes."""
    db.session.flush()
    chapter = block.chapter
    part = chapter.part
    version = part.version
    text = version.text
    if text.current_version is None or text.current_version.id != version.id:
        remove_document(SearchKind.TEXT, block.id)
    else:
        _store(SearchKind.TEXT, block.id, _block_values(block, chapter, part, text.convention_id))
    db.session.flush()


def index_text(text: Text) -> int:
    """Index the current version of ``text`` and drop the blocks of its other versions."""
    db.session.flush()
    version_ids = sa.select(TextVersion.id).where(TextVersion.text_id == text.id)
    block_ids = sa.select(Block.id).where(Block.version_id.in_(version_ids))
    db.session.execute(
        sa.delete(SearchDocument).where(
            SearchDocument.kind == SearchKind.TEXT, SearchDocument.object_id.in_(block_ids)
        )
    )
    db.session.expire_all()
    version = db.session.scalars(
        sa.select(TextVersion)
        .where(TextVersion.text_id == text.id)
        .order_by(TextVersion.number.desc())
        .limit(1)
    ).first()
    if version is None:
        return 0
    parts = db.session.scalars(
        sa.select(Part)
        .where(Part.version_id == version.id)
        .options(
            selectinload(Part.chapters).selectinload(Chapter.blocks).selectinload(Block.proposal)
        )
        .order_by(Part.position)
    ).all()
    count = 0
    for part in parts:
        for chapter in part.chapters:
            for block in chapter.blocks:
                db.session.add(
                    SearchDocument(
                        kind=SearchKind.TEXT,
                        object_id=block.id,
                        **_block_values(block, chapter, part, text.convention_id),
                    )
                )
                count += 1
    db.session.flush()
    return count


# --- everything --------------------------------------------------------------------------


def rebuild_index(convention_id: int | None = None) -> int:
    """Empty the index (of one convention, or all) and fill it again; returns the row count."""
    db.session.flush()
    delete = sa.delete(SearchDocument)
    if convention_id is not None:
        delete = delete.where(SearchDocument.convention_id == convention_id)
    db.session.execute(delete)
    db.session.expire_all()

    count = 0
    texts = sa.select(Text)
    contributions = sa.select(Contribution).where(
        Contribution.status != ContributionStatus.WITHDRAWN
    )
    events = sa.select(Event).options(
        selectinload(Event.participants).selectinload(EventPerson.person),
        selectinload(Event.working_groups),
    )
    if convention_id is not None:
        texts = texts.where(Text.convention_id == convention_id)
        contributions = contributions.where(Contribution.convention_id == convention_id)
        events = events.where(Event.convention_id == convention_id)
    for text in db.session.scalars(texts).all():
        count += index_text(text)
    contribution_rows = db.session.scalars(
        contributions.options(
            selectinload(Contribution.section), selectinload(Contribution.federation)
        )
    ).all()
    for contribution in contribution_rows:
        db.session.add(
            SearchDocument(
                kind=SearchKind.CONTRIBUTION,
                object_id=contribution.id,
                **_contribution_values(contribution),
            )
        )
        count += 1
    for event in db.session.scalars(events).all():
        db.session.add(
            SearchDocument(kind=SearchKind.EVENT, object_id=event.id, **_event_values(event))
        )
        count += 1
    count += _index_amendments(convention_id)
    db.session.flush()
    logger.info("search index rebuilt: %d documents", count)
    return count


def _index_amendments(convention_id: int | None) -> int:
    from convention.amendments.models import Amendment
    from convention.domain.amendments import AmendmentStatus

    query = sa.select(Amendment).where(Amendment.status != AmendmentStatus.WITHDRAWN)
    if convention_id is not None:
        query = query.where(Amendment.convention_id == convention_id)
    rows = db.session.scalars(
        query.options(selectinload(Amendment.section), selectinload(Amendment.federation))
    ).all()
    for amendment in rows:
        db.session.add(
            SearchDocument(
                kind=SearchKind.AMENDMENT, object_id=amendment.id, **_amendment_values(amendment)
            )
        )
    return len(rows)


__all__ = [
    "index_amendment",
    "index_amendments",
    "index_block",
    "index_contribution",
    "index_event",
    "index_text",
    "rebuild_index",
    "remove_document",
    "markdown_to_text",
]
