"""A consolidated version as DOCX and ODT with real tracked changes (« suivi des modifications »).

Each adopted amendment is a revision that Word and LibreOffice can accept or reject: its
author is the amendment's author or unit, its date the decision's. The words of each block are
compared between the version the amendments were decided on and the consolidated one
(``word_diff``); each changed passage goes to the amendment whose span it falls in (or is
nearest to), and the passages of one amendment in one paragraph are joined into one deletion
and one insertion. A paragraph inserted or deleted by an amendment is one revision.

python-docx and odfpy build the documents; neither models revisions, so the ``w:ins``/``w:del``
runs and the ``text:tracked-changes`` regions are written on their element trees here.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from convention.amendments.models import Amendment, BlockAmendment
from convention.core.db import db
from convention.domain.amendments import word_diff
from convention.domain.consolidation import BlockChange, SourceBlock, diff_versions
from convention.domain.textstructure import BlockKind
from convention.jobs import operations as job_operations
from convention.jobs.models import Job, JobFileRole, JobKind
from convention.jobs.runner import JobFailed, Progress, handler
from convention.outputs import common
from convention.texts.models import TextVersion

logger = logging.getLogger(__name__)

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT_MIMETYPE = "application/vnd.oasis.opendocument.text"
FALLBACK_AUTHOR = "Comité de pilotage"
FORMATS = {JobKind.TEXT_DOCX: "docx", JobKind.TEXT_ODT: "odt"}


# --- what changed, by whom ---------------------------------------------------------------------


@dataclass(frozen=True)
class Reviser:
    """Who made a revision and when (the amendment's author or unit, the decision's date)."""

    author: str
    date: str  # ISO 8601, UTC
    amendment_id: int | None = None
    number: int | None = None


@dataclass
class Revision:
    """A changed passage of a paragraph: the words deleted and those inserted, by one amendment."""

    reviser: Reviser
    deleted: str = ""
    inserted: str = ""


# A paragraph's content: plain text or revisions, in order.
Piece = str | Revision


@dataclass
class Paragraph:
    kind: BlockKind
    pieces: list[Piece] = field(default_factory=list)
    # The whole paragraph is inserted (or deleted) by this reviser: its paragraph mark too.
    inserted_by: Reviser | None = None
    deleted_by: Reviser | None = None


@dataclass
class Section:
    level: int  # 1 part, 2 chapter
    title: str
    paragraphs: list[Paragraph] = field(default_factory=list)


def reviser_of(amendment: Amendment) -> Reviser:
    return Reviser(amendment.signed_by or FALLBACK_AUTHOR, common.iso_utc(amendment.decided_dt or amendment.updated_dt
                                                                          or amendment.submitted_dt),
                   amendment.id, amendment.number)  # fmt: skip


def _nearest(start: int, end: int, amendments: list[Amendment]) -> Amendment:
    """The amendment whose span holds ``start..end`` in the old text, or is nearest to it."""

    def distance(amendment: Amendment) -> tuple[int, int]:
        low, high = amendment.span_start, amendment.span_end
        if amendment.is_whole_block:
            return (0, amendment.number)
        return (max(0, low - end, start - high), amendment.number)

    return min(amendments, key=distance)


def attributed_pieces(before: str, after: str, amendments: list[Amendment], fallback: Reviser) -> list[Piece]:
    """``before`` → ``after`` as text and revisions, each revision by the amendment that made it."""
    # Changed passages with their place in the old text.
    items: list[list[Any]] = []  # ["equal", text] or ["change", old_start, deleted, inserted]
    offset = 0
    for op, words in word_diff(before, after):
        if op == "equal":
            items.append(["equal", words])
        else:
            if not items or items[-1][0] != "change":
                items.append(["change", offset, "", ""])
            if op == "delete":
                items[-1][2] += words
            else:
                items[-1][3] += words
        if op != "insert":
            offset += len(words)
    owners: list[Amendment | None] = []
    for item in items:
        if item[0] == "change" and amendments:
            owners.append(_nearest(item[1], item[1] + len(item[2]), amendments))
        else:
            owners.append(None)
    # Join the passages of one amendment: the equal words between them are deleted and inserted again.
    pieces: list[Piece] = []
    index = 0
    while index < len(items):
        item = items[index]
        if item[0] == "equal":
            pieces.append(item[1])
            index += 1
            continue
        owner = owners[index]
        deleted, inserted = item[2], item[3]
        last = index
        probe = index + 1
        while (
            probe + 1 < len(items)
            and items[probe][0] == "equal"
            and items[probe + 1][0] == "change"
            and (owner is not None and owners[probe + 1] is owner)
        ):
            deleted += items[probe][1] + items[probe + 1][2]
            inserted += items[probe][1] + items[probe + 1][3]
            last = probe + 1
            probe += 2
        pieces.append(Revision(reviser_of(owner) if owner is not None else fallback, deleted, inserted))
        index = last + 1
    return pieces


def build_sections(version: TextVersion, previous: TextVersion) -> tuple[list[Section], int]:
    """The consolidated version's parts, chapters and paragraphs with their revisions; and their count."""
    rows = db.session.execute(
        sa.select(BlockAmendment.block_anchor, BlockAmendment.change, Amendment)
        .join(Amendment, Amendment.id == BlockAmendment.amendment_id)
        .where(BlockAmendment.version_id == version.id)
        .order_by(Amendment.number)
    ).all()
    changed_by: dict[str, list[Amendment]] = {}
    for anchor, _change, amendment in rows:
        changed_by.setdefault(anchor, []).append(amendment)
    fallback = Reviser(FALLBACK_AUTHOR, common.iso_utc(version.created_dt))
    old_blocks = common.blocks_by_chapter(previous.id)
    old_chapters = {chapter.anchor: chapter.id for _, chapters in common.outline(previous.id) for chapter in chapters}
    new_blocks = common.blocks_by_chapter(version.id)
    sections: list[Section] = []
    revisions = 0
    for part, chapters in common.outline(version.id):
        sections.append(Section(1, f"{part.number}. {part.title}" if part.number else part.title))
        for chapter in chapters:
            section = Section(2, f"{chapter.number}. {chapter.title}" if chapter.number else chapter.title)
            sections.append(section)
            new = new_blocks.get(chapter.id, [])
            old = old_blocks.get(old_chapters.get(chapter.anchor, -1), [])
            kinds = {b.anchor: b.kind for b in (*old, *new)}
            diffs = diff_versions(
                [SourceBlock(b.anchor, b.kind, b.text, chapter.anchor) for b in old],
                [SourceBlock(b.anchor, b.kind, b.text, chapter.anchor) for b in new],
            )
            for diff in diffs:
                amendments = changed_by.get(diff.anchor, [])
                reviser = reviser_of(amendments[0]) if amendments else fallback
                paragraph = Paragraph(kinds[diff.anchor])
                if diff.change == BlockChange.UNCHANGED:
                    paragraph.pieces = [diff.after]
                elif diff.change == BlockChange.INSERTED:
                    paragraph.pieces = [Revision(reviser, "", diff.after)]
                    paragraph.inserted_by = reviser
                    revisions += 1
                elif diff.change == BlockChange.DELETED:
                    paragraph.pieces = [Revision(reviser, diff.before, "")]
                    paragraph.deleted_by = reviser
                    revisions += 1
                else:
                    paragraph.pieces = attributed_pieces(diff.before, diff.after, amendments, fallback)
                    revisions += sum(1 for piece in paragraph.pieces if isinstance(piece, Revision))
                section.paragraphs.append(paragraph)
    return sections, revisions


