"""Endpoints of the read API: GET only, JSON, documented at /api/v1/openapi.json."""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus
from typing import Any

from flask import abort
from flask_smorest import Blueprint

from convention.api import ics, queries
from convention.api.schemas import (
    MAX_ID,
    AmendmentPageSchema,
    AmendmentQuerySchema,
    AmendmentSchema,
    ContributionPageSchema,
    ConventionQuerySchema,
    ConventionSchema,
    DiffQuerySchema,
    DiffSchema,
    EventPageSchema,
    PaginationQuerySchema,
    TextDetailSchema,
    TextPageSchema,
    TextVersionQuerySchema,
    VersionDetailSchema,
    WorkingGroupPageSchema,
)
from convention.extensions import db

blp = Blueprint(
    "public_api",
    __name__,
    description="Données publiques de la convention : phases, groupes de travail, calendrier, "
    "contributions, textes et amendements (lecture seule).",
)

NOT_FOUND = "Convention introuvable."


def _convention(slug: str | None):
    convention = queries.get_convention(slug)
    if convention is None:
        abort(HTTPStatus.NOT_FOUND, description=NOT_FOUND)
    return convention


def _page(items: list, total: int, page: int, per_page: int) -> dict:
    return {"items": items, "total": total, "page": page, "per_page": per_page}


@blp.route("/convention")
@blp.arguments(ConventionQuerySchema, location="query", as_kwargs=True)
@blp.response(HTTPStatus.OK, ConventionSchema)
@blp.alt_response(HTTPStatus.NOT_FOUND, response="NOT_FOUND")
def get_convention(convention: str | None = None):
    """La convention : titres, phases datées et phase en cours."""
    return queries.convention_data(_convention(convention), dt.date.today())


@blp.route("/working-groups")
@blp.arguments(PaginationQuerySchema, location="query", as_kwargs=True)
@blp.response(HTTPStatus.OK, WorkingGroupPageSchema)
@blp.alt_response(HTTPStatus.NOT_FOUND, response="NOT_FOUND")
def list_working_groups(page: int, per_page: int, convention: str | None = None):
    """Les groupes de travail et leurs animateurs."""
    items, total = queries.list_working_groups(_convention(convention), page, per_page)
    return _page(items, total, page, per_page)


@blp.route("/events")
@blp.arguments(PaginationQuerySchema, location="query", as_kwargs=True)
@blp.response(HTTPStatus.OK, EventPageSchema)
@blp.alt_response(HTTPStatus.NOT_FOUND, response="NOT_FOUND")
def list_events(page: int, per_page: int, convention: str | None = None):
    """Le calendrier : auditions, réunions, débats, dans l'ordre chronologique."""
    items, total = queries.list_events(_convention(convention), page, per_page)
    return _page(items, total, page, per_page)


@blp.route("/contributions")
@blp.arguments(PaginationQuerySchema, location="query", as_kwargs=True)
@blp.response(HTTPStatus.OK, ContributionPageSchema)
@blp.alt_response(HTTPStatus.NOT_FOUND, response="NOT_FOUND")
def list_contributions(page: int, per_page: int, convention: str | None = None):
    """Les contributions reçues (plateforme et courriel)."""
    items, total = queries.list_contributions(_convention(convention), page, per_page)
    return _page(items, total, page, per_page)


@blp.route("/texts")
@blp.arguments(PaginationQuerySchema, location="query", as_kwargs=True)
@blp.response(HTTPStatus.OK, TextPageSchema)
@blp.alt_response(HTTPStatus.NOT_FOUND, response="NOT_FOUND")
def list_texts(page: int, per_page: int, convention: str | None = None):
    """Les textes de la convention et leurs versions."""
    items, total = queries.list_texts(_convention(convention), page, per_page)
    return _page(items, total, page, per_page)


@blp.route("/texts/<int:text_id>")
@blp.arguments(TextVersionQuerySchema, location="query", as_kwargs=True)
@blp.response(HTTPStatus.OK, TextDetailSchema)
@blp.alt_response(HTTPStatus.NOT_FOUND, response="NOT_FOUND")
def get_text(text_id: int, version: int | None = None):
    """Un texte : version courante (ou ``?version=N``), parties, chapitres, blocs numérotés."""
    text = queries.get_text(text_id) if text_id <= MAX_ID else None
    if text is None:
        abort(HTTPStatus.NOT_FOUND, description="Texte introuvable.")
    data = queries.text_version_data(text, version)
    if data is None:
        abort(HTTPStatus.NOT_FOUND, description="Version introuvable.")
    return data


