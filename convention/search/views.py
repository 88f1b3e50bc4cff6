"""The search page: /recherche?q=…&type=…&groupe=…"""

from __future__ import annotations

import dataclasses

from flask import Blueprint, render_template, request, url_for

from convention.conventions.web import with_convention
from convention.core.pagination import page_arg
from convention.core.routing import int_arg
from convention.groups import queries as group_queries
from convention.search import queries
from convention.search.models import SearchKind
from convention.search.syntax import normalise_query

bp = Blueprint("search", __name__, url_prefix="/recherche")

# The kind filter as the URL writes it (French), and its label.
KIND_ARGS = {
    "texte": (SearchKind.TEXT, "Le texte"),
    "contributions": (SearchKind.CONTRIBUTION, "Contributions"),
    "rendez-vous": (SearchKind.EVENT, "Rendez-vous"),
    "amendements": (SearchKind.AMENDMENT, "Amendements"),
}


@bp.get("/")
@with_convention
def index(convention):
    query = normalise_query(request.args.get("q"))
    kind_arg = request.args.get("type", "")
    kind = KIND_ARGS[kind_arg][0] if kind_arg in KIND_ARGS else None
    groups = group_queries.list_working_groups(convention.id)
    group_number = int_arg("groupe")
    group = next((g for g in groups if g.number == group_number), None)
    page = page_arg()
    results = queries.search(
        convention.id,
        query,
        kind=kind,
        working_group_id=group.id if group else None,
        page=page,
    )
    # The index keeps each page's short path; a convention other than the featured one shows its
    # results under its own address (its chapter anchors are the same as another text's).
    prefix = url_for("conventions.home")[len(request.script_root) :].rstrip("/")  # the template adds the root
    if prefix:
        results.items = [dataclasses.replace(hit, url=prefix + hit.url) for hit in results.items]
    args = {"q": query}
    if kind is not None:
        args["type"] = kind_arg
    if group is not None:
        args["groupe"] = str(group.number)
    return render_template(
        "search/index.html",
        query=query,
        results=results,
        kind_arg=kind_arg if kind is not None else "",
        kind_args=KIND_ARGS,
        groups=groups,
        group=group,
        args=args,
    )
