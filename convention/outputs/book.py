"""The amendment book (cahier des amendements) of one version, as a PDF made by a job.

A title page, a table of contents by chapter (with page numbers), then every amendment of the
version in line order, chapter by chapter: its number, citation, the change in its paragraph
(deleted words struck, added ones underlined), the rationale (Markdown, sanitised), who filed it,
its co-signatures, the committee's opinion and the decision with their reasons. Amendments of
one cluster (« discussion commune ») are printed together, where the first of them falls.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from flask_babel import force_locale
from markupsafe import Markup

from convention.amendments.models import Amendment
from convention.amendments.rendering import shown_amendment
from convention.core.db import db, utcnow
from convention.core.markdown import render_markdown
from convention.jobs import operations as job_operations
from convention.jobs.models import Job, JobFileRole, JobKind
from convention.jobs.runner import JobFailed, Progress, handler
from convention.outputs import common
from convention.texts.models import TextVersion

logger = logging.getLogger(__name__)

BOOK_TEMPLATE = "outputs/book.html"
CHAPTER_TEMPLATE = "outputs/_book_chapter.html"
PDF_MIMETYPE = "application/pdf"
# Share of the progress bar: the chapters' HTML, then the layout, then writing the file.
CHAPTERS_START, CHAPTERS_END, LAYOUT, WRITING = 2, 40, 45, 90
# Report progress at most every this many amendments (each report commits).
REPORT_EVERY = 100


def book_filename(slug: str, number: int) -> str:
    return f"{slug}-cahier-des-amendements-version-{number}.pdf"


def book_params(version: TextVersion) -> dict[str, Any]:
    return {
        "version_id": version.id,
        "text_id": version.text_id,
        "version_number": version.number,
        "fingerprint": common.amendments_fingerprint(version.text_id, version.id),
    }


def start_amendment_book(actor: Any, version: TextVersion) -> tuple[Job, bool]:
    """The book of ``version``'s amendments as they stand: the one made already, or a new job (flushes)."""
    return common.start_output(actor, JobKind.AMENDMENT_BOOK, book_params(version), obj=version)


@dataclass
class PrintedAmendment:
    """What the book prints of one amendment (plain values: the job commits between chapters)."""

    number: int
    citation: str
    kind_label: str
    status_label: str
    status: str
    signed_by: str
    unit_label: str
    author_name: str
    federation: str
    cosignatures: int
    is_unit: bool
    is_synthesis: bool
    submitted_dt: Any
    adopted_on: Any
    segments: list[tuple[str, str]]
    inserted: list[str]
    whole_block_deleted: bool
    rationale: Markup
    admissibility_reason: str
    opinion_label: str
    opinion_reason: str
    opinion_dt: Any
    rectification: str
    rectification_label: str
    decided: bool
    decision_reason: str
    decided_dt: Any
    modified_replacement: str
    merged_into: int | None
    is_orphaned: bool


@dataclass
class Group:
    """One amendment, or a cluster printed together."""

    cluster_id: int | None
    amendments: list[PrintedAmendment] = field(default_factory=list)


DECIDED = frozenset({"adopted", "adopted_modified", "merged", "rejected", "maintained", "inadmissible"})


def printed(amendment: Amendment, block_text: str | None, numbers: dict[int, int]) -> PrintedAmendment:
    shown = shown_amendment(amendment, block_text)
    return PrintedAmendment(
        number=amendment.number,
        citation=amendment.citation,
        kind_label=amendment.kind_label,
        status_label=amendment.status_label,
        status=amendment.status.value,
        signed_by=amendment.signed_by,
        unit_label=amendment.unit_label,
        author_name=amendment.author_name,
        federation=common.federation_of(amendment),
        cosignatures=amendment.cosignature_count,
        is_unit=amendment.is_unit_amendment,
        is_synthesis=amendment.is_synthesis,
        submitted_dt=amendment.submitted_dt,
        adopted_on=amendment.adopted_on,
        segments=list(shown.segments),
        inserted=list(shown.inserted),
        whole_block_deleted=shown.whole_block_deleted,
        rationale=render_markdown(amendment.rationale),
        admissibility_reason=amendment.admissibility_reason,
        opinion_label=amendment.opinion_label,
        opinion_reason=amendment.opinion_reason,
        opinion_dt=amendment.opinion_dt,
        rectification=amendment.rectification,
        rectification_label=amendment.rectification_label,
        decided=amendment.status.value in DECIDED,
        decision_reason=amendment.decision_reason,
        decided_dt=amendment.decided_dt,
        modified_replacement=amendment.modified_replacement,
        merged_into=numbers.get(amendment.merged_into_id) if amendment.merged_into_id else None,
        is_orphaned=amendment.is_orphaned,
    )


