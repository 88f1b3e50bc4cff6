"""The working groups and the convention's steering."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from convention.conventions.web import with_convention
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
    return render_template(
        "groups/detail.html",
        group=group,
        events=queries.list_group_events(group.id),
        contributions=queries.list_group_contributions(group.id),
    )
