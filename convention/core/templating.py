"""Jinja filters and context shared by every page."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Flask, g, has_request_context
from flask_babel import format_date, format_datetime, get_locale


def init_templating(app: Flask) -> None:
    @app.template_filter("date_fr")
    def date_fr(value: dt.date | dt.datetime | None, fmt: str = "long") -> str:
        if value is None:
            return ""
        text = format_date(value, fmt)
        # French writes the first day of a month as an ordinal: « 1er septembre 2023 ».
        if value.day == 1 and fmt in ("long", "full") and str(get_locale()) == "fr":
            text = text.replace("1 ", "1er ", 1)
        return text

    @app.template_filter("datetime_fr")
    def datetime_fr(value: dt.datetime | None) -> str:
        """« 22 novembre 2026 à 14:05 », in the site's time zone (Europe/Paris)."""
        if value is None:
            return ""
        if str(get_locale()) == "fr":
            return format_datetime(value, "d MMMM y 'à' HH:mm")
        return format_datetime(value, "medium")

    from convention.core.links import external_url

    app.jinja_env.globals["external_url"] = external_url

    @app.context_processor
    def inject_convention() -> dict:
        convention = current_convention()
        return {
            "convention": convention,
            "today": dt.date.today(),
            "convention_is_featured": convention is None or is_featured(convention),
        }


def featured_convention():
    """The convention ``/`` shows: the one the Bureau national features, else the first published."""
    from convention.conventions.queries import get_featured_convention

    # Kept for the request only: an application context outside a request (a worker, the CLI,
    # a test) outlives sessions and may see the Bureau national feature another convention.
    if not has_request_context():
        return get_featured_convention()
    cached = g.get("featured_convention")
    if cached is None or sa.inspect(cached).detached:
        # A test's request context may outlive the session that loaded it.
        from convention.conventions.featured import cached_featured_convention

        g.featured_convention = cached_featured_convention(get_featured_convention)
    return g.featured_convention


def current_convention():
    """The convention the page belongs to: the one its ``/c/<slug>/`` names, else the featured one.

    The slug is read from the URL (and checked: unknown or hidden is a 404) by
    ``convention.core.routing``, which leaves the convention in ``g.url_convention``.
    """
    if "convention" not in g:
        g.convention = g.get("url_convention") or featured_convention()
    return g.convention


def is_featured(convention) -> bool:
    """True if ``convention`` is the one ``/`` shows (its pages keep the short paths)."""
    featured = featured_convention()
    return convention is not None and featured is not None and convention.id == featured.id
