"""The working groups and the convention's steering."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from convention.calendar.models import EventKind
from convention.conventions.web import with_convention
from convention.core.permissions import can_steer, require
from convention.extensions import db
from convention.groups import operations, queries
from convention.groups.forms import FollowForm
from convention.groups.models import SteeringRoleKind

bp = Blueprint("groups", __name__, url_prefix="/groupes")

STEERING_LABELS = {
    SteeringRoleKind.PILOT: "Pilotes de la convention",
    SteeringRoleKind.CO_PILOT: "Co-pilotes",
    SteeringRoleKind.COMMITTEE: "Comité de pilotage",
}


@bp.get("/")
@with_convention
def index(convention):
    return render_template(
        "groups/index.html",
        groups=queries.list_working_groups(convention.id),
        steering=queries.list_steering(convention.id),
        steering_labels=STEERING_LABELS,
    )


@bp.get("/pilotage")
@with_convention
def steering(convention):
    return render_template(
        "groups/steering.html",
        steering=queries.list_steering(convention.id),
        steering_labels=STEERING_LABELS,
    )


@bp.get("/<int:number>")
@with_convention
def detail(convention, number: int):
    group = queries.get_working_group(convention.id, number)
    if group is None:
        abort(404)
    events = queries.list_group_events(group.id)
    return render_template(
        "groups/detail.html",
        group=group,
        events=events,
        hearings=[e for e in events if e.kind == EventKind.HEARING],
        meetings=[e for e in events if e.kind != EventKind.HEARING],
        contributions=queries.list_group_contributions(group.id),
        status_counts=queries.count_group_contributions_by_status(group.id),
        shaped_chapters=queries.list_group_shaped_chapters(group.id),
        is_following=current_user.is_authenticated and queries.is_following(current_user.id, group.id),
        follow_form=FollowForm(),
    )


def _load_group(convention, number: int):
    group = queries.get_working_group(convention.id, number)
    if group is None:
        abort(404)
    require(group.can_follow(current_user))
    return group


@bp.post("/<int:number>/suivre")
@login_required
@with_convention
def follow(convention, number: int):
    group = _load_group(convention, number)
    form = FollowForm()
    if not form.validate_on_submit():
        abort(400)
    operations.follow_group(current_user, group)
    db.session.commit()
    flash(
        _("Vous suivez le groupe %(number)s : ses nouveaux rendez-vous vous seront notifiés.", number=group.number),
        "success",
    )
    return redirect(form.safe_next() or url_for(".detail", number=group.number))


@bp.post("/<int:number>/ne-plus-suivre")
@login_required
@with_convention
def unfollow(convention, number: int):
    group = _load_group(convention, number)
    form = FollowForm()
    if not form.validate_on_submit():
        abort(400)
    operations.unfollow_group(current_user, group)
    db.session.commit()
    flash(_("Vous ne suivez plus le groupe %(number)s.", number=group.number), "success")
    return redirect(form.safe_next() or url_for(".detail", number=group.number))


@bp.get("/representation")
@login_required
@with_convention
def representation(convention):
    require(can_steer(current_user, convention))
    return render_template(
        "groups/representation.html", figures=queries.representation(convention.id)
    )
