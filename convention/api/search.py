"""GET /api/v1/search: full-text search over the text, contributions and events."""

from __future__ import annotations

from http import HTTPStatus

import marshmallow as ma
from flask import abort
from flask_smorest import Blueprint
from marshmallow import fields, validate

from convention.api import queries as api_queries
from convention.api.schemas import MAX_ID, PaginationQuerySchema, page_schema
from convention.extensions import db
from convention.groups.models import WorkingGroup
from convention.search import queries
from convention.search.indexing import site_path
from convention.search.models import SearchKind
from convention.search.syntax import MAX_QUERY_LENGTH

blp = Blueprint(
    "search_api",
    __name__,
    description="Recherche plein texte (français : accents et pluriels) dans le texte, "
    "les contributions et les rendez-vous.",
)


class SearchQuerySchema(PaginationQuerySchema):
    q = fields.String(
        required=True,
        validate=validate.Length(
            min=1, max=MAX_QUERY_LENGTH, error="Entre {min} et {max} caractères."
        ),
        error_messages={"required": "Paramètre obligatoire."},
        metadata={
            "description": 'Mots recherchés ; « "expression exacte" », « -mot » pour exclure, '
            "« OR » pour l'un ou l'autre."
        },
    )
    kind = fields.String(
        validate=validate.OneOf([k.value for k in SearchKind], error="Valeurs : {choices}."),
        metadata={"description": "text (le texte), contribution ou event (rendez-vous)."},
    )
    working_group = fields.Integer(
        strict=False,
        validate=validate.Range(min=1, max=MAX_ID, error="Numéro de groupe invalide."),
        error_messages={"invalid": "Nombre entier attendu."},
        metadata={"description": "Numéro du groupe de travail."},
    )


class SearchHitSchema(ma.Schema):
    kind = fields.String(required=True, metadata={"description": "text, contribution ou event."})
    id = fields.Integer(
        required=True,
        metadata={"description": "Identifiant du bloc, de la contribution ou du rendez-vous."},
    )
    title = fields.String(required=True)
    excerpt = fields.String(
        required=True,
        metadata={
            "description": "Extrait en HTML : texte échappé, mots trouvés entre <mark> et </mark>."
        },
    )
    url = fields.String(
        required=True,
        metadata={
            "description": "Chemin de la page sur le site (sous /c/<slug>/ pour une convention autre que celle "
            "mise en avant)."
        },
    )


SearchPageSchema = page_schema(SearchHitSchema, "SearchPageSchema")


@blp.route("/search")
@blp.arguments(SearchQuerySchema, location="query", as_kwargs=True)
@blp.response(HTTPStatus.OK, SearchPageSchema)
@blp.alt_response(HTTPStatus.NOT_FOUND, response="NOT_FOUND")
def search(
    q: str,
    page: int,
    per_page: int,
    convention: str | None = None,
    kind: str | None = None,
    working_group: int | None = None,
):
    """Recherche plein texte, meilleurs résultats d'abord, avec extraits surlignés."""
    found = api_queries.get_convention(convention)
    if found is None:
        abort(HTTPStatus.NOT_FOUND, description="Convention introuvable.")
    group_id = None
    if working_group is not None:
        group_id = db.session.scalar(
            db.select(WorkingGroup.id).where(
                WorkingGroup.convention_id == found.id, WorkingGroup.number == working_group
            )
        )
        if group_id is None:
            abort(HTTPStatus.NOT_FOUND, description="Groupe de travail introuvable.")
    results = queries.search(
        found.id,
        q,
        kind=SearchKind(kind) if kind else None,
        working_group_id=group_id,
        page=page,
        per_page=per_page,
    )
    items = [
        {
            "kind": hit.kind.value,
            "id": hit.id,
            "title": hit.title,
            "excerpt": str(hit.excerpt),
            # The index keeps the path within the convention: another convention's pages are under its slug.
            "url": site_path(hit.url, found),
        }
        for hit in results.items
    ]
    return {"items": items, "total": results.total, "page": page, "per_page": per_page}
