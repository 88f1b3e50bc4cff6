"""Consolidating the text: the next version from the adopted amendments, as a job with progress.

The steering committee starts « Consolider le texte » (:func:`start_consolidation`), which is
refused while two adopted amendments conflict. The job (:func:`run_consolidation`) writes
version N+1 (« texte amendé ») in one unit of work: the blocks computed by
:func:`convention.domain.consolidation.consolidate` (a changed block keeps its anchor, an
inserted one gets a new anchor never used in the text), their lines numbered by the line rule,
the amendments that changed each block (``block_amendment``); then it moves the amendments
still pending on version N to version N+1 (their passage found again: new span, lines and
citation) or marks them « à redéposer » and tells their authors, re-indexes the search and
tells the members of the new version.

Idempotent: nothing is committed between the first write and the job's success, so a worker
that dies leaves nothing behind and the job runs again from the start; a job that finds the
version it wrote (by the version's ``source``) reports it instead of writing another one.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from convention.amendments.models import Amendment, BlockAmendment
from convention.amendments.operations import as_change, authors_of_many
from convention.core.audit import audit
from convention.core.db import db, utcnow
from convention.core.links import path_for
from convention.core.permissions import ensure
from convention.domain import amendments as domain
from convention.domain.amendments import ADOPTED_STATUSES, OPEN_STATUSES, AmendmentKind
from convention.domain.consolidation import (
    AdoptedChange,
    BlockChange,
    ConflictingChanges,
    Consolidation,
    NewBlock,
    PendingQuote,
    SourceBlock,
    StaleAdoptedChange,
    UnknownBlock,
    change_at,
    consolidate,
    effective_change,
    reanchor_all,
)
from convention.domain.errors import DomainError
from convention.domain.textstructure import BlockKind, normalize_space, number_lines, proposal_reference
from convention.jobs import operations as job_operations
from convention.jobs import queries as job_queries
from convention.jobs.models import Job, JobKind, JobState
from convention.jobs.runner import JobFailed, Progress, handler
from convention.members.models import User
from convention.notifications.models import NotificationKind
from convention.notifications.operations import notify_each
from convention.texts.models import Block, Chapter, Part, Proposal, Text, TextVersion, VersionStatus
from convention.texts.operations import next_version_number, notify_text_version

logger = logging.getLogger(__name__)

ACTIVE_STATES = frozenset({JobState.QUEUED, JobState.RUNNING})
SOURCE_PREFIX = "consolidation"  # TextVersion.source of a consolidated version: « consolidation:v1:job12 »


def version_source(from_number: int, job_id: int) -> str:
    return f"{SOURCE_PREFIX}:v{from_number}:job{job_id}"


# --- what the committee sees before starting ------------------------------------------------------


def adopted_amendments(version: TextVersion) -> list[Amendment]:
    """The adopted amendments (adopted, adopted as modified, syntheses) written on ``version``."""
    return list(
        db.session.scalars(
            sa.select(Amendment)
            .where(Amendment.version_id == version.id, Amendment.status.in_(ADOPTED_STATUSES))
            .order_by(Amendment.number)
        )
    )


def pending_amendments(version: TextVersion) -> list[Amendment]:
    """The amendments still waiting for a decision on ``version`` (and not already « à redéposer »)."""
    return list(
        db.session.scalars(
            sa.select(Amendment)
            .where(
                Amendment.version_id == version.id,
                Amendment.status.in_(OPEN_STATUSES),
                Amendment.is_orphaned.is_(False),
            )
            .options(selectinload(Amendment.section), selectinload(Amendment.federation))
            .order_by(Amendment.number)
        )
    )


def adopted_change(amendment: Amendment) -> AdoptedChange:
    """The change an adopted amendment makes, in its final wording."""
    change = as_change(amendment)
    return AdoptedChange(amendment.id, amendment.block_anchor, effective_change(change, amendment.modified_replacement))


def conflicting_pairs(adopted: Sequence[Amendment]) -> list[tuple[Amendment, Amendment]]:
    """The pairs of adopted amendments that touch the same passage (smaller number first)."""
    by_id = {a.id: a for a in adopted}
    pairs = domain.conflicts(adopted_change_anchor(a) for a in adopted)
    found = [(by_id[x], by_id[y]) for x, y in pairs]
    ordered = [(a, b) if a.number < b.number else (b, a) for a, b in found]
    return sorted(ordered, key=lambda pair: (pair[0].number, pair[1].number))


def adopted_change_anchor(amendment: Amendment) -> domain.Anchor:
    adopted = adopted_change(amendment)
    return domain.anchor_of(amendment.id, amendment.block_anchor, adopted.change)


def conflict_lines(pairs: Sequence[tuple[Amendment, Amendment]]) -> list[str]:
    """One French line per conflicting pair (« Amendements n° 3 et n° 5 : lignes 12 à 13 »)."""
    lines = []
    for a, b in pairs:
        first, last = min(a.line_start, b.line_start), max(a.line_end, b.line_end)
        where = f"ligne {first}" if first == last else f"lignes {first} à {last}"
        lines.append(f"Amendements n° {a.number} et n° {b.number} : ils portent sur le même passage ({where}).")
    return lines


def conflict_message(pairs: Sequence[tuple[Amendment, Amendment]]) -> str:
    numbers = sorted({a.number for pair in pairs for a in pair})
    listed = ", ".join(f"n° {n}" for n in numbers)
    return (
        f"Le texte ne peut pas être consolidé : des amendements adoptés portent sur le même passage ({listed}). "
        "Rejetez l'un d'eux, ou adoptez un amendement de synthèse, puis relancez la consolidation."
    )


@dataclass
class ConsolidationPlan:
    """What « Consolider le texte » would do now, for the page that starts it."""

    text: Text
    version: TextVersion
    adopted: list[Amendment]
    conflicts: list[tuple[Amendment, Amendment]]
    pending: int
    running: Job | None
    recent: Sequence[Job] = field(default_factory=list)

    @property
    def can_start(self) -> bool:
        return bool(self.adopted) and not self.conflicts and self.running is None


def plan_consolidation(text: Text) -> ConsolidationPlan:
    """The adopted amendments of the current version, their conflicts, the pending ones, a running job."""
    version = text.current_version
    adopted = adopted_amendments(version)
    pending = db.session.scalar(
        sa.select(sa.func.count(Amendment.id)).where(
            Amendment.version_id == version.id,
            Amendment.status.in_(OPEN_STATUSES),
            Amendment.is_orphaned.is_(False),
        )
    )
    return ConsolidationPlan(
        text=text,
        version=version,
        adopted=adopted,
        conflicts=conflicting_pairs(adopted),
        pending=pending or 0,
        running=job_queries.find_by_param(JobKind.TEXT_CONSOLIDATION, "text_id", text.id, ACTIVE_STATES),
        recent=[j for j in job_queries.list_recent(JobKind.TEXT_CONSOLIDATION, 20)
                if (j.params or {}).get("text_id") == text.id][:5],
    )  # fmt: skip


def can_consolidate(user: Any, convention: Any) -> bool:
    """The steering committee (and the Bureau national)."""
    return convention is not None and convention.is_steering(user)


def start_consolidation(actor: Any, convention: Any, text: Text) -> tuple[Job, bool]:
    """Queue the consolidation of the text's current version (``True`` if a new job; flushes).

    Refused (DomainError, in French) when nothing is adopted or two adopted amendments conflict;
    a consolidation already queued or running is returned instead of a second one.
    """
    ensure(can_consolidate(actor, convention), "Seul le comité de pilotage consolide le texte.")
    if text.convention_id != convention.id:
        raise DomainError("Ce texte n'appartient pas à la convention.")
    plan = plan_consolidation(text)
    if plan.running is not None:
        return plan.running, False
    if not plan.adopted:
        raise DomainError(
            f"Aucun amendement n'est adopté sur la version {plan.version.number} du texte : il n'y a rien à consolider."
        )
    if plan.conflicts:
        raise DomainError(conflict_message(plan.conflicts) + " " + " ".join(conflict_lines(plan.conflicts)))
    params = {
        "convention_id": convention.id,
        "text_id": text.id,
        "version_id": plan.version.id,
        "version_number": plan.version.number,
    }
    job = job_operations.start_job(actor, JobKind.TEXT_CONSOLIDATION, params, obj=plan.version)
    return job, True


# --- writing the new version -----------------------------------------------------------------------


@dataclass
class ConsolidationOutcome:
    version: TextVersion
    adopted: list[int]  # amendment numbers
    modified: int
    inserted: int
    deleted: int
    moved: list[int] = field(default_factory=list)  # numbers of the pending amendments re-anchored
    orphaned: list[int] = field(default_factory=list)  # numbers marked « à redéposer »


def _source_blocks(version: TextVersion) -> tuple[list[Part], list[Block]]:
    parts = list(
        db.session.scalars(
            sa.select(Part)
            .where(Part.version_id == version.id)
            .options(selectinload(Part.chapters).selectinload(Chapter.blocks))
            .order_by(Part.position)
        )
    )
    blocks = [b for p in parts for c in p.chapters for b in c.blocks]
    return parts, blocks


def _used_anchors(text_id: int) -> set[str]:
    """Every block anchor any version of the text has used."""
    return set(
        db.session.scalars(
            sa.select(Block.anchor).distinct().join(TextVersion, TextVersion.id == Block.version_id)
            .where(TextVersion.text_id == text_id)
        )
    )  # fmt: skip


def _kept_emphasis(old_blocks, new_block):
    """The old block's bold and italic spans, when the block's text is unchanged (else none)."""
    if new_block.change == BlockChange.INSERTED:
        return None
    old = old_blocks.get(new_block.origin)
    return old.emphasis if old is not None and old.text == new_block.text else None


def _write_version(
    text: Text, source: TextVersion, parts: Sequence[Part], old_blocks: dict[str, Block], result: Consolidation,
    *, label: str, source_tag: str, actor: Any,
) -> tuple[TextVersion, dict[str, Block]]:  # fmt: skip
    """Version N+1 with the parts and chapters of ``source`` and the consolidated blocks."""
    width = source.line_length
    spans = iter(number_lines([b.text for b in result.blocks], width))
    by_chapter: dict[str, list[NewBlock]] = defaultdict(list)
    for new_block in result.blocks:
        by_chapter[new_block.chapter].append(new_block)
    version = TextVersion(
        text=text,
        number=next_version_number(text),
        label=label[:200],
        status=VersionStatus.AMENDED,
        source=source_tag[:200],
        line_length=width,
    )
    db.session.add(version)
    db.session.flush()
    written: dict[str, Block] = {}
    references: set[str] = set()
    for old_part in parts:
        part = Part(version=version, position=old_part.position, number=old_part.number, title=old_part.title)
        for old_chapter in old_part.chapters:
            chapter = Chapter(
                part=part,
                version_id=version.id,
                position=old_chapter.position,
                number=old_chapter.number,
                title=old_chapter.title,
                anchor=old_chapter.anchor,
            )
            rank = 0
            for position, new_block in enumerate(by_chapter.get(old_chapter.anchor, ()), start=1):
                line_start, line_end = next(spans)
                number = ""
                if new_block.kind == BlockKind.PROPOSAL:
                    rank += 1
                    number = str(rank)
                elif new_block.change != BlockChange.INSERTED:
                    number = old_blocks[new_block.origin].number
                block = Block(
                    chapter=chapter,
                    version_id=version.id,
                    position=position,
                    anchor=new_block.anchor,
                    kind=new_block.kind,
                    text=new_block.text,
                    number=number,
                    line_start=line_start,
                    line_end=line_end,
                    emphasis=_kept_emphasis(old_blocks, new_block),
                )
                written[new_block.anchor] = block
                if new_block.kind == BlockKind.PROPOSAL:
                    reference = proposal_reference(old_part.number, old_chapter.number, rank)
                    if reference in references:
                        reference = f"{old_chapter.anchor.replace('-', '.')}.{rank}"
                    references.add(reference)
                    Proposal(version_id=version.id, block=block, chapter=chapter, reference=reference, rank=rank)
        db.session.add(part)
    db.session.flush()
    audit(
        actor,
        "text_version.created",
        version,
        text_id=text.id,
        number=version.number,
        label=version.label,
        source=version.source,
        blocks=len(result.blocks),
    )
    return version, written


def _record_changes(version: TextVersion, result: Consolidation) -> None:
    rows = [
        BlockAmendment(version_id=version.id, block_anchor=b.anchor, amendment_id=amendment_id, change=b.change)
        for b in result.blocks
        if b.change != BlockChange.UNCHANGED
        for amendment_id in b.amendment_ids
    ]
    rows += [
        BlockAmendment(version_id=version.id, block_anchor=anchor, amendment_id=amendment_id,
                       change=BlockChange.DELETED)
        for anchor, ids in result.deleted
        for amendment_id in ids
    ]  # fmt: skip
    db.session.add_all(rows)
    db.session.flush()


def _quote(amendment: Amendment) -> PendingQuote:
    return PendingQuote(
        amendment_id=amendment.id,
        block=amendment.block_anchor,
        chapter=amendment.chapter_anchor,
        kind=amendment.kind,
        start=amendment.span_start,
        end=amendment.span_end,
        original=amendment.original,
        prefix=amendment.prefix,
        suffix=amendment.suffix,
        whole_block=amendment.is_whole_block,
    )


def _quoted(text: str) -> str:
    return f"« {normalize_space(text)} »"


def _orphan_notice(
    amendment: Amendment, old: TextVersion, new: TextVersion, old_text: str, new_text: str | None
) -> tuple[str, str, str]:
    """The notice telling the authors that their amendment must be filed again: subject, body, url."""
    lines = f"ligne {amendment.line_start}" if amendment.line_start == amendment.line_end else (
        f"lignes {amendment.line_start} à {amendment.line_end}")  # fmt: skip
    body = (
        f"L'amendement n° {amendment.number} porte sur la version {old.number} du texte ({lines}). "
        f"La version {new.number}, issue des amendements adoptés, ne contient plus le passage qu'il cite : "
        "il reste enregistré mais doit être redéposé sur la nouvelle rédaction.\n\n"
        f"Rédaction de la version {old.number} : {_quoted(old_text)}\n\n"
        + (f"Rédaction de la version {new.number} : {_quoted(new_text)}" if new_text is not None
           else f"Dans la version {new.number}, ce paragraphe a été supprimé.")
    )  # fmt: skip
    url = path_for("amendments.detail", amendment_id=amendment.id)
    subject = f"Amendement n° {amendment.number} : à redéposer sur la version {new.number} du texte"
    return subject[:300], body, url


def _reanchor_pending(
    actor: Any, old: TextVersion, new: TextVersion, old_blocks: dict[str, Block], result: Consolidation,
    written: dict[str, Block], outcome: ConsolidationOutcome,
) -> None:  # fmt: skip
    from convention.search.indexing import index_amendments

    pending = pending_amendments(old)
    places = reanchor_all([_quote(a) for a in pending], list(result.blocks))
    now = utcnow()
    # Thousands of amendments may move: the changes go out together at the end, not one flush each.
    with db.session.no_autoflush:
        notices = _move_pending(pending, places, actor, old, new, old_blocks, written, outcome, now)
    db.session.flush()
    index_amendments(pending)
    # The authors of the amendments to file again, told in bulk (each about their own amendment).
    orphaned = [amendment for amendment, _ in notices]
    authors = authors_of_many(orphaned)
    notify_each(
        NotificationKind.AMENDMENT_DECISION,
        [(user.id, *notice) for amendment, notice in notices for user in authors[amendment.id]],
    )


def _move_pending(pending, places, actor, old, new, old_blocks, written, outcome, now) -> list:
    """Move each pending amendment to where its quote was found, or mark it « à redéposer ».

    Returns the (amendment, notice) of those to file again.
    """
    notices = []
    for amendment, place in zip(pending, places, strict=True):
        if place.found:
            block = written[place.block]
            change = change_at(_quote(amendment), place, block.text, amendment.replacement)
            first, last = domain.span_lines(block.text, new.line_length, block.line_start, change.start, change.end)
            amendment.version_id = new.id
            amendment.block_anchor = block.anchor
            amendment.chapter_anchor = place.chapter
            amendment.span_start, amendment.span_end = change.start, change.end
            if amendment.kind != AmendmentKind.INSERT:
                amendment.original = change.original
            amendment.prefix, amendment.suffix = change.prefix[:80], change.suffix[:80]
            amendment.line_start, amendment.line_end = first, last
            amendment.citation = domain.citation(change, first, last)
            amendment.updated_dt = now
            outcome.moved.append(amendment.number)
        else:
            amendment.is_orphaned = True
            amendment.orphaned_dt = now
            amendment.updated_dt = now
            old_block = old_blocks.get(amendment.block_anchor)
            new_block = written.get(amendment.block_anchor)
            notices.append((amendment, _orphan_notice(
                amendment, old, new,
                old_block.text if old_block is not None else amendment.original,
                new_block.text if new_block is not None else None,
            )))  # fmt: skip
            outcome.orphaned.append(amendment.number)
    return notices


def consolidate_text_version(actor: Any, version: TextVersion, *, source_tag: str = "") -> ConsolidationOutcome:
    """Write version N+1 of the text from the adopted amendments of ``version`` (its current one).

    Flushes, audits and notifies within the caller's unit of work; never commits. Raises
    DomainError (in French) when two adopted amendments conflict or one no longer matches.
    """
    text = version.text
    if text.current_version.id != version.id:
        raise DomainError(f"La version {version.number} n'est plus la dernière version du texte.")
    adopted = adopted_amendments(version)
    if not adopted:
        raise DomainError(f"Aucun amendement n'est adopté sur la version {version.number} : rien à consolider.")
    by_id = {a.id: a for a in adopted}
    parts, blocks = _source_blocks(version)
    old_blocks = {b.anchor: b for b in blocks}
    sources = [SourceBlock(b.anchor, b.kind, b.text, b.chapter.anchor) for b in blocks]
    try:
        result = consolidate(sources, [adopted_change(a) for a in adopted], _used_anchors(text.id))
    except ConflictingChanges as error:
        pairs = [(by_id[x], by_id[y]) for x, y in error.pairs]
        raise DomainError(conflict_message(pairs) + " " + " ".join(conflict_lines(pairs))) from None
    except (StaleAdoptedChange, UnknownBlock) as error:
        number = by_id[error.amendment_id].number
        raise DomainError(
            f"L'amendement adopté n° {number} ne correspond plus au paragraphe {error.block} de la version "
            f"{version.number} : le texte ne peut pas être consolidé."
        ) from None
    number = next_version_number(text)
    new, written = _write_version(
        text, version, parts, old_blocks, result,
        label=f"Texte amendé (version {number})",
        source_tag=source_tag or f"{SOURCE_PREFIX}:v{version.number}",
        actor=actor,
    )  # fmt: skip
    _record_changes(new, result)
    changes = [b.change for b in result.blocks]
    outcome = ConsolidationOutcome(
        version=new,
        adopted=[a.number for a in adopted],
        modified=changes.count(BlockChange.MODIFIED),
        inserted=changes.count(BlockChange.INSERTED),
        deleted=len(result.deleted),
    )
    _reanchor_pending(actor, version, new, old_blocks, result, written, outcome)
    audit(
        actor,
        "text.consolidated",
        new,
        text_id=text.id,
        from_version=version.number,
        to_version=new.number,
        adopted=outcome.adopted,
        modified=outcome.modified,
        inserted=outcome.inserted,
        deleted=outcome.deleted,
        moved=outcome.moved,
        orphaned=outcome.orphaned,
    )
    notify_text_version(new)
    from convention.search.indexing import index_text

    index_text(text)  # expires the session's objects: read what is needed before
    logger.info(
        "text %s: version %s consolidated into %s (%d adopted, %d moved, %d orphaned)",
        text.id, version.number, number, len(outcome.adopted), len(outcome.moved), len(outcome.orphaned),
    )  # fmt: skip
    return outcome


# --- the job -------------------------------------------------------------------------------------------


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count <= 1 else many}"


def _summary(text_id: int, version_number: int, lines: list[str], orphaned: list[int], moved: list[int]) -> dict:
    text = db.session.get(Text, text_id)
    convention = text.convention if text is not None else None  # the worker has no page naming it
    return {
        "lines": lines,
        "links": [
            {"url": path_for("texts.index", version=version_number, _convention=convention),
             "label": f"Lire la version {version_number}"},
            {"url": path_for("amendments.consolidate", _convention=convention), "label": "Revenir à la consolidation"},
        ],
        "text_id": text_id,
        "version_number": version_number,
        "moved": moved,
        "orphaned": orphaned,
    }


@handler(JobKind.TEXT_CONSOLIDATION)
def run_consolidation(job: Job, progress: Progress) -> dict[str, Any]:
    """Consolidate the version named by the job, once (see the module's docstring)."""
    params = dict(job.params or {})
    job_id, actor_id = job.id, job.created_by_id
    text = db.session.get(Text, params.get("text_id"))
    version = db.session.get(TextVersion, params.get("version_id"))
    if text is None or version is None:
        raise JobFailed("Ce texte ou cette version n'existe plus : la consolidation est impossible.")
    tag = version_source(version.number, job_id)
    done = db.session.scalar(sa.select(TextVersion).where(TextVersion.text_id == text.id, TextVersion.source == tag))
    if done is not None:  # already written by this job (its success was not recorded)
        return _summary(text.id, done.number, [f"La version {done.number} du texte a déjà été écrite par ce travail."],
                        [], [])  # fmt: skip
    if text.current_version.id != version.id:
        raise JobFailed(
            f"Le texte a changé depuis le lancement : la version {text.current_version.number} est déjà en ligne. "
            "Relancez la consolidation depuis la page « Consolider le texte »."
        )
    progress(10, f"Vérification des amendements adoptés sur la version {version.number}…")
    version = db.session.get(TextVersion, params["version_id"])
    adopted = adopted_amendments(version)
    pairs = conflicting_pairs(adopted)
    if pairs:
        raise JobFailed(conflict_message(pairs), conflict_lines(pairs))
    progress(30, f"Écriture de la version {version.number + 1}, report des amendements en attente…")
    # From here nothing is committed until the job's success: a crash leaves no half-written version.
    version = db.session.get(TextVersion, params["version_id"])
    actor = db.session.get(User, actor_id) if actor_id is not None else None
    try:
        outcome = consolidate_text_version(actor, version, source_tag=tag)
    except DomainError as error:
        raise JobFailed(str(error)) from None
    new_number, moved, orphaned = outcome.version.number, outcome.moved, outcome.orphaned
    lines = [
        f"Version {new_number} du texte écrite (texte amendé) : "
        f"{_plural(len(outcome.adopted), 'amendement adopté intégré', 'amendements adoptés intégrés')} — "
        f"{_plural(outcome.modified, 'paragraphe modifié', 'paragraphes modifiés')}, "
        f"{_plural(outcome.inserted, 'inséré', 'insérés')}, {_plural(outcome.deleted, 'supprimé', 'supprimés')}.",
        f"{_plural(len(moved), 'amendement en attente reporté', 'amendements en attente reportés')} "
        f"sur la version {new_number}, avec leurs nouveaux numéros de ligne.",
    ]
    if orphaned:
        lines.append(
            f"À redéposer ({len(orphaned)}) : n° {', n° '.join(str(n) for n in orphaned)} — leur passage n'existe "
            "plus dans la nouvelle version ; leurs auteurs en sont informés."
        )
    return _summary(text.id, new_number, lines, orphaned, moved)
