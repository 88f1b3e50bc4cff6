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


# Words of the paragraph kept around a change (characters, cut at a space): the reader sees the
# change in its sentence, and a book of 2,000 amendments does not reprint whole paragraphs.
CONTEXT = 120
ELLIPSIS = "…"


def _head(text: str, size: int) -> str:
    if len(text) <= size:
        return text
    cut = text.rfind(" ", 0, size)
    return text[: cut if cut > size // 2 else size].rstrip() + " " + ELLIPSIS


def _tail(text: str, size: int) -> str:
    if len(text) <= size:
        return text
    cut = text.find(" ", len(text) - size)
    start = cut if 0 <= cut < len(text) - size // 2 else len(text) - size
    return ELLIPSIS + " " + text[start:].lstrip()


def trimmed(segments: list[tuple[str, str]], size: int = CONTEXT) -> list[tuple[str, str]]:
    """The diff's unchanged words cut to ``size`` characters around the changes (« … » where cut)."""
    if not any(op != "equal" for op, _ in segments):
        return [(op, _head(words, 2 * size)) for op, words in segments]
    result = []
    last = len(segments) - 1
    for index, (op, words) in enumerate(segments):
        if op != "equal":
            result.append((op, words))
        elif index == 0:
            result.append((op, _tail(words, size)))
        elif index == last:
            result.append((op, _head(words, size)))
        elif len(words) > 2 * size + 10:
            result.append((op, _head(words, size) + " " + _tail(words, size).removeprefix(ELLIPSIS + " ")))
        else:
            result.append((op, words))
    return result


def printed(amendment: Amendment, block_text: str | None, numbers: dict[int, int]) -> PrintedAmendment:
    shown = shown_amendment(amendment, block_text)
    segments = list(shown.segments)
    if shown.inserted:  # a new paragraph: the end of the one it follows is enough
        segments = [(op, _tail(words, CONTEXT)) for op, words in segments]
    elif not shown.whole_block_deleted:
        segments = trimmed(segments)
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
        segments=segments,
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
    from weasyprint.urls import URLFetcher

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
    blocks = {b.anchor: b.text for chapter_blocks in common.blocks_by_chapter(version_id).values()
              for b in chapter_blocks}  # fmt: skip
    outline = [
        (part.number, [(chapter.anchor, chapter.number, chapter.title) for chapter in in_part])
        for part, in_part in common.outline(version_id)
    ]
    total = max(1, len(amendments))
    chapters: list[dict[str, Any]] = []
    done = reported = 0
    with force_locale("fr"):
        # Everything the book prints is read before the first progress report, which commits and
        # so expires what the session loaded (reading it again would cost a query per amendment).
        by_chapter: dict[str, list[Group]] = {}
        counts: dict[str, int] = {}
        for members in group_clusters(amendments):
            anchor = members[0].chapter_anchor
            by_chapter.setdefault(anchor, []).append(
                Group(
                    members[0].cluster_id if len(members) > 1 else None,
                    [printed(a, blocks.get(a.block_anchor), numbers) for a in members],
                )
            )
            counts[anchor] = counts.get(anchor, 0) + len(members)
        for part_number, part_chapters in outline:
            for anchor, number, title in part_chapters:
                groups = by_chapter.pop(anchor, [])
                if not groups:
                    continue
                entry = {"anchor": anchor, "part_number": part_number, "number": number, "title": title,
                         "count": counts[anchor]}  # fmt: skip
                entry["html"] = common.render(CHAPTER_TEMPLATE, chapter=entry, groups=groups)
                chapters.append(entry)
                done += counts[anchor]
                if done - reported >= REPORT_EVERY:
                    reported = done
                    progress(
                        CHAPTERS_START + (CHAPTERS_END - CHAPTERS_START) * done / total,
                        f"Mise en forme des amendements : {done} sur {total}",
                    )
        # Amendments of a chapter that is not in the version (never expected): printed at the end.
        left = [group for rest in by_chapter.values() for group in rest]
        if left:
            entry = {"anchor": "autres", "part_number": "", "number": "", "title": "Autres amendements",
                     "count": sum(len(group.amendments) for group in left)}  # fmt: skip
            entry["html"] = common.render(CHAPTER_TEMPLATE, chapter=entry, groups=left)
            chapters.append(entry)
        html = common.render(BOOK_TEMPLATE, header=header, chapters=chapters, total=len(amendments),
                             made_dt=utcnow())  # fmt: skip
    progress(LAYOUT, f"Mise en page du cahier ({len(amendments)} amendements)…")
    # The book quotes what members wrote: WeasyPrint fetches nothing (the sanitiser lets no image through
    # anyway; this keeps a rationale from ever making the worker call a URL).
    document = HTML(string=str(html), url_fetcher=URLFetcher(allowed_protocols=())).render()
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
        "links": [{"url": common.path_for("outputs.index", job), "label": "Revenir aux documents"}],
        "pages": pages,
        "amendments": count,
        "version_id": version_id,
    }
