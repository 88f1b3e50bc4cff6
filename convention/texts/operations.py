"""Writing texts: a new version from parsed parts (file import and seed share one writer)."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app

from convention.core.audit import audit
from convention.core.db import db
from convention.domain.documents.emphasis import Span, valid_spans
from convention.domain.errors import DomainError
from convention.domain.textimport import ParsedText, TextIssue, block_anchor, chapter_anchor, format_issue
from convention.domain.textstructure import BlockKind, number_lines, proposal_reference
from convention.texts.models import (
    VERSION_STATUS_LABELS,
    Block,
    Chapter,
    Part,
    Proposal,
    Text,
    TextVersion,
    VersionStatus,
)
from seed.records import BlockRecord, ChapterRecord, PartRecord

logger = logging.getLogger(__name__)


def slugify(value: str, max_length: int = 80) -> str:
    """ASCII slug: « Sécurité et prévention » → ``securite-et-prevention``."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "texte"


@dataclass(frozen=True)
class ImportedBlockRecord(BlockRecord):
    """A block read from a file, with its bold and italic words (offsets in ``text``)."""

    emphasis: tuple[Span, ...] = ()


def parsed_to_records(parsed: ParsedText) -> tuple[PartRecord, ...]:
    """The parser's structure as the records the writer takes (blocks keep their emphasis)."""
    return tuple(
        PartRecord(
            number=part.number,
            title=part.title,
            chapters=tuple(
                ChapterRecord(
                    number=chapter.number,
                    title=chapter.title,
                    blocks=tuple(
                        ImportedBlockRecord(
                            kind=block.kind, text=block.text, number=block.number, emphasis=block.emphasis
                        )
                        for block in chapter.blocks
                    ),
                )
                for chapter in part.chapters
            ),
        )
        for part in parsed.parts
    )


def stored_emphasis(spans: Sequence[Sequence], text: str) -> list[list[Any]] | None:
    """``Block.emphasis`` for ``spans`` over ``text``: ``[[start, end, kind], …]``, or None when there is none."""
    kept = valid_spans(spans, text)
    return [list(span) for span in kept] or None


def next_version_number(text: Text) -> int:
    if text.id is None:
        return 1
    current = db.session.scalar(
        sa.select(sa.func.max(TextVersion.number)).where(TextVersion.text_id == text.id)
    )
    return (current or 0) + 1


def write_text_version(
    text: Text,
    parts: Sequence[PartRecord],
    *,
    label: str,
    status: VersionStatus = VersionStatus.DRAFT,
    source: str = "",
    line_length: int | None = None,
    actor: Any = None,
    number: int | None = None,
    notify: bool | None = None,
) -> TextVersion:
    """Add a new version of ``text`` made of ``parts``: numbered lines, anchors, proposals.

    ``number`` defaults to the next free version number. Anchors are ``II-5`` for a
    chapter and ``II-5-12`` for its 12th block (``p1``/``c2`` when a part or chapter
    has no number); proposals get the reference ``PART.CHAPTER.RANK``.
    ``notify``: tell every member about the new version; by default only from version 2
    (the first version, written by ``flask seed``, is no news). A record with ``emphasis``
    (:class:`ImportedBlockRecord`) keeps its bold and italic words beside the plain text.
    Flushes and writes an audit entry; never commits.
    """
    if line_length is None:
        line_length = current_app.config["TEXT_LINE_LENGTH"]
    all_blocks = [b for p in parts for c in p.chapters for b in c.blocks]
    if not all_blocks:
        raise ValueError("a text version needs at least one block")
    spans = iter(number_lines((b.text for b in all_blocks), line_length))

    if text.id is None:
        db.session.add(text)
        db.session.flush()
    version = TextVersion(
        text=text,
        number=number if number is not None else next_version_number(text),
        label=label[:200],
        status=status,
        source=source[:200],
        line_length=line_length,
    )
    db.session.add(version)
    db.session.flush()

    references: set[str] = set()
    chapter_anchors: set[str] = set()
    proposals = recommendations = 0
    for part_position, part_record in enumerate(parts, start=1):
        part = Part(
            version=version,
            position=part_position,
            number=part_record.number,
            title=part_record.title,
        )
        for chapter_position, chapter_record in enumerate(part_record.chapters, start=1):
            anchor = chapter_anchor(
                part_record.number, part_position, chapter_record.number, chapter_position
            )
            if anchor in chapter_anchors:  # duplicate numbers: fall back to positions
                anchor = chapter_anchor(f"p{part_position}", 0, f"c{chapter_position}", 0)
            chapter_anchors.add(anchor)
            chapter = Chapter(
                part=part,
                version_id=version.id,
                position=chapter_position,
                number=chapter_record.number,
                title=chapter_record.title,
                anchor=anchor,
            )
            rank = 0
            for block_position, block_record in enumerate(chapter_record.blocks, start=1):
                line_start, line_end = next(spans)
                kind = BlockKind(block_record.kind)
                block_number = block_record.number
                if kind == BlockKind.PROPOSAL:
                    rank += 1
                    block_number = block_number or str(rank)
                block = Block(
                    chapter=chapter,
                    version_id=version.id,
                    position=block_position,
                    anchor=block_anchor(anchor, block_position),
                    kind=kind,
                    text=block_record.text,
                    number=block_number,
                    line_start=line_start,
                    line_end=line_end,
                    emphasis=stored_emphasis(getattr(block_record, "emphasis", ()), block_record.text),
                )
                if kind == BlockKind.PROPOSAL:
                    proposals += 1
                    reference = proposal_reference(part_record.number, chapter_record.number, rank)
                    if reference in references:
                        reference = f"{anchor.replace('-', '.')}.{rank}"
                    references.add(reference)
                    Proposal(
                        version_id=version.id,
                        block=block,
                        chapter=chapter,
                        reference=reference,
                        rank=rank,
                    )
                elif kind == BlockKind.RECOMMENDATION:
                    recommendations += 1
        db.session.add(part)
    db.session.flush()
    audit(
        actor,
        "text_version.created",
        version,
        text_id=text.id,
        number=version.number,
        label=version.label,
        source=source,
        parts=len(parts),
        chapters=sum(len(p.chapters) for p in parts),
        blocks=len(all_blocks),
        proposals=proposals,
        recommendations=recommendations,
    )
    logger.info(
        "text %s: version %s written (%d blocks, %d proposals)",
        text.slug, version.number, len(all_blocks), proposals,
    )  # fmt: skip
    should_notify = version.number > 1 if notify is None else notify
    if should_notify:
        notify_text_version(version)
    return version


