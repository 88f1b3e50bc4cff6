"""The results of a poll: the results page (national, per federation and per section with small cells merged),
its CSV and PDF, the verification export, the published list of receipts; and the poll page's results block.

Who sees what: the Bureau national as soon as the count is done (« non proclamés »), everyone once the
results are proclaimed (``Poll.can_see_results``). The list of receipts in the box is public from the
close (``Poll.is_sealed``).
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from convention.conventions.scoping import found_in_convention
from convention.conventions.web import with_convention
from convention.core.db import utcnow
from convention.core.exports import csv_bytes
from convention.core.pagination import paginate
from convention.domain.counting import json_number
from convention.domain.polls import PollState, QuestionMethod
from convention.extensions import db, limiter
from convention.jobs.models import Job, JobFile, JobFileRole, JobKind, JobState
from convention.votes import export, paper, queries, results
from convention.votes.blueprint import bp
from convention.votes.models import Ballot, Poll

RECEIPTS_PER_PAGE = 500
HASH_PREFIX = re.compile(r"^[0-9a-f]{1,64}$")


def _load(convention: Any, poll_id: int) -> Poll:
    poll = found_in_convention(queries.get_poll(convention.id, poll_id), Poll, poll_id, convention)
    if not poll.can_view(current_user):
        abort(404)
    return poll


def _load_results(convention: Any, poll_id: int) -> tuple[Poll, results.PollResults]:
    """The poll and its results, if the current user may see them (404 / 403 otherwise)."""
    poll = _load(convention, poll_id)
    if not poll.can_see_results(current_user):
        abort(403)
    found = results.get_results(poll)
    if found is None:
        abort(404)
    return poll, found


def pending_minutes(poll: Poll, user: Any) -> dict[str, Any] | None:
    """For the Bureau national before the proclamation: the sections' minutes the count did not include."""
    if not poll.can_manage(user) or poll.state not in (PollState.CLOSED, PollState.TALLIED) or not poll.allows_paper:
        return None
    pending = paper.pending_reports(poll)
    late = [
        report
        for report in paper.list_reports(poll.id)
        if report.validated_dt is not None and poll.tallied_dt is not None and report.validated_dt > poll.tallied_dt
    ]
    if not pending and not late:
        return None
    return {"pending": pending, "late": late}


def poll_context(poll: Poll, user: Any) -> dict[str, Any]:
    """What the poll page needs from this module: ``results`` (or None) and ``pending_minutes`` (Bureau national)."""
    found = results.get_results(poll, units=False) if poll.can_see_results(user) else None
    return {"results": found, "pending_minutes": pending_minutes(poll, user)}


@bp.get("/<int:poll_id>/resultats")
@with_convention
def results_page(convention, poll_id: int):
    poll, found = _load_results(convention, poll_id)
    search = request.args.get("federation", "")
    results.arrange(found, results.own_federation_id(current_user), search)
    return render_template(
        "votes/results.html",
        poll=poll,
        results=found,
        pending_minutes=pending_minutes(poll, current_user),
        export_url=url_for(".results_export", poll_id=poll.id),
    )


# --- CSV and PDF ---------------------------------------------------------------------------------


def _cell_values(question: results.QuestionResult, figures: results.CellQuestion) -> list[tuple[str, str, Any]]:
    """(option, grade, votes) rows of one question in one cell."""
    rows: list[tuple[str, str, Any]] = []
    if question.method == QuestionMethod.MAJORITY_JUDGMENT:
        for label, counts in figures.votes.items():
            for grade, n in zip(question.grades, counts, strict=True):
                rows.append((label, grade, json_number(n)))
    else:
        for label, n in figures.votes.items():
            rows.append((label.replace(">", " > ") if question.method == QuestionMethod.SCHULZE else label, "",
                         json_number(n)))  # fmt: skip
    return rows


def csv_rows(poll: Poll, found: results.PollResults) -> tuple[list[str], list[list[Any]]]:
    """The results as a long table: one row per question, published unit and option (and grade)."""
    header = [
        _("Question"),
        _("Méthode"),
        _("Niveau"),
        _("Unité"),
        _("Fédération"),
        _("Inscrit·es"),
        _("Votant·es"),
        _("Bulletins"),
        _("Blancs"),
        _("Nuls"),
        _("Option"),
        _("Mention"),
        _("Voix"),
    ]
    levels = {"national": _("National"), "federation": _("Fédération"), "section": _("Section")}
    rows: list[list[Any]] = []
    for question in found.questions:
        national = results.cell_question(question, question.tally, found.national.registered)
        units: list[tuple[str, str, str, int, int, results.CellQuestion]] = [
            ("national", found.national.label, "", found.national.registered, found.national.voters, national)
        ]
        for cell, federation in results.cell_rows(found):
            units.append(
                (cell.level, cell.label, federation, cell.registered, cell.ballots, cell.questions[question.id])
            )
        for level, label, federation, registered, voters, figures in units:
            for option, grade, votes in _cell_values(question, figures):
                rows.append(
                    [question.title, question.method_label, levels.get(level, level), label, federation, registered,
                     voters, figures.ballots, json_number(figures.blank), json_number(figures.void), option, grade,
                     votes]
                )  # fmt: skip
    rows.append([])
    rows.append([found.rule])
    if found.export_hash:
        rows.append([_("Empreinte SHA-256 de l'export de vérification : %(hash)s", hash=found.export_hash)])
    return header, rows


