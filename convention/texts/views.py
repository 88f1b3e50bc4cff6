"""The convention's text: table of contents, chapters with numbered lines, the glossary."""

from __future__ import annotations

from flask import Blueprint, abort, g, render_template, request
from markupsafe import Markup

from convention.conventions.web import with_convention
from convention.core.templating import current_convention
from convention.domain.textstructure import BlockKind
from convention.texts import queries
from convention.texts.rendering import acronym_pattern, wrap_acronyms

bp = Blueprint("texts", __name__, url_prefix="/texte")


def _acronyms() -> tuple[dict[str, str], object]:
    """The current convention's acronyms (abbreviation → meaning) and their regex, per request."""
    if "acronyms" not in g:
        convention = current_convention()
        mapping = (
            {a.abbreviation: a.meaning for a in queries.list_acronyms(convention.id)}
            if convention is not None
            else {}
        )
        g.acronyms = (mapping, acronym_pattern(list(mapping)))
    return g.acronyms


@bp.app_template_filter("abbr")
def abbr_filter(text: str, acronyms: dict[str, str] | None = None) -> Markup:
    """Escape ``text`` and mark the glossary's acronyms with ``<abbr title>``."""
    if acronyms is not None:
        return wrap_acronyms(text or "", acronyms)
    mapping, pattern = _acronyms()
    return wrap_acronyms(text or "", mapping, pattern)


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
    return render_template(
        "texts/index.html",
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
    )


@bp.get("/glossaire")
@with_convention
def glossary(convention):
    return render_template("glossary/index.html", acronyms=queries.list_acronyms(convention.id))


def _version_arg(text, version) -> dict[str, int]:
    """``{"version": N}`` when the page shows an older version, so links keep it."""
    if text is None or version is None or version is text.current_version:
        return {}
    return {"version": version.number}
