"""Writing the versions of the text from the web: a status changed, a new version from a file.

Both are the Bureau national's. A status moves along the table of
:mod:`convention.domain.versions`; a file is read and compared with the current version
(:func:`preview_text_file`, which writes nothing) before :func:`publish_text_file` writes it with
the importer's writer. Operations flush and audit; they never commit.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from convention.core.audit import audit
from convention.core.db import db
from convention.core.permissions import ensure, is_national_bureau
from convention.domain.consolidation import BlockChange, BlockDiff, SourceBlock, diff_versions
from convention.domain.errors import DomainError
from convention.domain.textimport import ParsedText, TextIssue, parse_bytes
from convention.domain.versions import (
    STAGE_LABELS,
    ChapterDiff,
    PlannedChapter,
    check_version_transition,
    diff_by_chapter,
    is_notified,
    planned_structure,
    summary,
)
from convention.texts.models import VERSION_STATUS_LABELS, Text, TextVersion, VersionStatus
from convention.texts.operations import import_text_version, model_limit_issues
from convention.versions.queries import ChapterInfo, chapter_infos, source_blocks

logger = logging.getLogger(__name__)

ONLY_THE_BUREAU = "Seul le Bureau national change le statut d'une version ou publie une nouvelle version."


def can_manage_versions(user: Any) -> bool:
    """The Bureau national sets the statuses and publishes versions from a file."""
    return is_national_bureau(user)


# --- the status of a version ------------------------------------------------------------------------


def change_version_status(actor: Any, version: TextVersion, target: VersionStatus) -> TextVersion:
    """Move ``version`` (the text's current one) to ``target``; tell the members when it matters.

    Raises VersionTransitionError (409, in French) for a step the table does not allow.
    """
    ensure(can_manage_versions(actor), ONLY_THE_BUREAU)
    target = VersionStatus(target)
    current = version.text.current_version
    check_version_transition(version.status, target, version.number, current.number if current else None)
    source = version.status
    version.status = target
    db.session.flush()
    audit(
        actor,
        "text_version.status_changed",
        version,
        text_id=version.text_id,
        number=version.number,
        source=source.value,
        target=target.value,
    )
    logger.info("text %s: version %s %s → %s", version.text_id, version.number, source.value, target.value)
    if is_notified(target):
        notify_version_status(version)
    return version


def notify_version_status(version: TextVersion) -> int:
    """Tell every enabled account that ``version`` reached its status; returns how many were told."""
    from convention.core.links import path_for
    from convention.members.models import User
    from convention.notifications.models import NotificationKind
    from convention.notifications.operations import notify_many

    text = version.text
    status = VERSION_STATUS_LABELS[version.status]
    user_ids = db.session.scalars(sa.select(User.id).where(User.is_enabled.is_(True))).all()
    return notify_many(
        user_ids,
        NotificationKind.TEXT_VERSION,
        f"« {text.title} » : {status.lower()} (version {version.number})"[:300],
        f"La version {version.number} du texte « {text.title} » a un nouveau statut : {status}.",
        path_for("texts.index", version=version.number),
    )


# --- a new version from a file -------------------------------------------------------------------------


@dataclass
class FilePreview:
    """What a file would become (nothing written): its problems, or its structure and its changes."""

    filename: str
    format: str
    issues: list[TextIssue] = field(default_factory=list)
    chapters: list[PlannedChapter] = field(default_factory=list)
    blocks: int = 0
    proposals: int = 0
    recommendations: int = 0
    base: TextVersion | None = None  # the current version it is compared with
    diffs: list[BlockDiff] = field(default_factory=list)
    by_chapter: list[ChapterDiff] = field(default_factory=list)
    infos: dict[str, ChapterInfo] = field(default_factory=dict)
    identical: bool = False  # same chapters, same blocks (kind and words) as the current version

    @property
    def ok(self) -> bool:
        return not self.issues

    @property
    def counts(self) -> dict[str, int]:
        return summary(self.diffs)

    @property
    def changes_anything(self) -> bool:
        return not self.identical

    @property
    def changed_chapters(self) -> list[ChapterDiff]:
        return [c for c in self.by_chapter if c.changed]

    def info(self, anchor: str) -> ChapterInfo:
        return self.infos.get(anchor) or ChapterInfo(anchor, "", anchor, "", "")


def read_text_file(
    data: bytes, filename: str, fmt: str = "auto", label: str = ""
) -> tuple[ParsedText, list[TextIssue]]:
    """Parse an uploaded file the way ``flask texts import`` does: the parser's problems, then the lengths."""
    parsed = parse_bytes(data, fmt=fmt, filename=filename)
    issues = list(parsed.errors) or model_limit_issues(parsed, label=label)
    return parsed, issues


def preview_text_file(text: Text | None, data: bytes, filename: str, fmt: str = "auto") -> FilePreview:
    """The structure of the file and what it changes compared with the current version; writes nothing."""
    parsed, issues = read_text_file(data, filename, fmt)
    preview = FilePreview(filename=filename, format=parsed.format, issues=issues)
    if issues:
        return preview
    chapters, blocks = planned_structure(parsed)
    preview.chapters = chapters
    preview.blocks = len(blocks)
    preview.proposals = parsed.count("proposal")
    preview.recommendations = parsed.count("recommendation")
    base = text.current_version if text is not None else None
    if base is not None:
        preview.base = base
        old = source_blocks(base.id)
        chapter_of = {b.anchor: b.chapter for b in old}
        chapter_of.update({b.anchor: b.chapter for b in blocks})
        preview.diffs = diff_versions(old, blocks)
        preview.by_chapter = diff_by_chapter(preview.diffs, lambda d: chapter_of[d.anchor])
        preview.infos = chapter_infos(base.id)
        preview.identical = _same_content(base, chapters, blocks)
    preview.infos.update(
        {c.anchor: ChapterInfo(c.anchor, c.number, c.title, c.part_number, c.part_title) for c in chapters}
    )
    return preview


def _same_content(version: TextVersion, chapters: list[PlannedChapter], blocks: list[SourceBlock]) -> bool:
    """Would the file write ``version`` again (same chapters, same blocks with the same kinds and words)?"""
    old = source_blocks(version.id)
    if [(b.anchor, b.kind) for b in old] != [(b.anchor, b.kind) for b in blocks]:
        return False
    if any(d.change != BlockChange.UNCHANGED for d in diff_versions(old, blocks)):
        return False
    infos = chapter_infos(version.id)
    return [(i.anchor, i.number, i.title) for i in infos.values()] == [(c.anchor, c.number, c.title) for c in chapters]


def publish_text_file(
    actor: Any,
    convention: Any,
    data: bytes,
    filename: str,
    *,
    fmt: str = "auto",
    status: VersionStatus = VersionStatus.AMENDED,
    label: str = "",
    base_number: int | None,
) -> TextVersion:
    """Write the file as the next version of the convention's text (the members are told).

    ``base_number`` is the current version the Bureau national saw the file compared with: if
    another version was published since, nothing is written (DomainError, in French). Flushes and
    audits; never commits.
    """
    ensure(can_manage_versions(actor), ONLY_THE_BUREAU)
    status = VersionStatus(status)
    text = db.session.scalars(
        sa.select(Text).where(Text.convention_id == convention.id).order_by(Text.id).limit(1)
    ).first()
    current = text.current_version if text is not None else None
    current_number = current.number if current is not None else None
    if current_number != base_number:
        raise DomainError(
            f"La version {current_number} du texte a été publiée depuis l'aperçu : rien n'a été "
            "enregistré. Envoyez le fichier de nouveau pour voir ce qu'il change par rapport à elle."
        )
    parsed, issues = read_text_file(data, filename, fmt, label)
    if issues:
        raise DomainError(f"Le fichier « {filename} » contient {len(issues)} problème(s) : rien n'a été enregistré.")
    if current is not None and _same_content(current, *planned_structure(parsed)):
        raise DomainError(f"Ce fichier est identique à la version {current.number} du texte : il n'y a rien à publier.")
    version = import_text_version(
        actor,
        convention,
        parsed,
        label=label or f"{STAGE_LABELS[status]} (fichier {filename})",
        source=filename,
        status=status,
        notify=True,
    )
    version.checksum = hashlib.sha256(data).hexdigest()
    db.session.flush()
    audit(
        actor,
        "text_version.published_from_file",
        version,
        text_id=version.text_id,
        number=version.number,
        status=status.value,
        filename=filename,
        checksum=version.checksum,
        base=base_number,
    )
    return version