def _attachment(content: bytes, mimetype: str, filename: str) -> Response:
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/<int:poll_id>/resultats.csv")
@with_convention
def results_csv(convention, poll_id: int):
    poll, found = _load_results(convention, poll_id)
    header, rows = csv_rows(poll, found)
    return _attachment(csv_bytes(header, rows), "text/csv; charset=utf-8", f"scrutin-{poll.id}-resultats.csv")


def results_pdf_bytes(poll: Poll, found: results.PollResults, federation_id: int | None = None) -> bytes:
    """The results as a PDF: national, per federation (as published, with every federation's turnout and the
    rule) and, for ``federation_id``, that federation's sections. A PDF of every section of a national vote
    would run to hundreds of pages; each federation prints its own."""
    from weasyprint import HTML  # imported here: most requests never need it
    from weasyprint.urls import URLFetcher

    sections = [level for level in found.sections if level.federation_id == federation_id]
    html = render_template("votes/results_pdf.html", poll=poll, results=found, sections=sections, made_dt=utcnow())
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()


@bp.get("/<int:poll_id>/resultats.pdf")
@limiter.limit("20 per minute")
@with_convention
def results_pdf(convention, poll_id: int):
    poll, found = _load_results(convention, poll_id)
    federation_id = request.args.get("federation", type=int)
    if federation_id is not None and not any(level.federation_id == federation_id for level in found.sections):
        abort(404)
    name = f"scrutin-{poll.id}-resultats" + (f"-federation-{federation_id}" if federation_id else "") + ".pdf"
    return _attachment(results_pdf_bytes(poll, found, federation_id), "application/pdf", name)


# --- the verification export and the receipts --------------------------------------------------------


def stored_export(poll: Poll) -> bytes | None:
    """The export kept by the count that computed ``poll.export_hash`` (None if that file is gone)."""
    if not poll.export_hash:
        return None
    data = db.session.scalar(
        sa.select(JobFile.data)
        .join(Job, Job.id == JobFile.job_id)
        .where(
            Job.kind == JobKind.TALLY,
            Job.state == JobState.SUCCEEDED,
            JobFile.role == JobFileRole.OUTPUT,
            JobFile.filename == export.export_filename(poll, poll.export_hash),
        )
        .order_by(JobFile.id.desc())
        .limit(1)
    )
    if data is not None and export.sha256(data) == poll.export_hash:
        return data
    return None


@bp.get("/<int:poll_id>/export.json")
@with_convention
def results_export(convention, poll_id: int):
    """The verification export whose SHA-256 is published on the results page."""
    poll, _found = _load_results(convention, poll_id)
    content = stored_export(poll)
    if content is None:
        content = export.export_bytes(poll)  # the same bytes, unless the data changed since the count
    response = _attachment(content, "application/json", export.export_filename(poll))
    response.headers["X-Content-SHA256"] = export.sha256(content)
    return response


def _receipt_query(poll: Poll, prefix: str):
    query = sa.select(Ballot.receipt_hash).where(Ballot.poll_id == poll.id)
    if prefix:
        query = query.where(Ballot.receipt_hash.startswith(prefix, autoescape=True))
    return query.order_by(Ballot.receipt_hash)


@bp.get("/<int:poll_id>/recus")
@with_convention
def receipts(convention, poll_id: int):
    """The SHA-256 of every receipt code in the box, after the close (a member finds theirs)."""
    poll = _load(convention, poll_id)
    prefix = (request.args.get("empreinte") or "").strip().lower()
    invalid = bool(prefix) and not HASH_PREFIX.match(prefix)
    if not poll.is_sealed:
        page, total = None, 0
    else:
        page = paginate(
            _receipt_query(poll, "" if invalid else prefix),
            page=request.args.get("page", 1, type=int) or 1,
            per_page=RECEIPTS_PER_PAGE,
        )
        total = _count_ballots(poll)
    return render_template(
        "votes/results_receipts.html", poll=poll, page=page, total=total, prefix=prefix, invalid=invalid
    )


def _count_ballots(poll: Poll) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Ballot).where(Ballot.poll_id == poll.id)) or 0


@bp.get("/<int:poll_id>/recus.json")
@with_convention
def receipts_json(convention, poll_id: int):
    poll = _load(convention, poll_id)
    if not poll.is_sealed:
        abort(403)
    hashes = list(db.session.scalars(_receipt_query(poll, "")))
    return {
        "poll": poll.id,
        "title": poll.title,
        "count": len(hashes),
        "algorithm": "SHA-256 du code de reçu en majuscules, sans espaces ni tirets (UTF-8), en hexadécimal",
        "receipts": hashes,
    }
