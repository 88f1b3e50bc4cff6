"""The members' vote (« /vote »): polls, the ballot with its confirmation, receipts, the Bureau national's controls."""

from __future__ import annotations

import datetime as dt
import secrets

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from convention.conventions.i18n import N_
from convention.conventions.web import ensure_in_convention, with_convention
from convention.core.db import utcnow
from convention.core.permissions import is_national_bureau, require
from convention.domain.ballots import GRADES, ChoiceError, normalise_choices
from convention.domain.errors import DomainError, IllegalTransition
from convention.domain.phases import PhaseKind
from convention.domain.polls import PollState, QuestionMethod
from convention.domain.roles import Role
from convention.extensions import db, limiter
from convention.votes import cache, operations, queries
from convention.votes.blueprint import bp
from convention.votes.forms import PARIS, ActionForm, BallotForm, PollForm, ReceiptForm, choices_from_form
from convention.votes.models import Poll
from convention.votes.padding import constant_size

# Bureau national actions: URL name → (label, states where offered, confirmation text).
ACTIONS: dict[str, tuple[str, frozenset[PollState], str]] = {
    "programmer": (
        N_("Programmer le scrutin"),
        frozenset({PollState.DRAFT}),
        N_("Le scrutin s'ouvrira de lui-même à la date prévue, et la liste électorale sera alors figée."),
    ),
    "deprogrammer": (
        N_("Annuler la programmation"),
        frozenset({PollState.SCHEDULED}),
        N_("Le scrutin redevient un brouillon et ne s'ouvrira pas de lui-même."),
    ),
    "ouvrir": (
        N_("Ouvrir le vote maintenant"),
        frozenset({PollState.DRAFT, PollState.SCHEDULED}),
        N_(
            "La liste électorale est figée et les adhérent·es inscrit·es sont prévenu·es. Le scrutin ne pourra plus "
            "être modifié."
        ),
    ),
    "clore": (
        N_("Clore le vote maintenant"),
        frozenset({PollState.OPEN}),
        N_("Plus aucun bulletin ne sera accepté et le dépouillement commence aussitôt. Cette action est définitive."),
    ),
    "depouiller": (
        N_("Relancer le dépouillement"),
        frozenset({PollState.CLOSED, PollState.TALLIED}),
        N_("Les bulletins sont comptés de nouveau ; les résultats précédents sont remplacés."),
    ),
    "proclamer": (
        N_("Proclamer les résultats"),
        frozenset({PollState.TALLIED}),
        N_(
            "Les résultats deviennent publics et les adhérent·es inscrit·es sont prévenu·es. "
            "Cette action est définitive."
        ),
    ),
}


SECRETARY_ROLES = (Role.SECTION_SECRETARY, Role.FEDERATION_SECRETARY)


def _load(convention, poll_id: int) -> Poll:
    poll = ensure_in_convention(db.session.get(Poll, poll_id), convention)
    if not poll.can_view(current_user):
        abort(404)
    return poll


def _load_for_flow(convention, poll_id: int, *, lock: bool = False) -> Poll | cache.PollHead:
    """The poll for the ballot flow's requests: only its head (state and window) once its frozen copy is
    cached in this process (vote day's hot path), else the whole row. ``lock``: the head is read under
    the cast's shared lock (``cache.cached_poll_head``)."""
    head = cache.cached_poll_head(poll_id, lock=lock, member_id=None if lock else _member_id())
    if head is None:
        return _load(convention, poll_id)
    ensure_in_convention(head, convention)
    if not head.can_view(current_user):
        abort(404)
    return head


def _member_id() -> int | None:
    return getattr(current_user, "member_id", None) if current_user.is_authenticated else None


@bp.get("/")
@with_convention
def index(convention):
    manager = is_national_bureau(current_user)
    return render_template(
        "votes/index.html",
        polls=queries.list_polls(convention.id, include_drafts=manager),
        can_create=manager,
        now=utcnow(),
    )


