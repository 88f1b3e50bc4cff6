"""Jinja filters and context shared by every page."""

from __future__ import annotations

import datetime as dt

from flask import Flask, g
from flask_babel import format_date, format_datetime, get_locale

from convention.extensions import db


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
        return {"convention": current_convention(), "today": dt.date.today()}


def current_convention():
    """The convention the site is showing (the first one; one convention runs at a time)."""
    if "convention" not in g:
        from convention.conventions.models import Convention

        g.convention = db.session.scalars(
            db.select(Convention).order_by(Convention.id).limit(1)
        ).first()
    return g.convention
