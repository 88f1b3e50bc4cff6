"""Site paths and French dates for notifications written outside a request (beat, CLI)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from babel.dates import format_date
from flask import current_app, has_request_context, url_for


def path_for(endpoint: str, **values: Any) -> str:
    """The site path of ``endpoint`` (``/calendrier/12``), from a request or not."""
    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context():
        return url_for(endpoint, **values)


def french_date(day: dt.date) -> str:
    """« 1er mai 2026 », « 12 juin 2026 »: notifications are written in French."""
    text = format_date(day, "d MMMM y", locale="fr")
    return text.replace("1 ", "1er ", 1) if day.day == 1 else text