@bp.get("/<int:poll_id>")
@with_convention
@constant_size
def show(convention, poll_id: int):
    """The poll's page; for a member who may vote now, the booth (``?details=1``: the whole page)."""
    poll = _load_for_flow(convention, poll_id)
    frozen = _flow(poll)
    if "details" not in request.args and _in_booth(poll):
        return render_booth(
            "votes/booth.html", convention, frozen, holes={"csrf": generate_csrf()}, **_booth_context(poll, frozen)
        )
    return _render_poll(_load(convention, poll_id) if isinstance(poll, cache.PollHead) else poll)


# --- the booth (isoloir): the ballot flow's light pages ----------------------------------------------------


def _flow(poll: Poll | cache.PollHead) -> cache.FrozenPoll:
    """The poll's frozen copy, left in ``g`` for ``constant_size`` (with the state, read before any commit)."""
    g.ballot_flow_state = poll.state
    g.ballot_flow = cache.frozen_poll(poll)
    return g.ballot_flow


# Marks the places of a cached booth page that change with each request (the CSRF token, the receipt
# code): random per process, so no text of a poll can contain one.
_HOLE = f"@@booth-{secrets.token_hex(8)}-"


def render_booth(template: str, convention, frozen: cache.FrozenPoll, *, holes: dict | None = None, **context) -> str:
    """A page of the ballot flow in the booth's frame (votes/booth_base.html).

    The template is rendered alone, without the site's context processors: the booth has no
    navigation, so none of its per-user queries (notifications, reviews, secretaries' links…).
    It gets only what is given here (``url_for``, ``_`` and the flashed messages are Jinja globals).

    ``holes``: the values that change with every request (the CSRF token, the receipt code). When
    the poll is cached (open) and no message is waiting to be shown, the page is rendered once per
    language and address with a mark in their place, and each request only fills them in.
    """
    lang = str(get_locale() or "fr")
    context.update(convention=convention, poll=frozen, lang=lang)
    jinja = current_app.jinja_env
    holes = holes or {}
    if not (holes and frozen.cached) or session.get("_flashes"):
        return jinja.get_template(template).render(context, **holes)
    key = (
        lang,
        template,
        convention.short_title if convention is not None else "",
        url_for("votes.show", poll_id=frozen.id),
        *sorted(holes),
    )
    page = frozen.fragment(
        key, lambda: jinja.get_template(template).render(context, **{k: Markup(f"{_HOLE}{k}@@") for k in holes})
    )
    for name, value in holes.items():
        page = page.replace(f"{_HOLE}{name}@@", escape(value))  # Markup.replace: escaped once
    return page


def _in_booth(poll: Poll | cache.PollHead) -> bool:
    """May the signed-in member vote in this poll now? The Bureau national (its controls) and the
    secretaries (their émargement lists) keep the whole page, with the same ballot."""
    member_id = _member_id()
    if member_id is None or not poll.accepts_ballots(utcnow()) or poll.can_manage(current_user):
        return False
    if poll.allows_paper and any(current_user.has_role(role) for role in SECRETARY_ROLES):
        return False
    status = cache.voter_status(poll.id, member_id, poll)
    return status.on_roll and not status.has_voted


def _booth_context(
    poll: Poll | cache.PollHead, frozen: cache.FrozenPoll, errors: list[str] | None = None, answers=None
) -> dict:
    def ballot() -> str:
        return current_app.jinja_env.get_template("votes/_booth_ballot.html").render(
            poll=frozen, answers=answers or {}, grades=GRADES
        )

    lang = str(get_locale() or "fr")
    html = Markup(ballot()) if answers else frozen.fragment((lang, "ballot"), ballot)
    closes = frozen.fragment((lang, "closes"), lambda: current_app.jinja_env.filters["datetime_fr"](poll.closes_at))
    return {
        "ballot_html": html,
        "ballot_errors": errors or [],
        "closes_at": closes,
        "details_url": url_for(".show", poll_id=poll.id, details=1),
        "roll_url": url_for(".roll_page", poll_id=poll.id),
    }