def notify_text_version(version: TextVersion) -> int:
    """Notify every enabled account that ``version`` is out; returns how many were notified."""
    from convention.core.links import path_for
    from convention.members.models import User
    from convention.notifications.models import NotificationKind
    from convention.notifications.operations import notify_many

    text = version.text
    user_ids = db.session.scalars(sa.select(User.id).where(User.is_enabled.is_(True))).all()
    status = VERSION_STATUS_LABELS.get(version.status, "")
    body = f"La version {version.number} du texte « {text.title} » est en ligne : « {version.label} »."
    if status:
        body += f" Statut : {status}."
    return notify_many(
        user_ids,
        NotificationKind.TEXT_VERSION,
        f"Nouvelle version du texte : {version.label}"[:300],
        body,
        path_for("texts.index", version=version.number, _convention=text.convention),
    )


def _limit(column: Any) -> int | None:
    return getattr(column.type, "length", None)


def model_limit_issues(parsed: ParsedText, *, label: str = "", title: str = "") -> list[TextIssue]:
    """Every value of ``parsed`` (and of the options) longer than its column, with its line.

    The limits are read from the models, so a column that changes changes the check; without
    it PostgreSQL stopped the import with a traceback and SQLite stored the value whole.
    """
    issues: list[TextIssue] = []

    def check(value: str, column: Any, line: int, what: str) -> None:
        limit = _limit(column)
        if limit is not None and len(value) > limit:
            shown = value if len(value) <= 40 else value[:40] + "…"
            message = f"{what} trop long ({len(value)} caractères, {limit} au plus) : « {shown} »."
            issues.append(TextIssue(line, message))

    check(label, TextVersion.__table__.c.label, 0, "libellé de version (--label)")
    check(title, Text.__table__.c.title, 0, "titre du texte (--title)")
    for part_position, part in enumerate(parsed.parts, start=1):
        check(part.number, Part.__table__.c.number, part.line, "numéro de partie")
        check(part.title, Part.__table__.c.title, part.line, "titre de partie")
        for chapter_position, chapter in enumerate(part.chapters, start=1):
            check(chapter.number, Chapter.__table__.c.number, chapter.line, "numéro de chapitre")
            check(chapter.title, Chapter.__table__.c.title, chapter.line, "titre de chapitre")
            anchor = chapter_anchor(part.number, part_position, chapter.number, chapter_position)
            check(anchor, Chapter.__table__.c.anchor, chapter.line, "identifiant de chapitre")
            rank = 0
            for position, block in enumerate(chapter.blocks, start=1):
                check(block.number, Block.__table__.c.number, block.line, "numéro de bloc")
                check(block_anchor(anchor, position), Block.__table__.c.anchor, block.line, "identifiant de bloc")
                if block.kind == BlockKind.PROPOSAL.value:
                    rank += 1
                    reference = proposal_reference(part.number, chapter.number, rank)
                    check(reference, Proposal.__table__.c.reference, block.line, "référence de proposition")
    return sorted(set(issues), key=lambda issue: (issue.line, issue.message))


def import_text_version(
    actor: Any,
    convention: Any,
    parsed: ParsedText,
    label: str = "",
    source: str = "",
    *,
    title: str = "",
    status: VersionStatus = VersionStatus.DRAFT,
    line_length: int | None = None,
    notify: bool | None = None,
) -> TextVersion:
    """A new version of the convention's text from a parsed file (the text is created if need be).

    ``parsed`` must have no errors. ``notify`` as in ``write_text_version`` (the command
    ``flask texts import`` always notifies). Flushes and audits; never commits.
    """
    if parsed.errors:
        raise ValueError("cannot import a document with errors")
    issues = model_limit_issues(parsed, label=label, title=title)
    if issues:
        raise DomainError("; ".join(format_issue(issue) for issue in issues))
    text = db.session.scalars(
        sa.select(Text).where(Text.convention_id == convention.id).order_by(Text.id).limit(1)
    ).first()
    if text is None:
        text_title = title or convention.title
        text = Text(convention_id=convention.id, slug=slugify(text_title), title=text_title[:300])
        db.session.add(text)
        db.session.flush()
        audit(actor, "text.created", text, convention_id=convention.id, title=text.title)
    number = next_version_number(text)
    version = write_text_version(
        text,
        parsed_to_records(parsed),
        label=label or f"Version {number}",
        status=status,
        source=source,
        line_length=line_length,
        actor=actor,
        notify=notify,
    )
    from convention.search.indexing import index_text

    index_text(text)
    return version