# --- DOCX --------------------------------------------------------------------------------------


class _Ids:
    def __init__(self) -> None:
        self.value = 0

    def __next__(self) -> str:
        self.value += 1
        return str(self.value)


def _docx_run(text: str, *, deleted: bool = False, bold: bool = False):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    run = OxmlElement("w:r")
    if bold:
        properties = OxmlElement("w:rPr")
        properties.append(OxmlElement("w:b"))
        run.append(properties)
    node = OxmlElement("w:delText" if deleted else "w:t")
    node.set(qn("xml:space"), "preserve")
    node.text = text
    run.append(node)
    return run


def _docx_mark(tag: str, reviser: Reviser, ids: _Ids):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    element = OxmlElement(tag)
    element.set(qn("w:id"), next(ids))
    element.set(qn("w:author"), reviser.author)
    element.set(qn("w:date"), reviser.date)
    return element


def write_docx(title: str, subtitle: str, sections: list[Section]) -> bytes:
    """The document with each revision as ``w:del`` then ``w:ins`` runs (paragraph marks too)."""
    from docx import Document
    from docx.oxml import OxmlElement

    document = Document()
    document.core_properties.title = title
    document.core_properties.language = "fr-FR"
    document.add_heading(title, 0)
    document.add_paragraph(subtitle)
    ids = _Ids()
    for section in sections:
        document.add_heading(section.title, section.level)
        for paragraph in section.paragraphs:
            style = "Heading 3" if paragraph.kind == BlockKind.SUBHEADING else None
            bold = paragraph.kind == BlockKind.PROPOSAL
            p = document.add_paragraph(style=style)
            element = p._p
            mark_by = paragraph.inserted_by or paragraph.deleted_by
            if mark_by is not None:  # the paragraph mark itself is inserted or deleted
                properties = element.get_or_add_pPr()
                run_properties = OxmlElement("w:rPr")
                run_properties.append(_docx_mark("w:ins" if paragraph.inserted_by else "w:del", mark_by, ids))
                properties.append(run_properties)
            for piece in paragraph.pieces:
                if isinstance(piece, str):
                    element.append(_docx_run(piece, bold=bold))
                    continue
                if piece.deleted:
                    deletion = _docx_mark("w:del", piece.reviser, ids)
                    deletion.append(_docx_run(piece.deleted, deleted=True, bold=bold))
                    element.append(deletion)
                if piece.inserted:
                    insertion = _docx_mark("w:ins", piece.reviser, ids)
                    insertion.append(_docx_run(piece.inserted, bold=bold))
                    element.append(insertion)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- ODT ---------------------------------------------------------------------------------------


