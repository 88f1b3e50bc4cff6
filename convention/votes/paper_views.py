"""Section paper votes (« /vote/<id>/papier/… »): the émargement list, the minutes, the federation's validation.

- ``/vote/<id>/papier/`` — the Bureau national's overview of every section's paper vote;
- ``/vote/<id>/papier/section/<section>`` — the section secretary's page: open the list, the
  section's roll with a search field and a mark button per member, the counters, the history;
- ``/vote/<id>/papier/section/<section>/proces-verbal`` — the minutes form;
- ``/vote/<id>/papier/federation/<federation>`` — the federation's first secretary validates each
  section's minutes or sends them back with a reason.

Views are thin: load, check the permission (403), validate the form, call one operation of
``convention.votes.paper``, commit, redirect.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from convention.conventions.scoping import found_in_convention
from convention.conventions.web import with_convention
from convention.core.db import db, utcnow
from convention.core.permissions import require
from convention.domain.ballots import GRADES
from convention.domain.errors import DomainError
from convention.domain.polls import PollState, ReportState
from convention.domain.roles import Role
from convention.members.models import Federation, Section
from convention.votes import paper, queries
from convention.votes.blueprint import bp
from convention.votes.models import Poll, SectionReport
from convention.votes.paper_forms import (
    MarkForm,
    MinutesForm,
    OpenReportForm,
    ReturnForm,
    SearchForm,
    ValidateForm,
    figures_from_form,
    ranking_rows,
    values_from_figures,
)

PER_PAGE = 50
# Polls whose paper vote a secretary may still be busy with (the links on the account page).
LINKED_STATES = (PollState.OPEN, PollState.CLOSED, PollState.TALLIED)
REPORT_TONES = {
    ReportState.OPEN: "info",
    ReportState.SUBMITTED: "warning",
    ReportState.RETURNED: "danger",
    ReportState.VALIDATED: "success",
}


# --- what the other pages need -------------------------------------------------------------------


def _secretary_scopes(user: Any) -> tuple[list[int], list[int]]:
    """(section ids, federation ids) where ``user`` is secretary."""
    if not getattr(user, "is_authenticated", False):
        return [], []
    sections = [a.section_id for a in user.roles if a.role == Role.SECTION_SECRETARY and a.section_id]
    federations = [a.federation_id for a in user.roles if a.role == Role.FEDERATION_SECRETARY and a.federation_id]
    return sections, federations


def _unit_links(poll: Poll, user: Any) -> list[dict[str, Any]]:
    """The paper-vote pages of ``poll`` that ``user`` keeps, as {label, url} (under the poll's convention)."""
    section_ids, federation_ids = _secretary_scopes(user)
    links = []
    where = {"convention_slug": poll.convention.slug}  # the account page lists every convention's polls
    if section_ids:
        for section in db.session.scalars(sa.select(Section).where(Section.id.in_(section_ids)).order_by(Section.name)):
            links.append(
                {
                    "label": _("Émargement du vote — section %(name)s", name=section.name),
                    "url": url_for("votes.paper_section", poll_id=poll.id, section_id=section.id, **where),
                }
            )
    if federation_ids:
        federations = db.session.scalars(
            sa.select(Federation).where(Federation.id.in_(federation_ids)).order_by(Federation.code)
        )
        for federation in federations:
            links.append(
                {
                    "label": _("Procès-verbaux des sections — %(unit)s", unit=federation.title),
                    "url": url_for("votes.paper_federation", poll_id=poll.id, federation_id=federation.id, **where),
                }
            )
    return links


def poll_context(poll: Poll, user: Any) -> dict[str, Any]:
    """What the poll page needs from this module (merged into its template context)."""
    if not poll.allows_paper or poll.state in (PollState.DRAFT, PollState.SCHEDULED):
        return {"paper_links": [], "paper_overview": None}
    overview = None
    if paper.can_view_overview(user):
        reports = paper.list_reports(poll.id)
        overview = {
            "url": url_for("votes.paper_overview", poll_id=poll.id),
            "total": len(reports),
            "validated": sum(1 for r in reports if r.state == ReportState.VALIDATED),
            "pending": sum(1 for r in reports if r.state != ReportState.VALIDATED),
        }
    return {"paper_links": _unit_links(poll, user), "paper_overview": overview}


@bp.app_context_processor
def inject_paper_vote_links() -> dict[str, Any]:
    """``paper_vote_links()`` for ``votes/_secretary_links.html`` (the account page, the navigation)."""
    return {"paper_vote_links": paper_vote_links}


def paper_vote_links() -> list[dict[str, Any]]:
    """The signed-in secretary's émargement pages of the polls in progress (open, or closed and not proclaimed)."""
    if "paper_vote_links" in g:
        return g.paper_vote_links
    links: list[dict[str, Any]] = []
    section_ids, federation_ids = _secretary_scopes(current_user)
    if section_ids or federation_ids:
        polls = db.session.scalars(
            sa.select(Poll)
            .where(Poll.allows_paper.is_(True), Poll.state.in_(LINKED_STATES))
            .order_by(Poll.opens_at.desc(), Poll.id.desc())
        )
        for poll in polls:
            for link in _unit_links(poll, current_user):
                links.append({**link, "poll": poll})
    g.paper_vote_links = links
    return links


# --- loading -------------------------------------------------------------------------------------


def _poll(convention, poll_id: int) -> Poll:
    poll = found_in_convention(queries.get_poll(convention.id, poll_id), Poll, poll_id, convention)
    if not poll.can_view(current_user) or poll.state == PollState.DRAFT:
        abort(404)
    return poll


def _section(poll: Poll, section_id: int) -> Section:
    section = db.session.get(Section, section_id) or abort(404)
    require(paper.can_view_section(current_user, section))
    if not poll.allows_paper:
        abort(404)
    return section


def _federation(poll: Poll, federation_id: int) -> Federation:
    federation = db.session.get(Federation, federation_id) or abort(404)
    require(paper.can_validate(current_user, federation.id))
    if not poll.allows_paper:
        abort(404)
    return federation


def _section_url(poll: Poll, section: Section, **args: Any) -> str:
    return url_for("votes.paper_section", poll_id=poll.id, section_id=section.id, **args)


def _page_arg(value: Any) -> int:
    try:
        return max(int(value), 1)
    except (TypeError, ValueError):
        return 1


# --- the Bureau national's overview ---------------------------------------------------------------


@bp.get("/<int:poll_id>/papier/")
@login_required
@with_convention
def paper_overview(convention, poll_id: int):
    poll = _poll(convention, poll_id)
    if not paper.can_view_overview(current_user):
        # A secretary lands on their own unit's page.
        links = _unit_links(poll, current_user)
        require(bool(links))
        return redirect(links[0]["url"])
    reports = paper.list_reports(poll.id)
    federations: dict[int, dict[str, Any]] = {}
    for report in reports:
        entry = federations.setdefault(report.federation_id, {"federation": report.federation, "reports": []})
        entry["reports"].append(report)
    return render_template(
        "votes/paper/overview.html",
        poll=poll,
        federations=list(federations.values()),
        pending=[r for r in reports if r.state != ReportState.VALIDATED],
        tones=REPORT_TONES,
    )


# --- the section secretary ------------------------------------------------------------------------


@bp.get("/<int:poll_id>/papier/section/<int:section_id>")
@login_required
@with_convention
def paper_section(convention, poll_id: int, section_id: int):
    poll = _poll(convention, poll_id)
    section = _section(poll, section_id)
    report = paper.get_report(poll.id, section.id)
    search = SearchForm(request.args)
    query = (search.q.data or "").strip()[:100]
    lines = paper.section_roll(poll.id, section.id)
    counts = paper.section_counts(lines, report)
    found = paper.search_roll(lines, query)
    pages = max((len(found) + PER_PAGE - 1) // PER_PAGE, 1)
    page = min(_page_arg(request.args.get("page")), pages)
    keeper = paper.can_keep_list(current_user, section)
    editable = (
        keeper
        and report is not None
        and report.state in paper.EDITABLE_REPORT_STATES
        and poll.state in paper.ACTIVE_POLL_STATES
    )
    now = utcnow()
    return render_template(
        "votes/paper/section.html",
        poll=poll,
        section=section,
        report=report,
        keeper=keeper,
        editable=editable,
        can_open=keeper and report is None and poll.state == PollState.OPEN and poll.is_within_window(now),
        open_form=OpenReportForm(formdata=None),
        mark_form=MarkForm(formdata=None),
        search=search,
        query=query,
        lines=found[(page - 1) * PER_PAGE : page * PER_PAGE],
        found=len(found),
        page=page,
        pages=pages,
        counts=counts,
        history=paper.report_history(report) if report is not None else [],
        revisions=list(reversed(report.revisions)) if report is not None else [],
        describe=lambda revision: paper.describe_figures(poll, paper.figures_of(revision)),
        tones=REPORT_TONES,
    )


@bp.post("/<int:poll_id>/papier/section/<int:section_id>/ouvrir")
@login_required
@with_convention
def paper_open(convention, poll_id: int, section_id: int):
    poll = _poll(convention, poll_id)
    section = _section(poll, section_id)
    require(paper.can_keep_list(current_user, section))
    form = OpenReportForm()
    if not form.validate_on_submit():
        flash(_("Cochez la case pour confirmer l'ouverture de la liste d'émargement : rien n'a été fait."), "warning")
        return redirect(_section_url(poll, section))
    try:
        paper.open_report(current_user, poll, section)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "warning")
        return redirect(_section_url(poll, section))
    db.session.commit()
    flash(_("La liste d'émargement de la section est ouverte."), "success")
    return redirect(_section_url(poll, section))


def _mark(convention, poll_id: int, section_id: int, *, unmark: bool):
    poll = _poll(convention, poll_id)
    section = _section(poll, section_id)
    require(paper.can_keep_list(current_user, section))
    report = paper.get_report(poll.id, section.id) or abort(404)
    form = MarkForm()
    args = {k: v for k, v in (("q", form.q.data), ("page", form.page.data)) if v}
    if not form.validate_on_submit():
        flash(_("Le formulaire a expiré : rechargez la page. Rien n'a été enregistré."), "warning")
        return redirect(_section_url(poll, section, **args))
    member_id = form.member_id.data
    try:
        if unmark:
            paper.unmark_voter(current_user, report, member_id)
        else:
            paper.mark_voter(current_user, report, member_id)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "warning")
        return redirect(_section_url(poll, section, **args))
    name = paper.member_name(member_id)
    db.session.commit()
    if unmark:
        flash(_("%(name)s n'est plus émargé·e.", name=name), "success")
    else:
        flash(_("%(name)s est émargé·e (vote sur papier).", name=name), "success")
    return redirect(_section_url(poll, section, **args) + f"#m{member_id}")


