"""The convention's text: table of contents, chapters with numbered lines, the glossary."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup

from convention.amendments import queries as amendment_queries
from convention.amendments.rendering import numbered_lines
from convention.conventions.web import with_convention
from convention.core.templating import current_convention
from convention.domain.textstructure import BlockKind
from convention.extensions import db
from convention.jobs.models import JobState
from convention.texts import export, queries
from convention.texts.rendering import acronym_pattern, acronym_titles, wrap_acronyms

bp = Blueprint("texts", __name__, url_prefix="/texte")


def _acronyms() -> tuple[dict[str, str], object, dict[str, str]]:
    """The current convention's acronyms (abbreviation → meaning) and their regex, per request."""
    if "acronyms" not in g:
        convention = current_convention()
        mapping = (
            {a.abbreviation: a.meaning for a in queries.list_acronyms(convention.id)}
            if convention is not None
            else {}
        )
        g.acronyms = (mapping, acronym_pattern(list(mapping)), acronym_titles(mapping))
    return g.acronyms


@bp.app_template_filter("abbr")
def abbr_filter(text: str, acronyms: dict[str, str] | None = None) -> Markup:
    """Escape ``text`` and mark the glossary's acronyms with ``<abbr title>``."""
    if acronyms is not None:
        return wrap_acronyms(text or "", acronyms)
    mapping, pattern, titles = _acronyms()
    return wrap_acronyms(text or "", mapping, pattern, titles)


def _text_and_version(convention):
    text = queries.get_main_text(convention.id)
    if text is None:
        return None, None
    number = request.args.get("version", type=int)
    version = queries.get_version(text, number)
    if version is None and number is not None:
        abort(404)
    return text, version


@bp.get("/")
@with_convention
def index(convention):
    text, version = _text_and_version(convention)
    parts = queries.list_parts(version.id) if version else []
    counts = queries.count_proposals_by_chapter(version.id) if version else {}
    is_current = version is not None and version is text.current_version
    amendment_counts = amendment_queries.counts_by_chapter(text.id, version.id) if is_current else {}
    return render_template(
        "texts/index.html",
        is_current=is_current,
        amendment_counts=amendment_counts,
        amendment_total=sum(amendment_counts.values()),
        text=text,
        version=version,
        parts=parts,
        proposal_counts=counts,
        proposal_total=sum(counts.values()),
        version_arg=_version_arg(text, version),
    )


@bp.get("/chapitre/<anchor>")
@with_convention
def chapter(convention, anchor: str):
    text, version = _text_and_version(convention)
    if version is None:
        abort(404)
    found = queries.get_chapter(version.id, anchor)
    if found is None:
        abort(404)
    previous, following = queries.chapter_neighbours(version.id, found.id)
    is_current = version is text.current_version
    counts = amendment_queries.counts_by_block(text.id, found.anchor, version.id) if is_current else {}
    return render_template(
        "texts/chapter.html",
        text=text,
        version=version,
        chapter=found,
        proposal_count=sum(1 for b in found.blocks if b.kind == BlockKind.PROPOSAL),
        previous=previous,
        following=following,
        BlockKind=BlockKind,
        version_arg=_version_arg(text, version),
        is_current=is_current,
        amendment_counts=counts,
        amendment_total=sum(counts.values()),
        numbered_lines=numbered_lines,
    )


@bp.post("/pdf")
@with_convention
def export_pdf(convention):
    """Start the PDF export of the shown version (or go to the one already made) and show its job."""
    text, version = _text_and_version(convention)
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=url_for("texts.index", **_version_arg(text, version))))
    if version is None:
        abort(404)
    if not FlaskForm().validate_on_submit():  # the CSRF token only
        abort(400)
    job, started = export.start_text_pdf_export(current_user, version)
    db.session.commit()
    if not started and job.state == JobState.SUCCEEDED:
        flash(_("Le PDF de cette version est déjà prêt : le voici."), "info")
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.get("/glossaire")
@with_convention
def glossary(convention):
    return render_template("glossary/index.html", acronyms=queries.list_acronyms(convention.id))


def _version_arg(text, version) -> dict[str, int]:
    """``{"version": N}`` when the page shows an older version, so links keep it."""
    if text is None or version is None or version is text.current_version:
        return {}
    return {"version": version.number}
