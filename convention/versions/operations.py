"""Writing the versions of the text from the web: a status changed, a new version from a file.

A status is the Bureau national's; it moves along the table of :mod:`convention.domain.versions`.
A new version from a file (DOCX, ODT, PDF, plain text or Markdown) is the Bureau national's, and
the steering committee's while the text is being drafted (before the amendment phase), as a
« projet de texte ». The file is read by :func:`convention.domain.documents.import_document` and
compared with the current version (:func:`preview_text_file`, which writes nothing) before
:func:`publish_parsed` writes exactly what was previewed with the importer's writer; a large file
is read by a job (:func:`start_text_import`) with its progress page. Operations flush and audit;
they never commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from convention.core.audit import audit
from convention.core.db import db
from convention.core.permissions import ensure, is_national_bureau
from convention.domain.consolidation import BlockChange, BlockDiff, SourceBlock, diff_versions
from convention.domain.documents import import_document
from convention.domain.errors import DomainError
from convention.domain.phases import PhaseKind
from convention.domain.textimport import ParsedText, TextIssue
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


ONLY_WHILE_DRAFTING = (
    "Le comité de pilotage publie le projet de texte tant que le texte est en préparation (avant la phase des "
    "amendements) ; ensuite, seul le Bureau national publie une nouvelle version."
)
COMMITTEE_DRAFT_ONLY = (
    "Le comité de pilotage publie un projet de texte : les autres statuts sont ceux du Bureau national."
)
# The phases during which the steering committee drafts the text (none yet: the convention is being set up).
DRAFTING_PHASES = frozenset({None, PhaseKind.WORKING_GROUPS, PhaseKind.CONTRIBUTIONS})


def can_manage_versions(user: Any) -> bool:
    """The Bureau national sets the statuses and publishes versions from a file."""
    return is_national_bureau(user)


def is_drafting(convention: Any, today: dt.date) -> bool:
    """Is the text still being drafted (no phase yet, or the working groups and contributions)?"""
    return convention is not None and convention.current_phase_kind(today) in DRAFTING_PHASES


def can_import_text(user: Any, convention: Any, today: dt.date) -> bool:
    """The Bureau national, or the convention's steering committee while the text is being drafted."""
    if is_national_bureau(user):
        return True
    return convention is not None and convention.is_steering(user) and is_drafting(convention, today)


def allowed_statuses(user: Any) -> list[VersionStatus]:
    """The statuses a new version from a file may take: all for the Bureau national, « projet » for the committee."""
    return list(VersionStatus) if is_national_bureau(user) else [VersionStatus.DRAFT]


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
        path_for("texts.index", version=version.number, _convention=text.convention),
    )


# --- a new version from a file -------------------------------------------------------------------------


@dataclass
class FilePreview:
    """What a file would become (nothing written): its problems, or its structure, its report and its changes."""

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
    parsed: ParsedText | None = None

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

    @property
    def format_label(self) -> str:
        return self.parsed.format_label if self.parsed is not None else self.format

    @property
    def title(self) -> str:
        return self.parsed.title if self.parsed is not None else ""

    @property
    def warnings(self) -> tuple[TextIssue, ...]:
        return self.parsed.warnings if self.parsed is not None else ()

    @property
    def kinds(self) -> dict[str, int]:
        """What the importer recognised: parts, chapters, blocks per kind, notes."""
        return self.parsed.counts() if self.parsed is not None else {}

    @property
    def repairs(self) -> list[tuple[str, int]]:
        from convention.domain.textimport import REPAIR_LABELS

        if self.parsed is None:
            return []
        return [(REPAIR_LABELS.get(key, key), count) for key, count in self.parsed.repairs if key != "notes"]

    def where(self, line: int) -> str:
        """Where a chapter starts in the file: « ligne 12 », « page 3 », « paragraphe 14 (« … ») »."""
        return self.parsed.where(line) if self.parsed is not None else f"ligne {line}"


def read_text_file(
    data: bytes, filename: str, fmt: str = "auto", label: str = ""
) -> tuple[ParsedText, list[TextIssue]]:
    """Read an uploaded file the way ``flask texts import`` does: the importer's problems, then the lengths."""
    parsed = import_document(filename, data, fmt=fmt)
    return parsed, parsed_issues(parsed, label)