def write_odt(title: str, subtitle: str, sections: list[Section]) -> bytes:
    """The document with a ``text:tracked-changes`` region per revision, marked in the paragraphs."""
    from odf import dc, office
    from odf.namespaces import TEXTNS, XMLNS
    from odf.opendocument import OpenDocumentText
    from odf.style import ParagraphProperties, Style, TextProperties
    from odf.text import Change, ChangedRegion, ChangeEnd, ChangeStart, Deletion, H, Insertion, P, TrackedChanges

    document = OpenDocumentText()
    document.meta.addElement(dc.Title(text=title))
    document.meta.addElement(dc.Language(text="fr-FR"))
    styles = {}
    for name, size, bold in (("Titre", "20pt", True), ("Heading_20_1", "15pt", True), ("Heading_20_2", "12.5pt", True),
                             ("Heading_20_3", "11pt", True)):  # fmt: skip
        style = Style(name=name, family="paragraph")
        style.addElement(TextProperties(fontsize=size, fontweight="bold" if bold else "normal"))
        style.addElement(ParagraphProperties(margintop="0.3cm", marginbottom="0.2cm"))
        document.styles.addElement(style)
        styles[name] = style
    body = Style(name="Corps", family="paragraph")
    body.addElement(ParagraphProperties(marginbottom="0.2cm"))
    document.styles.addElement(body)
    proposal = Style(name="Proposition", family="paragraph", parentstylename=body)
    proposal.addElement(TextProperties(fontweight="bold"))
    document.styles.addElement(proposal)

    tracked = TrackedChanges(trackchanges="true")
    document.text.addElement(tracked)  # the first child of office:text
    counter = _Ids()

    def region(kind: str, reviser: Reviser, deleted: str = "") -> str:
        change_id = f"ct{next(counter)}"
        # ODF 1.2 names a region by xml:id; LibreOffice still reads the older text:id: both are written.
        changed = ChangedRegion(qattributes={(XMLNS, "id"): change_id, (TEXTNS, "id"): change_id})
        action = Insertion() if kind == "insertion" else Deletion()
        info = office.ChangeInfo()
        info.addElement(dc.Creator(text=reviser.author))
        info.addElement(dc.Date(text=reviser.date.rstrip("Z")))
        action.addElement(info)
        if kind == "deletion":
            action.addElement(P(stylename=body, text=deleted))
        changed.addElement(action)
        tracked.addElement(changed)
        return change_id

    document.text.addElement(H(outlinelevel=1, stylename=styles["Titre"], text=title))
    document.text.addElement(P(stylename=body, text=subtitle))
    for section in sections:
        document.text.addElement(H(outlinelevel=section.level, stylename=styles[f"Heading_20_{section.level}"],
                                   text=section.title))  # fmt: skip
        for paragraph in section.paragraphs:
            if paragraph.kind == BlockKind.SUBHEADING:
                p = H(outlinelevel=3, stylename=styles["Heading_20_3"])
            else:
                p = P(stylename=proposal if paragraph.kind == BlockKind.PROPOSAL else body)
            for piece in paragraph.pieces:
                if isinstance(piece, str):
                    p.addText(piece)
                    continue
                if piece.deleted:
                    p.addElement(Change(changeid=region("deletion", piece.reviser, piece.deleted)))
                if piece.inserted:
                    change_id = region("insertion", piece.reviser)
                    p.addElement(ChangeStart(changeid=change_id))
                    p.addText(piece.inserted)
                    p.addElement(ChangeEnd(changeid=change_id))
            document.text.addElement(p)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


