"""The contributions sent to the convention: the list and one page per contribution."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from convention.contributions import queries
from convention.contributions.models import CHANNEL_LABELS, STATUS_LABELS, Channel
from convention.conventions.web import with_convention
from convention.domain.lifecycle import ContributionStatus

bp = Blueprint("contributions", __name__, url_prefix="/contributions")


def _enum_arg(name: str, enum_type):
    value = request.args.get(name, "")
    return enum_type(value) if value in enum_type._value2member_map_ else None


@bp.get("/")
@with_convention
def index(convention):
    channel = _enum_arg("canal", Channel)
    status = _enum_arg("statut", ContributionStatus)
    page = max(request.args.get("page", 1, type=int), 1)
    pagination = queries.paginate_contributions(
        convention.id, channel=channel, status=status, page=page
    )
    filters = {}
    if channel is not None:
        filters["canal"] = channel.value
    if status is not None:
        filters["statut"] = status.value
    return render_template(
        "contributions/index.html",
        pagination=pagination,
        channel=channel,
        status=status,
        filters=filters,
        channel_labels=CHANNEL_LABELS,
        status_labels=STATUS_LABELS,
    )


@bp.get("/<int:contribution_id>")
@with_convention
def detail(convention, contribution_id: int):
    contribution = queries.get_contribution(convention.id, contribution_id)
    if contribution is None:
        abort(404)
    return render_template("contributions/detail.html", contribution=contribution)