def parsed_issues(parsed: ParsedText, label: str = "") -> list[TextIssue]:
    """The importer's problems, then every value longer than its column."""
    title = parsed.title if len(parsed.title) <= _TITLE_LENGTH else ""
    return list(parsed.errors) or model_limit_issues(parsed, label=label, title=title)


def preview_text_file(text: Text | None, data: bytes, filename: str, fmt: str = "auto") -> FilePreview:
    """The structure of the file and what it changes compared with the current version; writes nothing."""
    parsed, _issues = read_text_file(data, filename, fmt)
    return preview_parsed(text, parsed, filename)


def preview_parsed(text: Text | None, parsed: ParsedText, filename: str) -> FilePreview:
    """The preview of an already read file (inline, or by the import job); writes nothing."""
    issues = parsed_issues(parsed)
    preview = FilePreview(filename=filename, format=parsed.format, issues=issues, parsed=parsed)
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


def main_text(convention: Any) -> Text | None:
    return db.session.scalars(
        sa.select(Text).where(Text.convention_id == convention.id).order_by(Text.id).limit(1)
    ).first()


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
    today: dt.date | None = None,
) -> TextVersion:
    """Read the file and write it as the next version of the convention's text (see :func:`publish_parsed`)."""
    ensure(can_import_text(actor, convention, today or dt.date.today()), _refusal(actor))
    parsed = import_document(filename, data, fmt=fmt)
    return publish_parsed(
        actor,
        convention,
        parsed,
        filename,
        checksum=hashlib.sha256(data).hexdigest(),
        status=status,
        label=label,
        base_number=base_number,
        today=today,
    )


def _refusal(actor: Any) -> str:
    return (
        ONLY_WHILE_DRAFTING
        if getattr(actor, "is_authenticated", False) and not is_national_bureau(actor)
        else (ONLY_THE_BUREAU)
    )


def publish_parsed(
    actor: Any,
    convention: Any,
    parsed: ParsedText,
    filename: str,
    *,
    checksum: str,
    status: VersionStatus = VersionStatus.AMENDED,
    label: str = "",
    base_number: int | None,
    today: dt.date | None = None,
) -> TextVersion:
    """Write a read file as the next version of the convention's text (the members are told).

    ``base_number`` is the current version the file was compared with in the preview: if
    another version was published since, nothing is written (DomainError, in French). The
    committee publishes only a « projet de texte », and only while the text is being drafted.
    Flushes and audits; never commits.
    """
    today = today or dt.date.today()
    ensure(can_import_text(actor, convention, today), _refusal(actor))
    status = VersionStatus(status)
    ensure(status in allowed_statuses(actor), COMMITTEE_DRAFT_ONLY)
    text = main_text(convention)
    current = text.current_version if text is not None else None
    current_number = current.number if current is not None else None
    if current_number != base_number:
        raise DomainError(
            f"La version {current_number} du texte a été publiée depuis l'aperçu : rien n'a été "
            "enregistré. Envoyez le fichier de nouveau pour voir ce qu'il change par rapport à elle."
        )
    issues = parsed_issues(parsed, label)
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
        title=parsed.title if len(parsed.title) <= _TITLE_LENGTH else "",
        status=status,
        notify=True,
    )
    version.checksum = checksum
    db.session.flush()
    audit(
        actor,
        "text_version.published_from_file",
        version,
        text_id=version.text_id,
        number=version.number,
        status=status.value,
        filename=filename,
        format=parsed.format,
        checksum=version.checksum,
        base=base_number,
        warnings=len(parsed.warnings),
    )
    return version


_TITLE_LENGTH = Text.__table__.c.title.type.length


# --- a large file: read by a job, with its progress page --------------------------------------------------


def start_text_import(
    actor: Any, convention: Any, filename: str, data: bytes, *, fmt: str = "auto", today: dt.date | None = None
):
    """Queue the reading of a large file (flushes; the caller commits); its page shows the progress."""
    from convention.jobs import operations as job_operations
    from convention.jobs.models import JobKind

    ensure(can_import_text(actor, convention, today or dt.date.today()), _refusal(actor))
    text = main_text(convention)
    base = text.current_version.number if text is not None and text.current_version is not None else None
    return job_operations.start_job(
        actor,
        JobKind.TEXT_IMPORT,
        {"convention_id": convention.id, "filename": filename, "format": fmt, "base": base},
        obj=convention,
        input_file=(filename, "application/octet-stream", data),
    )
