"""The working groups and the convention's steering."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from convention.calendar.models import EventKind
from convention.conventions.web import with_convention
from convention.core.permissions import can_steer, require
from convention.groups import queries
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
    )


@bp.get("/representation")
@login_required
@with_convention
def representation(convention):
    require(can_steer(current_user, convention))
    return render_template(
        "groups/representation.html", figures=queries.representation(convention.id)
    )
