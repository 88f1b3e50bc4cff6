"""What the printed outputs share: reading the amendments, finding an export to reuse, starting one.

Every output is public to members (amendments are public, and so is the text), so one export
serves everyone: an export of the same inputs that is done (with its file) or under way is
handed out instead of a new one, as the text's PDF export does. The inputs of the amendment
book and of the spreadsheets are the amendments as they stand: a fingerprint of every field
they print changes with any step, co-signature or re-anchoring. A consolidated version never
changes, so its DOCX and ODT are keyed by the version alone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from markupsafe import Markup
from sqlalchemy.orm import selectinload

from convention.amendments.models import Amendment, BlockAmendment
from convention.core.db import db
from convention.core.permissions import PermissionDenied
from convention.jobs import operations as job_operations
from convention.jobs.models import Job, JobFileRole, JobKind, JobState
from convention.members.models import Member, Section
from convention.texts.models import Block, Chapter, Part, TextVersion

REUSABLE_STATES = frozenset({JobState.QUEUED, JobState.RUNNING, JobState.SUCCEEDED})
# How many of the latest jobs of a kind are looked at for one to reuse.
REUSE_WINDOW = 30
PARIS = ZoneInfo("Europe/Paris")

# The columns that change what an output prints (the rationale and texts are fixed once filed,
# except through a step, which moves ``updated_dt`` or a date below).
FINGERPRINT_COLUMNS = (
    Amendment.id, Amendment.version_id, Amendment.status, Amendment.cosignature_count, Amendment.line_start,
    Amendment.line_end, Amendment.block_anchor, Amendment.updated_dt, Amendment.decided_dt, Amendment.opinion_dt,
    Amendment.admissibility_dt, Amendment.cluster_id, Amendment.is_orphaned, Amendment.merged_into_id,
)  # fmt: skip


def amendments_fingerprint(text_id: int, version_id: int | None = None) -> str:
    """A short digest of the amendments' printed state (of one version, or of the whole text)."""
    query = sa.select(*FINGERPRINT_COLUMNS).where(Amendment.text_id == text_id)
    if version_id is not None:
        query = query.where(Amendment.version_id == version_id)
    digest = hashlib.sha256()
    for row in db.session.execute(query.order_by(Amendment.id)):
        digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()[:32]


def find_output(kind: JobKind, params: dict[str, Any]) -> Job | None:
    """The latest job of ``kind`` with these parameters that is done (with its file) or under way."""
    jobs = db.session.scalars(
        sa.select(Job)
        .where(Job.kind == kind, Job.state.in_(REUSABLE_STATES))
        .order_by(Job.id.desc())
        .limit(REUSE_WINDOW)
    )
    for job in jobs:
        if all((job.params or {}).get(key) == value for key, value in params.items()):
            if job.state == JobState.SUCCEEDED and job_operations.file_of(job.id, JobFileRole.OUTPUT) is None:
                return None
            return job
    return None