# --- the jobs ----------------------------------------------------------------------------------


def tracked_filename(slug: str, number: int, fmt: str) -> str:
    return f"{slug}-version-{number}-suivi-des-modifications.{fmt}"


def start_tracked_export(actor: Any, version: TextVersion, kind: JobKind) -> tuple[Job, bool]:
    """The DOCX or ODT of a consolidated version: the one made already, or a new job (flushes)."""
    if kind not in FORMATS:
        raise ValueError(kind)
    params = {"version_id": version.id, "text_id": version.text_id, "version_number": version.number}
    return common.start_output(actor, kind, params, obj=version)


def _run(job: Job, progress: Progress, kind: JobKind) -> dict[str, Any]:
    fmt = FORMATS[kind]
    version = db.session.get(TextVersion, job.params.get("version_id"))
    if version is None:
        raise JobFailed("Cette version du texte n'existe plus : elle ne peut pas être exportée.")
    previous = common.previous_version(version)
    if previous is None:
        raise JobFailed("Cette version n'est pas issue d'une consolidation : il n'y a pas de modifications à suivre.")
    text = version.text
    slug, number, previous_number = text.slug, version.number, previous.number
    title = text.title
    subtitle = (
        f"Version {number} ({version.status_label}), consolidée à partir de la version {previous_number} : "
        "chaque amendement adopté est une modification suivie, que l'on peut accepter ou refuser."
    )
    progress(10, f"Comparaison des versions {previous_number} et {number}…")
    sections, revisions = build_sections(version, previous)
    progress(60, f"Écriture du fichier {fmt.upper()} ({revisions} modifications)…")
    writer = write_docx if fmt == "docx" else write_odt
    data = writer(title, subtitle, sections)
    mimetype = DOCX_MIMETYPE if fmt == "docx" else ODT_MIMETYPE
    job_operations.attach_file(job, JobFileRole.OUTPUT, tracked_filename(slug, number, fmt), mimetype, data)
    logger.info("Text %s version %s exported as %s: %s revisions", slug, number, fmt, revisions)
    return {
        "lines": [
            f"« {title} », version {number} : {revisions} modification{'s' if revisions > 1 else ''} suivie"
            f"{'s' if revisions > 1 else ''} ({fmt.upper()}).",
            "Le fichier est prêt : téléchargez-le ci-dessous.",
        ],
        "links": [{"url": common.path_for("outputs.index", job), "label": "Revenir aux documents"}],
        "revisions": revisions,
        "version_id": version.id,
    }


@handler(JobKind.TEXT_DOCX)
def run_text_docx(job: Job, progress: Progress) -> dict[str, Any]:
    """Write a consolidated version as DOCX with tracked changes."""
    return _run(job, progress, JobKind.TEXT_DOCX)


@handler(JobKind.TEXT_ODT)
def run_text_odt(job: Job, progress: Progress) -> dict[str, Any]:
    """Write a consolidated version as ODT with tracked changes."""
    return _run(job, progress, JobKind.TEXT_ODT)


def revisions_of(sections: list[Section]) -> Iterator[Revision]:
    for section in sections:
        for paragraph in section.paragraphs:
            yield from (piece for piece in paragraph.pieces if isinstance(piece, Revision))