@bp.post("/<int:poll_id>/papier/section/<int:section_id>/emarger")
@login_required
@with_convention
def paper_mark(convention, poll_id: int, section_id: int):
    return _mark(convention, poll_id, section_id, unmark=False)


@bp.post("/<int:poll_id>/papier/section/<int:section_id>/retirer")
@login_required
@with_convention
def paper_unmark(convention, poll_id: int, section_id: int):
    return _mark(convention, poll_id, section_id, unmark=True)


@bp.route("/<int:poll_id>/papier/section/<int:section_id>/proces-verbal", methods=["GET", "POST"])
@login_required
@with_convention
def paper_minutes(convention, poll_id: int, section_id: int):
    poll = _poll(convention, poll_id)
    section = _section(poll, section_id)
    require(paper.can_keep_list(current_user, section))
    report = paper.get_report(poll.id, section.id)
    if report is None:
        flash(_("Ouvrez d'abord la liste d'émargement de la section."), "warning")
        return redirect(_section_url(poll, section))
    if report.state not in paper.EDITABLE_REPORT_STATES or poll.state not in paper.ACTIVE_POLL_STATES:
        flash(_("Le procès-verbal ne peut pas être modifié maintenant."), "info")
        return redirect(_section_url(poll, section))
    marks = paper.count_marks(report)
    registered = paper.section_roll_count(poll.id, section.id)
    latest = report.latest
    stored = paper.figures_of(latest) if latest is not None else None
    form = MinutesForm()
    formdata = request.form if request.method == "POST" else None
    rows = {q.id: ranking_rows(q, formdata, stored) for q in poll.questions}
    errors: list[tuple[str, str]] = []
    if request.method == "GET":
        if latest is not None:  # a returned report: correct the last transmission
            form.meeting_date.data = latest.meeting_date
            form.bureau_names.data = latest.bureau_names
            form.note.data = latest.note
        form.registered.data = registered
        form.voters.data = marks
        values = values_from_figures(poll.questions, stored or {})
    else:
        values = {k: v for k, v in request.form.items() if k.startswith("q")}
        if not request.form.get("more_rows"):
            data = paper.MinutesData(
                meeting_date=form.meeting_date.data,
                bureau_names=form.bureau_names.data or "",
                registered=form.registered.data,
                voters=form.voters.data,
                figures=figures_from_form(poll.questions, request.form, rows),
                note=form.note.data or "",
            )
            if form.validate_on_submit():
                try:
                    revision = paper.submit_minutes(current_user, report, data)
                except paper.MinutesError as error:
                    db.session.rollback()
                    errors = error.errors
                except DomainError as error:
                    db.session.rollback()
                    flash(str(error), "warning")
                    return redirect(_section_url(poll, section))
                else:
                    number = revision.number
                    db.session.commit()
                    flash(
                        _(
                            "Le procès-verbal (version %(n)d) est transmis à la fédération, qui va le valider.",
                            n=number,
                        ),
                        "success",
                    )
                    return redirect(_section_url(poll, section))
            elif not getattr(getattr(form, "csrf_token", None), "errors", None):
                # Show every problem at once: the fields' and the figures' (nothing is written).
                errors = paper.minutes_problems(report, data)[1]
            else:
                flash(_("Le formulaire a expiré : rechargez la page. Rien n'a été enregistré."), "warning")
    for key in ("meeting_date", "bureau_names", "registered", "voters", "note"):
        field = getattr(form, key)
        if field.errors and key in {k for k, m in errors}:
            continue  # WTForms already says what is wrong with the field
        field.errors = [*field.errors, *(m for k, m in errors if k == key)]
    question_errors = {q.id: [m for k, m in errors if k == f"q{q.id}"] for q in poll.questions}
    general = [m for k, m in errors if k == "figures"]
    return render_template(
        "votes/paper/minutes.html",
        poll=poll,
        section=section,
        report=report,
        form=form,
        values=values,
        rows=rows,
        marks=marks,
        registered=registered,
        question_errors=question_errors,
        general_errors=general,
        has_errors=bool(errors) or any(f.errors for f in form),
        window=paper.poll_window(poll),
        grades=GRADES,
    )


