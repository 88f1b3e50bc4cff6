"""Pages that start the printed outputs (each is a job with its progress page).

The amendment book, the spreadsheets and the consolidated text with tracked changes are public to
members: any logged-in member starts them, and an export of the same inputs already made (or under
way) is handed out instead of a new one.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from convention.conventions.web import with_convention
from convention.extensions import db
from convention.jobs.models import Job, JobKind, JobState
from convention.outputs import book, common, spreadsheet, tracked
from convention.texts import queries as text_queries
from convention.texts.models import TextVersion

bp = Blueprint("outputs", __name__, url_prefix="/documents")

TRACKED_KINDS = {"docx": JobKind.TEXT_DOCX, "odt": JobKind.TEXT_ODT}


def _text(convention):
    text = text_queries.get_main_text(convention.id)
    if text is None:
        abort(404)
    return text


def _version(text, number: int) -> TextVersion:
    version = text_queries.get_version(text, number)
    if version is None:
        abort(404)
    return version


def _checked_post():
    """A logged-in member's POST with its CSRF token: None, or the response to send instead."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=url_for("outputs.index")))
    if not FlaskForm().validate_on_submit():  # the CSRF token only
        abort(400)
    return None


def _to_job(job: Job, started: bool):
    db.session.commit()
    if not started and job.state == JobState.SUCCEEDED:
        flash(_("Ce document est déjà prêt : le voici."), "info")
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.get("/")
@with_convention
def index(convention):
    text = text_queries.get_main_text(convention.id)
    book_versions = common.versions_with_amendments(text.id) if text else []
    return render_template(
        "outputs/index.html",
        text=text,
        book_versions=book_versions,
        consolidated=common.consolidated_versions(text.id) if text else [],
        amendment_count=sum(count for _, count in book_versions),
    )


@bp.post("/cahier/<int:number>")
@with_convention
def amendment_book(convention, number: int):
    """Start the amendment book of version ``number`` (or go to the one already made)."""
    refused = _checked_post()
    if refused is not None:
        return refused
    version = _version(_text(convention), number)
    return _to_job(*book.start_amendment_book(current_user, version))


@bp.post("/amendements.<fmt>")
@with_convention
def amendment_export(convention, fmt: str):
    """Start the export of every amendment as CSV or XLSX (or go to the one already made)."""
    if fmt not in spreadsheet.FORMATS:
        abort(404)
    refused = _checked_post()
    if refused is not None:
        return refused
    return _to_job(*spreadsheet.start_amendment_export(current_user, _text(convention), fmt))


@bp.post("/texte/<int:number>.<fmt>")
@with_convention
def tracked_text(convention, number: int, fmt: str):
    """Start the DOCX or ODT of a consolidated version with tracked changes."""
    kind = TRACKED_KINDS.get(fmt)
    if kind is None:
        abort(404)
    refused = _checked_post()
    if refused is not None:
        return refused
    text = _text(convention)
    version = _version(text, number)
    if version.id not in {v.id for v in common.consolidated_versions(text.id)}:
        abort(404)  # only a consolidated version has changes to track
    return _to_job(*tracked.start_tracked_export(current_user, version, kind))
