"""iCalendar (RFC 5545) feeds of the convention's events, built with ``icalendar``.

Stable UIDs (``event-<id>@<ICS_UID_DOMAIN>``), a URL back to the event page, DTSTAMP and
LAST-MODIFIED from the event's last change, all-day events as DATE values, timed events in
Europe/Paris with the matching VTIMEZONE (``add_missing_timezones``: without it Outlook refuses
the TZID, trap 12 of ECOSYSTEM.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

import icalendar
from flask import Response, current_app

from convention.calendar.models import PARIS, Event
from convention.core.links import external_url
from convention.domain.cleaning import multiline, one_line

PRODID = "-//Parti socialiste//Convention nationale//FR"
DEFAULT_UID_DOMAIN = "convention.parti-socialiste.fr"
CONTENT_TYPE = "text/calendar; charset=utf-8"


def event_uid(event: Event, domain: str) -> str:
    """The event's UID: the same in every feed and on every fetch."""
    return f"event-{event.id}@{domain}"


def _description(event: Event, page_url: str, show_online_url: bool) -> str:
    description = multiline(event.description)
    parts = [description] if description else []
    if event.working_groups:
        groups = ", ".join(f"{g.number}. {one_line(g.title)}" for g in event.working_groups)
        parts.append(f"Groupes de travail : {groups}")
    experts = event.experts
    if experts:
        names = "; ".join(
            one_line(p.display_name) + (f" ({one_line(p.organisation)})" if p.organisation else "")
            for p in experts
        )
        parts.append(f"Personnes auditionnées : {names}")
    if event.online_url:
        parts.append(
            f"Visioconférence : {one_line(event.online_url)}"
            if show_online_url
            else "Visioconférence : le lien est donné aux adhérent·es connecté·es, sur la page du rendez-vous."
        )
    parts.append(f"Page du rendez-vous : {page_url}")
    return "\n\n".join(parts)


def _location(event: Event, show_online_url: bool) -> str:
    place, online_url = one_line(event.place), one_line(event.online_url)
    if place and online_url:
        return f"{place} (et à distance)"
    if place:
        return place
    if online_url:
        return f"À distance : {online_url}" if show_online_url else "À distance"
    return one_line(event.federation.title if event.federation else event.federation_name)


def to_vevent(
    event: Event, *, page_url: str, uid_domain: str, show_online_url: bool = False
) -> icalendar.Event:
    """One event as a VEVENT; the video-call link only when ``show_online_url`` (a member's)."""
    vevent = icalendar.Event()
    vevent.add("uid", event_uid(event, uid_domain))
    modified = event.last_modified_dt.astimezone(dt.UTC)
    vevent.add("dtstamp", modified)
    vevent.add("created", event.created_dt.astimezone(dt.UTC))
    vevent.add("last-modified", modified)
    if event.is_all_day:
        first = event.local_start.date()
        last = event.local_end.date() if event.local_end is not None else first
        vevent.add("dtstart", first)
        # DTEND of an all-day event is exclusive: the day after the last day.
        vevent.add("dtend", max(last, first) + dt.timedelta(days=1))
    else:
        vevent.add("dtstart", event.starts_dt.astimezone(PARIS))
        if event.ends_dt is not None:
            vevent.add("dtend", event.ends_dt.astimezone(PARIS))
    # Every text is cleaned again here: rows written before titles were normalised, or by an
    # import, must not break the feed (icalendar refuses a raw line break in some properties).
    vevent.add("summary", f"{event.kind_label} — {one_line(event.title)}")
    vevent.add("description", _description(event, page_url, show_online_url))
    location = _location(event, show_online_url)
    if location:
        vevent.add("location", location)
    vevent.add("url", page_url)
    vevent.add("categories", [event.kind_label])
    vevent.add("status", "CONFIRMED")
    vevent.add("transp", "TRANSPARENT" if event.is_all_day else "OPAQUE")
    return vevent


def build_calendar(
    events: Iterable[Event],
    *,
    name: str,
    page_url: Callable[[Event], str],
    uid_domain: str,
    description: str = "",
    show_online_url: bool = False,
) -> icalendar.Calendar:
    """A VCALENDAR with one VEVENT per event and the VTIMEZONE its TZIDs need."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    # X- properties are written as given: escape them as TEXT values.
    cal.add("x-wr-calname", icalendar.vText(one_line(name)))
    cal.add("x-wr-timezone", "Europe/Paris")
    if description:
        cal.add("x-wr-caldesc", icalendar.vText(multiline(description)))
    for event in events:
        cal.add_component(
            to_vevent(event, page_url=page_url(event), uid_domain=uid_domain, show_online_url=show_online_url)
        )
    cal.add_missing_timezones()
    return cal


def uid_domain() -> str:
    return current_app.config.get("ICS_UID_DOMAIN") or DEFAULT_UID_DOMAIN


def event_page_url(event: Event) -> str:
    return external_url("calendar.event", event_id=event.id)


def ics_response(
    events: Iterable[Event],
    *,
    name: str,
    filename: str,
    description: str = "",
    private: bool = False,
    show_online_url: bool = False,
) -> Response:
    """The feed as an HTTP response (``text/calendar; charset=utf-8``).

    Video-call links are for registered members: public feeds (the default) leave them out,
    as the API does; a member's private feed or download shows them (``show_online_url``).
    """
    cal = build_calendar(
        events,
        name=name,
        page_url=event_page_url,
        uid_domain=uid_domain(),
        description=description,
        show_online_url=show_online_url,
    )
    response = Response(cal.to_ical(), status=200, content_type=CONTENT_TYPE)
    response.headers["Content-Disposition"] = f'inline; filename="{one_line(filename).replace(chr(34), "")}"'
    # A private feed must not be stored by shared caches; public ones may be briefly.
    response.headers["Cache-Control"] = "private, no-store" if private else "public, max-age=300"
    if private:
        response.headers["X-Robots-Tag"] = "noindex"
    return response