def group_clusters(amendments: list[Amendment]) -> list[list[Amendment]]:
    """The amendments in line order, each cluster gathered where its first member falls."""
    groups: list[list[Amendment]] = []
    by_cluster: dict[int, list[Amendment]] = {}
    for amendment in amendments:
        if amendment.cluster_id is None:
            groups.append([amendment])
        elif amendment.cluster_id in by_cluster:
            by_cluster[amendment.cluster_id].append(amendment)
        else:
            by_cluster[amendment.cluster_id] = [amendment]
            groups.append(by_cluster[amendment.cluster_id])
    return groups


@handler(JobKind.AMENDMENT_BOOK)
def run_amendment_book(job: Job, progress: Progress) -> dict[str, Any]:
    """Lay out the amendment book of one version and store it as the job's output file."""
    from weasyprint import HTML  # imported here: only the workers need it loaded

    version = db.session.get(TextVersion, job.params.get("version_id"))
    if version is None:
        raise JobFailed("Cette version du texte n'existe plus : son cahier des amendements ne peut pas être fait.")
    text = version.text
    header = {
        "title": text.title,
        "convention_title": text.convention.title,
        "number": version.number,
        "label": version.label,
        "status_label": version.status_label,
    }
    slug, number, version_id, text_id = text.slug, version.number, version.id, text.id
    progress(CHAPTERS_START, "Lecture des amendements…")
    amendments = list(common.list_amendments(text_id, version_id))
    numbers = {a.id: a.number for a in db.session.execute(
        db.select(Amendment.id, Amendment.number).where(Amendment.text_id == text_id))}  # fmt: skip
    by_chapter: dict[str, list[Amendment]] = {}
    for amendment in amendments:
        by_chapter.setdefault(amendment.chapter_anchor, []).append(amendment)
    blocks = {b.anchor: b.text for chapter_blocks in common.blocks_by_chapter(version_id).values()
              for b in chapter_blocks}  # fmt: skip
    total = max(1, len(amendments))
    chapters: list[dict[str, Any]] = []
    done = reported = 0
    with force_locale("fr"):
        for part, part_chapters in common.outline(version_id):
            for chapter in part_chapters:
                found = by_chapter.pop(chapter.anchor, [])
                if not found:
                    continue
                groups = [
                    Group(
                        members[0].cluster_id if len(members) > 1 else None,
                        [printed(a, blocks.get(a.block_anchor), numbers) for a in members],
                    )
                    for members in group_clusters(found)
                ]
                entry = {
                    "anchor": chapter.anchor,
                    "part_number": part.number,
                    "number": chapter.number,
                    "title": chapter.title,
                    "count": len(found),
                }
                entry["html"] = common.render(CHAPTER_TEMPLATE, chapter=entry, groups=groups)
                chapters.append(entry)
                done += len(found)
                if done - reported >= REPORT_EVERY:
                    reported = done
                    progress(
                        CHAPTERS_START + (CHAPTERS_END - CHAPTERS_START) * done / total,
                        f"Mise en forme des amendements : {done} sur {total}",
                    )
        # Amendments of a chapter that is not in the version (never expected): printed at the end.
        left = [a for rest in by_chapter.values() for a in rest]
        if left:
            groups = [Group(None, [printed(a, blocks.get(a.block_anchor), numbers)]) for a in left]
            entry = {"anchor": "autres", "part_number": "", "number": "", "title": "Autres amendements",
                     "count": len(left)}  # fmt: skip
            entry["html"] = common.render(CHAPTER_TEMPLATE, chapter=entry, groups=groups)
            chapters.append(entry)
        html = common.render(BOOK_TEMPLATE, header=header, chapters=chapters, total=len(amendments),
                             made_dt=utcnow())  # fmt: skip
    progress(LAYOUT, f"Mise en page du cahier ({len(amendments)} amendements)…")
    document = HTML(string=str(html)).render()
    pages = len(document.pages)
    progress(WRITING, f"Écriture du fichier ({pages} pages)…")
    pdf = document.write_pdf()
    job_operations.attach_file(job, JobFileRole.OUTPUT, book_filename(slug, number), PDF_MIMETYPE, pdf)
    logger.info("Amendment book of %s version %s: %s amendments, %s pages", slug, number, len(amendments), pages)
    count = len(amendments)
    return {
        "lines": [
            f"Cahier des amendements de la version {number} : {count} amendement{'s' if count > 1 else ''}, "
            f"{pages} pages.",
            "Le fichier PDF est prêt : téléchargez-le ci-dessous.",
        ],
        "links": [{"url": common.path_for("outputs.index"), "label": "Revenir aux documents"}],
        "pages": pages,
        "amendments": count,
        "version_id": version_id,
    }