def _render_poll(poll: Poll, errors: list[str] | None = None, answers: dict | None = None):
    frozen = cache.frozen_poll(poll)
    now = utcnow()
    member_id = _member_id()
    participation = queries.get_participation(poll.id, member_id)
    on_roll = queries.is_on_roll(poll.id, member_id)
    can_vote = poll.accepts_ballots(now) and on_roll and participation is None
    ballot_form = BallotForm(formdata=None)
    manager = poll.can_manage(current_user)
    extra: dict = {}
    for module in (roll_views, paper_views, results_views):
        extra.update(module.poll_context(poll, current_user))
    return render_template(
        "votes/poll.html",
        **extra,
        poll=poll,
        now=now,
        description_html=frozen.description_html,
        participation=participation,
        on_roll=on_roll,
        can_vote=can_vote,
        ballot_form=ballot_form,
        ballot_errors=errors or [],
        answers=answers or {},
        grades=GRADES,
        texts=frozen.texts,
        rules=frozen.rules,
        manager=manager,
        actions=[(name, label, text) for name, (label, states, text) in ACTIONS.items() if poll.state in states]
        if manager
        else [],
        action_form=ActionForm(formdata=None),
        voters=queries.count_voters(poll.id) if manager and poll.state != PollState.DRAFT else None,
    )


@bp.post("/<int:poll_id>/bulletin")
@login_required
@with_convention
@constant_size
def ballot(convention, poll_id: int):
    """Two steps: the answers, then « Votre vote est définitif » with the confirmation; then the receipt.

    With JavaScript the booth shows the confirmation in its page and posts ``confirmed=1`` at once;
    without it, the first post answers with the confirmation page. Both steps render the booth's
    frame from the poll's frozen copy (``cache.frozen_poll``), never reloading it after the commit.
    """
    confirmed = request.form.get("confirmed") == "1"
    poll = _load_for_flow(convention, poll_id, lock=confirmed)
    frozen = _flow(poll)
    # The CSRF token was checked before the view (CSRFProtect, for every POST of the site).
    raw = choices_from_form(frozen.questions, request.form)
    if not confirmed:
        refusal = _refusal(poll)
        if refusal:
            flash(refusal, "warning")
            return redirect(url_for(".show", poll_id=poll.id))
        try:
            content = normalise_choices(frozen.questions, raw)
        except ChoiceError as error:
            page = render_booth(
                "votes/booth.html",
                convention,
                frozen,
                csrf=generate_csrf(),
                **_booth_context(poll, frozen, [str(error)], raw),
            )
            return page, 422
        return render_booth(
            "votes/confirm.html", convention, frozen, csrf=generate_csrf(), answers=content, grades=GRADES
        )
    try:
        code = operations.cast_ballot(
            current_user,
            poll,
            raw,
            questions=frozen.questions,
            # The head was read under the cast's lock: the cast need not read the state again.
            locked_state=(poll.state, poll.opens_at, poll.closes_at) if isinstance(poll, cache.PollHead) else None,
        )
    except operations.VoteRefused as error:
        db.session.rollback()
        flash(str(error), "warning")
        return redirect(url_for(".show", poll_id=poll.id))
    # Nothing of the session is read again after this commit (the pages come from the frozen copy):
    # expiring the account and the poll would only make the next access reload them.
    session_ = db.session()
    expire, session_.expire_on_commit = session_.expire_on_commit, False
    try:
        session_.commit()
    finally:
        session_.expire_on_commit = expire
    # The receipt is shown in this response only: it is stored nowhere but as a hash (never cached:
    # ``constant_size`` marks the flow's responses no-store).
    return render_booth("votes/receipt.html", convention, frozen, holes={"code": code})


def _refusal(poll: Poll | cache.PollHead) -> str | None:
    """Why the current user cannot vote (checked before the confirmation step; the operation checks again)."""
    member_id = _member_id()
    if member_id is None:
        return _("Votre compte n'est rattaché à aucun·e adhérent·e : vous ne pouvez pas voter.")
    if not poll.accepts_ballots(utcnow()):
        return _("Le vote n'est pas ouvert : aucun bulletin n'a été enregistré.")
    status = cache.voter_status(poll.id, member_id, poll)
    if not status.on_roll:
        return _("Vous n'êtes pas inscrit·e sur la liste électorale de ce scrutin.")
    if status.has_voted:
        return _("Vous avez déjà voté à ce scrutin : votre premier vote reste le seul enregistré.")
    return None


