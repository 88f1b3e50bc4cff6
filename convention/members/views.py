"""Views of the members blueprint: the lists of members for section and federation secretaries."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, g, redirect, render_template, url_for
from flask_login import current_user, login_required

from convention.core.pagination import page_arg
from convention.core.permissions import can_view_unit_members, is_national_bureau, require
from convention.members import queries

bp = Blueprint("members", __name__, url_prefix="/adherents")

PER_PAGE = 100


@bp.app_template_global("secretary_units")
def secretary_units() -> tuple[list, list]:
    """The federations and sections whose member lists the signed-in secretary keeps.

    Empty for everyone else (the Bureau national reaches every list from « Administration »):
    the navigation shows « Adhérent·es » and the account page the secretary's tools only when
    there is something in them.
    """
    if not current_user.is_authenticated:
        return [], []
    if "secretary_units" not in g:
        g.secretary_units = queries.list_visible_units(current_user)
    return g.secretary_units


@bp.route("/")
@login_required
def index():
    """The units whose members the user may list (all federations for the Bureau national)."""
    if is_national_bureau(current_user):
        federations, sections = queries.list_federations(), []
    else:
        federations, sections = queries.list_visible_units(current_user)
    require(bool(federations or sections))
    if len(federations) + len(sections) == 1:
        if federations:
            return redirect(url_for("members.federation", federation_id=federations[0].id))
        return redirect(url_for("members.section", section_id=sections[0].id))
    return render_template("members/index.html", federations=federations, sections=sections)


@bp.route("/section/<int:section_id>")
@login_required
def section(section_id: int):
    unit = queries.get_section(section_id) or abort(404)
    require(can_view_unit_members(current_user, section=unit))
    pagination = queries.paginate_unit_members(section=unit, page=page_arg(), per_page=PER_PAGE)
    return render_template(
        "members/unit.html",
        title=f"Section {unit.name}",
        subtitle=unit.federation.title,
        pagination=pagination,
        show_section=False,
        today=dt.date.today(),
        page_endpoint="members.section",
        page_args={"section_id": unit.id},
        parent_url=url_for("members.federation", federation_id=unit.federation_id)
        if can_view_unit_members(current_user, federation=unit.federation)
        else None,
    )


@bp.route("/federation/<int:federation_id>")
@login_required
def federation(federation_id: int):
    unit = queries.get_federation(federation_id) or abort(404)
    require(can_view_unit_members(current_user, federation=unit))
    pagination = queries.paginate_unit_members(federation=unit, page=page_arg(), per_page=PER_PAGE)
    return render_template(
        "members/unit.html",
        title=unit.title,
        subtitle=None,
        sections=unit.sections,
        pagination=pagination,
        show_section=True,
        today=dt.date.today(),
        page_endpoint="members.federation",
        page_args={"federation_id": unit.id},
        parent_url=None,
    )