# --- the federation's first secretary ------------------------------------------------------------


@bp.get("/<int:poll_id>/papier/federation/<int:federation_id>")
@login_required
@with_convention
def paper_federation(convention, poll_id: int, federation_id: int):
    poll = _poll(convention, poll_id)
    federation = _federation(poll, federation_id)
    reports = paper.list_reports(poll.id, federation.id)
    opened = {r.section_id for r in reports}
    return render_template(
        "votes/paper/federation.html",
        poll=poll,
        federation=federation,
        reports=reports,
        without_report=[s for s in federation.sections if s.id not in opened],
        marks={r.id: paper.count_marks(r) for r in reports},
        describe=lambda revision: paper.describe_figures(poll, paper.figures_of(revision)),
        validate_form=ValidateForm(formdata=None),
        return_form=ReturnForm(formdata=None),
        active=poll.state in paper.ACTIVE_POLL_STATES,
        tones=REPORT_TONES,
    )


def _report_of(poll: Poll, federation: Federation, report_id: int) -> SectionReport:
    report = db.session.get(SectionReport, report_id)
    if report is None or report.poll_id != poll.id or report.federation_id != federation.id:
        abort(404)
    return report


def _federation_url(poll: Poll, federation: Federation, report: SectionReport | None = None) -> str:
    anchor = f"#pv-{report.id}" if report is not None else ""
    return url_for("votes.paper_federation", poll_id=poll.id, federation_id=federation.id) + anchor