@bp.route("/<int:poll_id>/verifier", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
@with_convention
@constant_size
def verify(convention, poll_id: int):
    poll = _load(convention, poll_id)
    _flow(poll)
    form = ReceiptForm()
    found = None
    if poll.is_sealed and form.validate_on_submit():
        found = queries.ballot_exists(poll.id, form.code.data or "")
    return render_template("votes/verify.html", poll=poll, form=form, found=found)


# --- the Bureau national ------------------------------------------------------------------


def _phase_window(convention) -> tuple[dt.date | None, dt.date | None]:
    phase = convention.phase(PhaseKind.MEMBERS_VOTE)
    if phase is None:
        return None, None
    return phase.starts_on, phase.ends_on or phase.starts_on


def _default_window(convention, today: dt.date) -> tuple[dt.date, dt.date]:
    """A new poll's days: the vote militant phase if it is still to come, else the coming days."""
    starts_on, ends_on = _phase_window(convention)
    if starts_on is not None and starts_on > today:
        return starts_on, max(ends_on or starts_on, starts_on)
    return today + dt.timedelta(days=1), today + dt.timedelta(days=8)


def _poll_form(poll: Poll | None, convention) -> PollForm:
    form = PollForm()
    form.set_text_versions(queries.list_text_version_choices(convention.id))
    if request.method == "GET":
        if poll is None:
            opens_on, closes_on = _default_window(convention, utcnow().astimezone(PARIS).date())
            form.opens_on.data = opens_on
            form.opens_time.data = dt.time(8, 0)
            form.closes_on.data = closes_on
            form.closes_time.data = dt.time(20, 0)
            form.roll_cutoff.data = opens_on - dt.timedelta(days=1)
            form.text_version.data = 0
            form.allows_paper.data = True
            form.secrecy_threshold.data = 10
            form.questions[0].form.title.data = _("Approuvez-vous le texte soumis au vote ?")
        else:
            opens, closes = poll.opens_at.astimezone(PARIS), poll.closes_at.astimezone(PARIS)
            form.title.data = poll.title
            form.question.data = poll.question
            form.description.data = poll.description
            form.text_version.data = poll.text_version_id or 0
            form.opens_on.data, form.opens_time.data = opens.date(), opens.time().replace(second=0, microsecond=0)
            form.closes_on.data, form.closes_time.data = closes.date(), closes.time().replace(second=0, microsecond=0)
            form.roll_cutoff.data = poll.roll_cutoff
            form.allows_paper.data = poll.allows_paper
            form.secrecy_threshold.data = poll.secrecy_threshold
            while len(form.questions) < len(poll.questions):
                form.questions.append_entry()
            for entry, question in zip(form.questions, poll.questions, strict=False):
                entry.form.fill(question)
    return form


def _poll_data(form: PollForm) -> operations.PollData:
    return operations.PollData(
        title=form.title.data or "",
        question=form.question.data or "",
        description=form.description.data or "",
        text_version_id=form.text_version.data or None,
        opens_at=form.opens_at(),
        closes_at=form.closes_at(),
        roll_cutoff=form.roll_cutoff.data,
        questions=form.question_data(),
        allows_paper=bool(form.allows_paper.data),
        secrecy_threshold=form.secrecy_threshold.data or 10,
    )


def _wants_another_question(form: PollForm) -> bool:
    """« Ajouter une question »: the form comes back with one more (empty) question, nothing saved."""
    if not form.add_question.data:
        return False
    if len(form.questions) < operations.MAX_QUESTIONS:
        form.questions.append_entry()
        entry = form.questions[-1].form
        entry.method.data = QuestionMethod.MAJORITY_JUDGMENT.value
    else:
        flash(_("Un scrutin pose au plus %(n)d questions.", n=operations.MAX_QUESTIONS), "warning")
    return True


def _save_poll(form: PollForm, poll: Poll | None, convention):
    """Create or update from a valid form; returns a redirect, or None with the error on the form."""
    try:
        if poll is None:
            poll = operations.create_poll(current_user, convention, _poll_data(form))
        else:
            operations.update_poll(current_user, poll, _poll_data(form))
    except DomainError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return None
    db.session.commit()
    return poll


@bp.route("/nouveau", methods=["GET", "POST"])
@login_required
@with_convention
def create(convention):
    require(is_national_bureau(current_user))
    form = _poll_form(None, convention)
    if request.method == "POST" and _wants_another_question(form):
        return render_template("votes/edit.html", form=form, poll=None)
    if form.validate_on_submit():
        poll = _save_poll(form, None, convention)
        if poll is not None:
            flash(_("Le scrutin est enregistré comme brouillon. Programmez-le quand il est prêt."), "success")
            return redirect(url_for(".show", poll_id=poll.id))
    return render_template("votes/edit.html", form=form, poll=None)


@bp.route("/<int:poll_id>/modifier", methods=["GET", "POST"])
@login_required
@with_convention
def edit(convention, poll_id: int):
    poll = _load(convention, poll_id)
    require(poll.can_manage(current_user))
    if not poll.is_editable:
        flash(_("Ce scrutin est ouvert ou clos : il ne peut plus être modifié."), "warning")
        return redirect(url_for(".show", poll_id=poll.id))
    form = _poll_form(poll, convention)
    if request.method == "POST" and _wants_another_question(form):
        return render_template("votes/edit.html", form=form, poll=poll)
    if form.validate_on_submit() and _save_poll(form, poll, convention) is not None:
        flash(_("Le scrutin est modifié."), "success")
        return redirect(url_for(".show", poll_id=poll.id))
    return render_template("votes/edit.html", form=form, poll=poll)


@bp.post("/<int:poll_id>/gestion/<action>")
@login_required
@with_convention
def manage(convention, poll_id: int, action: str):
    poll = _load(convention, poll_id)
    require(poll.can_manage(current_user))
    if action not in ACTIONS:
        abort(404)
    form = ActionForm()
    if not form.validate_on_submit():
        flash(_("Cochez la case de confirmation pour « %(action)s ».", action=_(ACTIONS[action][0])), "warning")
        return redirect(url_for(".show", poll_id=poll.id))
    job = None
    try:
        if action == "programmer":
            done = operations.schedule_poll(current_user, poll)
        elif action == "deprogrammer":
            done = operations.unschedule_poll(current_user, poll)
        elif action == "ouvrir":
            done = operations.open_poll(current_user, poll)
        elif action == "clore":
            job = operations.close_poll(current_user, poll)
            done = job is not None
        elif action == "depouiller":
            job = operations.relaunch_tally(current_user, poll)
            done = True
        else:
            done = operations.proclaim(current_user, poll)
    except IllegalTransition:
        db.session.rollback()
        flash(_("Cette action n'est pas possible dans l'état actuel du scrutin : rien n'a été fait."), "warning")
        return redirect(url_for(".show", poll_id=poll_id))
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "warning")
        return redirect(url_for(".show", poll_id=poll_id))
    if not done:
        db.session.rollback()
        flash(_("Le scrutin a déjà changé d'état : rien n'a été fait."), "info")
        return redirect(url_for(".show", poll_id=poll.id))
    job_id = job.id if job is not None else None
    db.session.commit()
    flash(_(_DONE[action]), "success")
    if job_id is not None:
        return redirect(url_for("jobs.show", job_id=job_id))
    return redirect(url_for(".show", poll_id=poll_id))


_DONE = {
    "programmer": "Le scrutin est programmé.",
    "deprogrammer": "La programmation est annulée : le scrutin est de nouveau un brouillon.",
    "ouvrir": "Le vote est ouvert : la liste électorale est figée et les inscrit·es sont prévenu·es.",
    "clore": "Le vote est clos : le dépouillement est lancé.",
    "depouiller": "Le dépouillement est relancé.",
    "proclamer": "Les résultats sont proclamés.",
}


# The other pages of the vote register their routes on the same blueprint.
from convention.votes import paper_views, results_views, roll_views  # noqa: E402
