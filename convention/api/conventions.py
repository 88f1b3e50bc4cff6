"""GET /api/v1/conventions: the party's published conventions (drafts never), and one of them.

Each convention's data are under ``/api/v1/conventions/<slug>/…`` (the same endpoints as
``/api/v1/…``, which answer for the featured convention): see ``nest_in_conventions``.
"""

from __future__ import annotations

import copy
import datetime as dt
from http import HTTPStatus
from typing import Any

from flask import abort
from flask_smorest import Blueprint

from convention.api import queries
from convention.api.schemas import ConventionDetailSchema, ConventionListSchema

blp = Blueprint(
    "conventions_api",
    __name__,
    description="Les conventions du parti : celle en cours (mise en avant), les autres et les archives. "
    "Les données de chacune sont sous /api/v1/conventions/{convention_slug}/… ; les adresses "
    "/api/v1/… sans slug sont celles de la convention mise en avant.",
)


def _featured_id() -> int | None:
    featured = queries.get_convention(None)
    return featured.id if featured is not None else None


@blp.route("/conventions")
@blp.response(HTTPStatus.OK, ConventionListSchema)
def list_all():
    """Les conventions publiées : titres, phase en cours, mise en avant, archivée."""
    today = dt.date.today()
    featured_id = _featured_id()
    items = [queries.convention_summary(c, today, featured_id) for c in queries.list_conventions()]
    return {"items": items, "total": len(items)}


@blp.route("/conventions/<string(length=None, maxlength=80):slug>")
@blp.response(HTTPStatus.OK, ConventionDetailSchema)
@blp.alt_response(HTTPStatus.NOT_FOUND, response="NOT_FOUND")
def get_one(slug: str):
    """Une convention : titres, présentation, phases datées et phase en cours."""
    convention = queries.get_convention(slug)
    if convention is None:
        abort(HTTPStatus.NOT_FOUND, description="Convention introuvable.")
    return queries.convention_detail(convention, dt.date.today(), _featured_id())


SLUG_PARAMETER = {
    "name": "convention_slug",
    "in": "path",
    "required": True,
    "description": "Identifiant (slug) de la convention (voir /api/v1/conventions).",
    "schema": {"type": "string", "minLength": 1, "maxLength": 80},
}


def nest_in_conventions(spec: Any, prefix: str, blueprint_names: frozenset[str]) -> None:
    """Document each scoped path again under ``/api/v1/conventions/{convention_slug}``.

    The routes themselves are copied by ``convention.core.routing``; this adds them to the
    OpenAPI document, with the slug as a path parameter and a 404 for an unknown slug.
    """
    paths = spec._paths  # apispec keeps the registered paths here, in order
    for path, operations in list(paths.items()):
        if not path.startswith(prefix + "/") or path.startswith(prefix + "/conventions"):
            continue
        tags = {tag for op in operations.values() if isinstance(op, dict) for tag in op.get("tags", ())}
        if not tags & blueprint_names:
            continue
        nested = copy.deepcopy(operations)
        nested["parameters"] = [SLUG_PARAMETER, *nested.get("parameters", [])]
        for operation in nested.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].setdefault("404", {"$ref": "#/components/responses/NOT_FOUND"})
        paths[f"{prefix}/conventions/{{convention_slug}}{path[len(prefix) :]}"] = nested