@bp.post("/<int:poll_id>/papier/federation/<int:federation_id>/<int:report_id>/valider")
@login_required
@with_convention
def paper_validate(convention, poll_id: int, federation_id: int, report_id: int):
    poll = _poll(convention, poll_id)
    federation = _federation(poll, federation_id)
    report = _report_of(poll, federation, report_id)
    form = ValidateForm()
    if not form.validate_on_submit():
        flash(_("Cochez la case pour confirmer la validation : rien n'a été fait."), "warning")
        return redirect(_federation_url(poll, federation, report))
    name = report.section.name
    try:
        paper.validate_report(current_user, report)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "warning")
        return redirect(_federation_url(poll, federation, report))
    db.session.commit()
    flash(_("Le procès-verbal de la section %(name)s est validé : il sera compté.", name=name), "success")
    return redirect(_federation_url(poll, federation, report))


@bp.post("/<int:poll_id>/papier/federation/<int:federation_id>/<int:report_id>/renvoyer")
@login_required
@with_convention
def paper_return(convention, poll_id: int, federation_id: int, report_id: int):
    poll = _poll(convention, poll_id)
    federation = _federation(poll, federation_id)
    report = _report_of(poll, federation, report_id)
    form = ReturnForm()
    if not form.validate_on_submit():
        message = form.reason.errors[0] if form.reason.errors else _("Le formulaire a expiré : rechargez la page.")
        flash(_("%(message)s Rien n'a été fait.", message=message), "warning")
        return redirect(_federation_url(poll, federation, report))
    name = report.section.name
    try:
        paper.return_report(current_user, report, form.reason.data or "")
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "warning")
        return redirect(_federation_url(poll, federation, report))
    db.session.commit()
    flash(_("Le procès-verbal est renvoyé à la section %(name)s, avec votre motif.", name=name), "success")
    return redirect(_federation_url(poll, federation, report))