def _text(text_id: int):
    text = queries.get_text(text_id) if text_id <= MAX_ID else None
    if text is None:
        abort(HTTPStatus.NOT_FOUND, description="Texte introuvable.")
    return text


def _version_of(text, number: int):
    version = next((v for v in text.versions if v.number == number), None)
    if version is None:
        count = len(text.versions)
        abort(
            HTTPStatus.NOT_FOUND,
            description=f"La version {number} n'existe pas : le texte a {count} version{'s' if count > 1 else ''}.",
        )
    return version


@blp.route("/texts/<int:text_id>/versions/<int:number>")
@blp.arguments(ConventionQuerySchema, location="query", as_kwargs=True)
@blp.response(HTTPStatus.OK, VersionDetailSchema)
@blp.alt_response(HTTPStatus.NOT_FOUND, response="NOT_FOUND")
def get_text_version(text_id: int, number: int, convention: str | None = None):
    """Une version d'un texte, qui reste lisible à cette adresse : statut, parties, chapitres, blocs numérotés.

    ``convention`` (facultatif) : le texte doit appartenir à cette convention.
    """
    text = _text(text_id)
    if convention is not None and _convention(convention).id != text.convention_id:
        abort(HTTPStatus.NOT_FOUND, description="Texte introuvable dans cette convention.")
    _version_of(text, number)
    return queries.version_detail_data(text, number)


@blp.route("/texts/<int:text_id>/diff")
@blp.arguments(DiffQuerySchema, location="query", as_kwargs=True)
@blp.response(HTTPStatus.OK, DiffSchema)
@blp.alt_response(HTTPStatus.NOT_FOUND, response="NOT_FOUND")
def get_text_diff(text_id: int, old: int, new: int, chapter: str | None = None):
    """La différence entre deux versions d'un texte, alinéa par alinéa (par ancre stable).

    Pour chaque alinéa : ``change`` (unchanged, modified, inserted, deleted), le texte avant et
    après, les passages changés mot à mot et les amendements qui l'ont changé entre les deux
    versions. ``from`` peut être plus récente que ``to`` (la différence est alors lue à rebours) ;
    une version comparée à elle-même n'a que des alinéas inchangés.
    """
    text = _text(text_id)
    old_version, new_version = _version_of(text, old), _version_of(text, new)
    data = queries.diff_data(text, old_version, new_version, chapter)
    if data is None:
        abort(HTTPStatus.NOT_FOUND, description=f"Le chapitre « {chapter} » n'est dans aucune des deux versions.")
    return data


@blp.route("/amendments")
@blp.arguments(AmendmentQuerySchema, location="query", as_kwargs=True)
@blp.response(HTTPStatus.OK, AmendmentPageSchema)
@blp.alt_response(HTTPStatus.NOT_FOUND, response="NOT_FOUND")
def list_amendments(page: int, per_page: int, convention: str | None = None, **filters: Any):
    """Les amendements de la convention, par texte puis par ligne puis par numéro.

    Les filtres se combinent ; un amendement d'une section compte aussi pour sa fédération.
    Les noms des cosignataires ne sont jamais publiés : seulement leur nombre.
    """
    items, total = queries.list_amendments(_convention(convention), page, per_page, **filters)
    return _page(items, total, page, per_page)


@blp.route("/amendments/<int:amendment_id>")
@blp.arguments(ConventionQuerySchema, location="query", as_kwargs=True)
@blp.response(HTTPStatus.OK, AmendmentSchema)
@blp.alt_response(HTTPStatus.NOT_FOUND, response="NOT_FOUND")
def get_amendment(amendment_id: int, convention: str | None = None):
    """Un amendement : citation, modification, exposé des motifs, examen (avec les dates)."""
    found = _convention(convention)
    amendment = queries.get_amendment(found, amendment_id) if amendment_id <= MAX_ID else None
    if amendment is None and amendment_id <= MAX_ID:
        from convention.amendments.models import Amendment
        from convention.conventions.models import Convention
        from convention.conventions.web import api_follow_to_own_convention

        row = db.session.get(Amendment, amendment_id)
        own = db.session.get(Convention, row.convention_id) if row is not None else None
        if own is not None and queries.get_amendment(own, amendment_id) is not None:  # shown there
            api_follow_to_own_convention(row)
    if amendment is None:
        abort(HTTPStatus.NOT_FOUND, description="Amendement introuvable.")
    return queries.amendment_data(amendment)


BLUEPRINTS: list = [blp, ics.blp]

from convention.api.search import blp as search_blp  # noqa: E402

BLUEPRINTS.append(search_blp)
