"""The text as a PDF, made by a job: the text's page starts it, the job's page hands the file out.

One export serves every member: the text is public, so a version already exported (or
being exported) is not exported again. The handler renders each chapter to HTML (with
a progress report per chapter), then WeasyPrint lays the whole document out and writes
the PDF, which is stored as the job's output file. Running it again (a worker that died)
simply replaces that file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, url_for
from flask_babel import force_locale
from markupsafe import Markup

from convention.amendments.rendering import numbered_lines
from convention.core.db import db, utcnow
from convention.core.permissions import PermissionDenied
from convention.domain.textstructure import BlockKind
from convention.jobs import operations as job_operations
from convention.jobs import queries as job_queries
from convention.jobs.models import Job, JobFileRole, JobKind, JobState
from convention.jobs.runner import JobFailed, Progress, handler
from convention.texts import queries
from convention.texts.models import TextVersion

logger = logging.getLogger(__name__)

DOCUMENT_TEMPLATE = "texts/pdf/document.html"
CHAPTER_TEMPLATE = "texts/pdf/chapter.html"
PDF_MIMETYPE = "application/pdf"
# A job in one of these states already gives (or will give) the PDF of its version.
REUSABLE_STATES = frozenset({JobState.QUEUED, JobState.RUNNING, JobState.SUCCEEDED})

# Share of the progress bar: reading and preparing the chapters, then the layout, then writing.
CHAPTERS_START, CHAPTERS_END, LAYOUT, WRITING = 2, 50, 55, 90
STEP_TITLE_LENGTH = 60


def pdf_filename(slug: str, number: int) -> str:
    return f"{slug}-version-{number}.pdf"


def find_export(version: TextVersion) -> Job | None:
    """The export of ``version`` that is done (with its file) or under way, if any."""
    job = job_queries.find_by_param(JobKind.TEXT_PDF, "version_id", version.id, REUSABLE_STATES)
    if job is not None and job.state == JobState.SUCCEEDED:
        if job_operations.file_of(job.id, JobFileRole.OUTPUT) is None:
            return None
    return job


def start_text_pdf_export(actor: Any, version: TextVersion) -> tuple[Job, bool]:
    """The PDF export of ``version``: the existing one, or a new queued job (flushes; ``True`` if new)."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("Connectez-vous pour télécharger le texte en PDF.")
    existing = find_export(version)
    if existing is not None:
        return existing, False
    params = {"version_id": version.id, "text_id": version.text_id, "version_number": version.number}
    return job_operations.start_job(actor, JobKind.TEXT_PDF, params, obj=version), True


# --- The handler -------------------------------------------------------------------------------


@dataclass
class RenderedPart:
    number: str
    title: str
    chapters: list[dict[str, str]] = field(default_factory=list)  # anchor, number, title (contents)
    html: list[Markup] = field(default_factory=list)  # one fragment per chapter


def _render(template: str, **context: Any) -> Markup:
    # Not ``render_template``: its context processors need a request, and a worker has none.
    return Markup(current_app.jinja_env.get_template(template).render(**context))


def _step(part_number: str, chapter_number: str, title: str) -> str:
    """« Mise en forme : partie II, chapitre 5 — Le titre… » (the title cut to fit the page)."""
    where = ", ".join(
        label for label in (part_number and f"partie {part_number}", chapter_number and f"chapitre {chapter_number}")
        if label
    )  # fmt: skip
    short = title if len(title) <= STEP_TITLE_LENGTH else title[: STEP_TITLE_LENGTH - 1].rstrip() + "…"
    return f"Mise en forme : {where} — {short}" if where else f"Mise en forme : {short}"


@handler(JobKind.TEXT_PDF)
def run_text_pdf(job: Job, progress: Progress) -> dict[str, Any]:
    """Render one version of the text to PDF and store it as the job's output file."""
    from weasyprint import HTML  # imported here: only the workers need it loaded

    version = db.session.get(TextVersion, job.params.get("version_id"))
    if version is None:
        raise JobFailed("Cette version du texte n'existe plus : elle ne peut pas être exportée.")
    text = version.text
    version_id, title, slug, number = version.id, text.title, text.slug, version.number
    header = {
        "title": title,
        "convention_title": text.convention.title,
        "number": number,
        "label": version.label,
        "status_label": version.status_label,
        "line_length": version.line_length,
        "version_dt": version.created_dt,
    }
    progress(CHAPTERS_START, "Lecture du texte…")
    outline = [
        (part.number, part.title, [chapter.anchor for chapter in part.chapters])
        for part in queries.list_parts(version_id)
    ]
    total = max(1, sum(len(anchors) for _, _, anchors in outline))
    done = proposals = 0
    parts: list[RenderedPart] = []
    with force_locale("fr"):
        for part_number, part_title, anchors in outline:
            rendered = RenderedPart(part_number, part_title)
            for anchor in anchors:
                chapter = queries.get_chapter(version_id, anchor)
                if chapter is None:  # pragma: no cover - a version is never changed once imported
                    continue
                proposals += sum(1 for block in chapter.blocks if block.kind == BlockKind.PROPOSAL)
                rendered.chapters.append({"anchor": anchor, "number": chapter.number, "title": chapter.title})
                rendered.html.append(
                    _render(
                        CHAPTER_TEMPLATE,
                        chapter=chapter,
                        BlockKind=BlockKind,
                        numbered_lines=numbered_lines,
                        line_length=header["line_length"],
                    )
                )
                done += 1
                # The report commits, which expires what was loaded: the chapter is already HTML.
                progress(
                    CHAPTERS_START + (CHAPTERS_END - CHAPTERS_START) * done / total,
                    _step(part_number, chapter.number, chapter.title),
                )
            parts.append(rendered)
        html = _render(DOCUMENT_TEMPLATE, header=header, parts=parts, made_dt=utcnow())
    progress(LAYOUT, "Mise en page du PDF…")
    document = HTML(string=str(html)).render()
    pages = len(document.pages)
    progress(WRITING, f"Écriture du fichier ({pages} pages)…")
    pdf = document.write_pdf()
    filename = pdf_filename(slug, number)
    job_operations.attach_file(job, JobFileRole.OUTPUT, filename, PDF_MIMETYPE, pdf)
    logger.info("Text %s version %s exported to PDF: %s pages, %s bytes", slug, number, pages, len(pdf))
    return {
        "lines": [
            f"« {title} », version {number} : {pages} pages, {proposals} proposition"
            f"{'s' if proposals > 1 else ''}.",
            "Le fichier PDF est prêt : téléchargez-le ci-dessous.",
        ],
        "links": [{"url": _text_url(number), "label": "Revenir au texte"}],
        "pages": pages,
        "version_id": version_id,
    }


def _text_url(number: int) -> str:
    """The text page of that version (a path: from a worker there is no request to build it from)."""
    with current_app.test_request_context():
        return url_for("texts.index", version=number)
