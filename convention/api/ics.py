"""Public iCalendar feeds of the calendar, under /api/v1 (documented in the OpenAPI file).

- ``/api/v1/events.ics``: every event of the convention;
- ``/api/v1/working-groups/<id>/events.ics``: the events of one working group.

The member's private feed and the single-event file are pages of the calendar blueprint
(``/calendrier/flux/<token>.ics``, ``/calendrier/<id>.ics``).
"""

from __future__ import annotations

from http import HTTPStatus

from flask import abort
from flask_smorest import Blueprint

from convention.api import queries as api_queries
from convention.api.schemas import MAX_ID, ConventionQuerySchema
from convention.calendar import queries
from convention.calendar.ics import ics_response

blp = Blueprint(
    "calendar_feeds",
    __name__,
    description="Flux iCalendar (RFC 5545) du calendrier, à ajouter à un agenda "
    "(Thunderbird, Outlook, Google Agenda, Calendrier d'Apple).",
)

ICS_RESPONSE = {
    "description": "Flux iCalendar (text/calendar, UTF-8).",
    "content": {"text/calendar": {"schema": {"type": "string"}}},
}


@blp.route("/events.ics")
@blp.arguments(ConventionQuerySchema, location="query", as_kwargs=True)
@blp.doc(responses={"200": ICS_RESPONSE})
@blp.alt_response(HTTPStatus.NOT_FOUND, response="NOT_FOUND")
def convention_feed(convention: str | None = None):
    """Tous les rendez-vous de la convention, au format iCalendar."""
    found = api_queries.get_convention(convention)
    if found is None:
        abort(HTTPStatus.NOT_FOUND, description="Convention introuvable.")
    return ics_response(
        queries.list_events(found.id),
        name=found.short_title or found.title,
        filename=f"{found.slug}.ics",
        description=f"Auditions, réunions et débats : {found.title}",
    )


@blp.route("/working-groups/<int:group_id>/events.ics")
@blp.arguments(ConventionQuerySchema, location="query", as_kwargs=True)
@blp.doc(responses={"200": ICS_RESPONSE})
@blp.alt_response(HTTPStatus.NOT_FOUND, response="NOT_FOUND")
def working_group_feed(group_id: int, convention: str | None = None):
    """Les rendez-vous d'un groupe de travail (par son identifiant), au format iCalendar."""
    group = queries.get_working_group(group_id) if group_id <= MAX_ID else None
    if (
        group is None
        or (convention and group.convention.slug != convention)
        or not api_queries.shows_convention(group.convention_id)
    ):
        abort(HTTPStatus.NOT_FOUND, description="Groupe de travail introuvable.")
    return ics_response(
        queries.list_events(group.convention_id, working_group_id=group.id),
        name=f"Groupe {group.number} — {group.title}",
        filename=f"groupe-{group.number}.ics",
        description=f"Les rendez-vous du groupe de travail {group.number} : {group.title}",
    )
