"""Linking contributions and hearings to the blocks of the text they shaped."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from convention.calendar.models import Event
from convention.contributions import queries as contribution_queries
from convention.contributions.forms import SourceLinksForm
from convention.contributions.models import Contribution
from convention.conventions.scoping import found_in_convention
from convention.conventions.web import with_convention
from convention.core.permissions import require
from convention.extensions import db
from convention.provenance import operations, queries
from convention.provenance.models import can_link_contribution, can_link_event
from convention.texts import queries as text_queries

bp = Blueprint("provenance", __name__, url_prefix="/provenance")


@bp.app_template_global("provenance_sources_of_chapter")
def sources_of_chapter(chapter) -> dict:
    """block anchor → sources, for the « Issu de » lines of a chapter page (two queries)."""
    return queries.sources_of_chapter(chapter)


@bp.app_template_global("provenance_places_of_event")
def places_of_event(event_id: int) -> list:
    """Where a hearing went in the text, for the event page."""
    return queries.places_of_event(event_id)


@bp.app_template_global("provenance_can_link_event")
def can_link_event_global(event) -> bool:
    return can_link_event(current_user, event)


def _editor(convention, *, contribution=None, event=None):
    """The two-step editor: choose a chapter, then tick the blocks the source shaped."""
    text = text_queries.get_main_text(convention.id)
    version = text.current_version if text is not None else None
    if version is None:
        abort(404)
    parts = text_queries.list_parts(version.id)
    anchor = request.args.get("chapitre", "")
    chapter = text_queries.get_chapter(version.id, anchor) if anchor else None
    form = SourceLinksForm()
    if chapter is not None:
        form.blocks.choices = [SelectChoice(b.id, b.anchor) for b in chapter.blocks]
        if request.method == "GET":
            linked = queries.linked_anchors(
                chapter,
                contribution_id=getattr(contribution, "id", None),
                event_id=getattr(event, "id", None),
            )
            form.blocks.data = [b.id for b in chapter.blocks if b.anchor in linked]
        if form.validate_on_submit():
            added, removed = operations.set_chapter_links(
                current_user,
                chapter,
                form.blocks.data or [],
                contribution=contribution,
                event=event,
                note=form.note.data or "",
            )
            db.session.commit()
            flash(
                f"Liens enregistrés : {len(added)} ajouté(s), {len(removed)} retiré(s).",
                "success",
            )
            return redirect(
                url_for(request.endpoint, **(request.view_args or {}), chapitre=chapter.anchor)
            )
    elif request.method == "POST":
        abort(400)
    places = (
        queries.places_of_contribution(contribution.id)
        if contribution is not None
        else queries.places_of_event(event.id)
    )
    return render_template(
        "provenance/editor.html",
        contribution=contribution,
        event=event,
        parts=parts,
        chapter=chapter,
        form=form,
        places=places,
        selected=set(form.blocks.data or []),
    )


@bp.route("/contributions/<int:contribution_id>", methods=["GET", "POST"])
@login_required
@with_convention
def contribution(convention, contribution_id: int):
    found = found_in_convention(
        contribution_queries.get_contribution(convention.id, contribution_id), Contribution, contribution_id, convention
    )
    require(found.can_moderate(current_user))
    if not found.is_integrated:
        abort(409)
    require(can_link_contribution(current_user, found))
    return _editor(convention, contribution=found)


@bp.route("/auditions/<int:event_id>", methods=["GET", "POST"])
@login_required
@with_convention
def hearing(convention, event_id: int):
    found = found_in_convention(queries.get_event(convention.id, event_id), Event, event_id, convention)
    require(can_link_event(current_user, found))
    return _editor(convention, event=found)
