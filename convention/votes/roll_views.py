"""The electoral roll seen by those who need it: its hash and counts, « suis-je inscrit·e ? », later changes.

- ``/vote/<id>/liste-electorale``: public once the roll is frozen: its hash (and how to recompute it),
  its size and its counts per federation, the public log of the changes since the freeze (date,
  kind, reason; never the member); the signed-in member's own situation; for the Bureau national,
  the members concerned, the form to ask for a change and the decisions on pending ones;
- ``/vote/<id>/liste-electorale/numeros.txt``: the Bureau national's copy of the numbers whose
  SHA-256 is the published hash;
- ``poll_context``: what the poll page shows of the roll (``templates/votes/_poll_roll.html``).
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from convention.conventions.scoping import found_in_convention
from convention.conventions.web import with_convention
from convention.core.permissions import is_national_bureau, require
from convention.domain.errors import DomainError
from convention.domain.polls import PollState, RollChangeKind, RollChangeState
from convention.extensions import db
from convention.votes import (
    ballotbox,  # noqa: F401  (registers the compaction's Celery task on every app)
    queries,
    roll,
)
from convention.votes.blueprint import bp
from convention.votes.models import Poll


class RollChangeForm(FlaskForm):
    """Ask for a change to a frozen roll (Bureau national); another member of the Bureau national decides."""

    kind = RadioField(
        _l("Modification demandée"),
        choices=[
            SelectChoice(RollChangeKind.ADD.value, _l("Inscrire un·e adhérent·e oublié·e")),
            SelectChoice(RollChangeKind.REMOVE.value, _l("Retirer une inscription erronée")),
        ],
        validators=[DataRequired(_l("Choisissez la modification demandée."))],
    )
    membership_number = StringField(
        _l("Numéro d'adhérent·e"),
        validators=[DataRequired(_l("Indiquez le numéro d'adhérent·e.")), Length(max=40)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    reason = TextAreaField(
        _l("Motif (public)"),
        validators=[
            DataRequired(_l("Indiquez le motif : il est publié.")),
            Length(min=roll.REASON_MIN, max=roll.REASON_MAX, message=_l("Entre 10 et 2 000 caractères.")),
        ],
        description=_l(
            "Publié dans le journal des modifications de la liste, sans le nom de l'adhérent·e : "
            "n'y écrivez ni son nom ni son numéro."
        ),
        render_kw={"rows": 3},
    )


class RollDecisionForm(FlaskForm):
    """Approve or refuse a pending change (another member of the Bureau national), confirmed by a box."""

    reason = TextAreaField(
        _l("Motif de la décision"),
        validators=[Optional(), Length(max=roll.REASON_MAX)],
        description=_l("Obligatoire pour un refus ; publié dans le journal des modifications."),
        render_kw={"rows": 2},
    )
    confirm = BooleanField(
        _l("Je confirme ma décision : elle est définitive."),
        validators=[DataRequired(_l("Cochez la case pour confirmer votre décision."))],
    )


DECISIONS = {"approuver": "approve", "refuser": "refuse"}


def _decision_prefix(change_id: int) -> str:
    """Each pending change has its own decision form (distinct field ids on the page)."""
    return f"decision-{change_id}"


def _decision_forms(changes: list) -> dict[int, RollDecisionForm]:
    return {
        change.id: RollDecisionForm(formdata=None, prefix=_decision_prefix(change.id))
        for change in changes
        if change.state == RollChangeState.PENDING
    }


def _load(convention: Any, poll_id: int) -> Poll:
    poll = found_in_convention(queries.get_poll(convention.id, poll_id), Poll, poll_id, convention)
    if not poll.can_view(current_user):
        abort(404)
    return poll


def poll_context(poll: Poll, user: Any) -> dict[str, Any]:
    """What the poll page needs from this module (merged into its template context)."""
    manager = is_national_bureau(user)
    return {
        "roll_frozen": roll.is_frozen(poll),
        "roll_status": roll.roll_status(poll, user),
        "roll_pending": roll.count_pending(poll) if manager and poll.state == PollState.OPEN else 0,
    }


@bp.get("/<int:poll_id>/liste-electorale")
@with_convention
def roll_page(convention: Any, poll_id: int):
    poll = _load(convention, poll_id)
    return _render_roll(poll)


def _render_roll(poll: Poll, change_form: RollChangeForm | None = None, status: int = 200):
    manager = is_national_bureau(current_user)
    frozen = roll.is_frozen(poll)
    counts = roll.federation_counts(poll) if frozen else []
    changes = roll.list_changes(poll) if frozen else []
    response = make_response(
        render_template(
            "votes/roll.html",
            poll=poll,
            frozen=frozen,
            counts=counts,
            total=sum(c.registered for c in counts),
            status=roll.roll_status(poll, current_user),
            changes=changes,
            manager=manager,
            can_change=manager and poll.state == PollState.OPEN and frozen,
            change_form=change_form or RollChangeForm(formdata=None),
            decision_forms=_decision_forms(changes),
            PENDING=RollChangeState.PENDING,
        ),
        status,
    )
    if current_user.is_authenticated:
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<int:poll_id>/liste-electorale/numeros.txt")
@login_required
@with_convention
def roll_numbers(convention: Any, poll_id: int):
    """The sorted membership numbers of the roll (Bureau national): ``sha256sum`` gives the published hash."""
    poll = _load(convention, poll_id)
    require(is_national_bureau(current_user))
    if not roll.is_frozen(poll):
        abort(404)
    response = make_response(roll.roll_numbers_text(poll))
    response.mimetype = "text/plain"
    response.headers["Content-Disposition"] = f'attachment; filename="liste-electorale-{poll.id}.txt"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<int:poll_id>/liste-electorale/modifications")
@login_required
@with_convention
def roll_change_request(convention: Any, poll_id: int):
    poll = _load(convention, poll_id)
    require(is_national_bureau(current_user))
    form = RollChangeForm()
    if not form.validate_on_submit():
        return _render_roll(poll, form, 422)
    try:
        roll.request_roll_change(
            current_user, poll, form.membership_number.data or "", RollChangeKind(form.kind.data), form.reason.data
        )
    except DomainError as error:
        db.session.rollback()
        form.membership_number.errors.append(str(error))
        return _render_roll(db.session.get(Poll, poll_id), form, 422)
    db.session.commit()
    flash(
        _("La demande est enregistrée : un autre membre du Bureau national doit l'approuver ou la refuser."),
        "success",
    )
    return redirect(url_for(".roll_page", poll_id=poll_id, _anchor="modifications"))


@bp.post("/<int:poll_id>/liste-electorale/modifications/<int:change_id>/<decision>")
@login_required
@with_convention
def roll_change_decide(convention: Any, poll_id: int, change_id: int, decision: str):
    poll = _load(convention, poll_id)
    require(is_national_bureau(current_user))
    if decision not in DECISIONS:
        abort(404)
    change = roll.get_change(poll, change_id)
    if change is None:
        abort(404)
    form = RollDecisionForm(prefix=_decision_prefix(change_id))
    back = redirect(url_for(".roll_page", poll_id=poll_id, _anchor=f"modification-{change_id}"))
    if not form.validate_on_submit():
        flash(_("Cochez la case de confirmation : aucune décision n'a été enregistrée."), "warning")
        return back
    try:
        if DECISIONS[decision] == "approve":
            roll.approve_roll_change(current_user, change, form.reason.data or "")
        else:
            roll.refuse_roll_change(current_user, change, form.reason.data or "")
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "warning")
        return back
    db.session.commit()
    if DECISIONS[decision] == "approve":
        flash(_("La modification est approuvée : la liste électorale et son empreinte sont mises à jour."), "success")
    else:
        flash(_("La modification est refusée : la liste électorale est inchangée."), "success")
    return back