def start_output(actor: Any, kind: JobKind, params: dict[str, Any], *, obj: Any = None) -> tuple[Job, bool]:
    """The existing export of these inputs, or a new queued job (flushes; ``True`` if new)."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("Connectez-vous pour télécharger ce document.")
    existing = find_output(kind, params)
    if existing is not None:
        return existing, False
    return job_operations.start_job(actor, kind, params, obj=obj), True


# --- reading -------------------------------------------------------------------------------------


def versions_with_amendments(text_id: int) -> list[tuple[TextVersion, int]]:
    """The versions that carry amendments, with their count, in version order."""
    rows = db.session.execute(
        sa.select(TextVersion, sa.func.count(Amendment.id))
        .join(Amendment, Amendment.version_id == TextVersion.id)
        .where(TextVersion.text_id == text_id)
        .group_by(TextVersion.id)
        .order_by(TextVersion.number)
    ).all()
    return [(version, count) for version, count in rows]


def consolidated_versions(text_id: int) -> list[TextVersion]:
    """The versions written by a consolidation (they record the amendments that changed them)."""
    ids = sa.select(BlockAmendment.version_id).distinct()
    return list(
        db.session.scalars(
            sa.select(TextVersion)
            .where(TextVersion.text_id == text_id, TextVersion.id.in_(ids))
            .order_by(TextVersion.number)
        )
    )


def previous_version(version: TextVersion) -> TextVersion | None:
    """The version a consolidated one was made from (the one its amendments were decided on)."""
    decided_on = db.session.scalar(
        sa.select(Amendment.version_id)
        .join(BlockAmendment, BlockAmendment.amendment_id == Amendment.id)
        .where(BlockAmendment.version_id == version.id)
        .limit(1)
    )
    if decided_on is not None:
        return db.session.get(TextVersion, decided_on)
    return db.session.scalars(
        sa.select(TextVersion).where(TextVersion.text_id == version.text_id, TextVersion.number == version.number - 1)
    ).first()


def list_amendments(text_id: int, version_id: int | None = None) -> Sequence[Amendment]:
    """Every amendment (withdrawn ones included) in line order, with their unit and federation."""
    query = sa.select(Amendment).where(Amendment.text_id == text_id)
    if version_id is not None:
        query = query.where(Amendment.version_id == version_id)
    return db.session.scalars(
        query.options(
            selectinload(Amendment.section).selectinload(Section.federation),
            selectinload(Amendment.federation),
            selectinload(Amendment.author_member).selectinload(Member.section).selectinload(Section.federation),
            selectinload(Amendment.version),
        ).order_by(Amendment.version_id, Amendment.line_start, Amendment.number)
    ).all()


def outline(version_id: int) -> list[tuple[Part, list[Chapter]]]:
    """The parts and chapters of a version in reading order (blocks not loaded)."""
    parts = db.session.scalars(
        sa.select(Part)
        .where(Part.version_id == version_id)
        .options(selectinload(Part.chapters))
        .order_by(Part.position)
    ).all()
    return [(part, sorted(part.chapters, key=lambda c: c.position)) for part in parts]


def blocks_by_chapter(version_id: int) -> dict[int, list[Block]]:
    """chapter id → its blocks in order, for one version (one query)."""
    found: dict[int, list[Block]] = {}
    for block in db.session.scalars(
        sa.select(Block).where(Block.version_id == version_id).order_by(Block.chapter_id, Block.position)
    ):
        found.setdefault(block.chapter_id, []).append(block)
    return found


# --- labels --------------------------------------------------------------------------------------


def federation_of(amendment: Amendment) -> str:
    """The federation the amendment comes from: its own, its section's, or its author's."""
    if amendment.federation is not None:
        return amendment.federation.title
    if amendment.section is not None and amendment.section.federation is not None:
        return amendment.section.federation.title
    member = amendment.author_member
    section = getattr(member, "section", None) if member is not None else None
    federation = getattr(section, "federation", None)
    return federation.title if federation is not None else ""


def paris(value: dt.datetime | None, with_time: bool = True) -> str:
    """« 06/12/2026 14:05 » in the site's time zone ('' for none)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(PARIS).strftime("%d/%m/%Y %H:%M" if with_time else "%d/%m/%Y")


def iso_utc(value: dt.datetime | None) -> str:
    """``2026-12-06T13:05:00Z``, as revisions carry their dates."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def lines_label(amendment: Amendment) -> str:
    if amendment.line_start == amendment.line_end:
        return str(amendment.line_start)
    return f"{amendment.line_start}-{amendment.line_end}"


def render(template: str, **context: Any) -> Markup:
    """A template rendered without a request (a worker has none)."""
    return Markup(current_app.jinja_env.get_template(template).render(**context))


def path_for(endpoint: str, job: Job | None = None, **values: Any) -> str:
    """A site path built from a worker, in the convention ``job`` works for (no request names it)."""
    from convention.core.links import job_convention
    from convention.core.links import path_for as site_path

    if job is not None and "_convention" not in values:
        values["_convention"] = job_convention(job)
    return site_path(endpoint, **values)
