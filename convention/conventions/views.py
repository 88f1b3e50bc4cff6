"""The home page, and what every page's layout needs (locale, language switch)."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, render_template, request
from flask_babel import get_locale

from convention.conventions.queries import get_key_figures
from convention.conventions.web import LANGUAGES, lang_url, with_convention

bp = Blueprint("conventions", __name__)

LANG_COOKIE_MAX_AGE = 365 * 24 * 3600


@bp.app_context_processor
def inject_layout() -> dict:
    return {"get_locale": get_locale, "lang_url": lang_url, "languages": LANGUAGES}


@bp.after_app_request
def remember_language(response):
    """``?lang=en`` sticks: the choice is kept in a cookie read by the locale selector."""
    lang = request.args.get("lang")
    if lang in LANGUAGES and request.cookies.get("lang") != lang:
        response.set_cookie(
            "lang", lang, max_age=LANG_COOKIE_MAX_AGE, samesite="Lax", httponly=True
        )
    return response


@bp.get("/")
@with_convention
def home(convention):
    today = dt.date.today()
    return render_template(
        "home/index.html",
        current_phase=convention.current_phase(today),
        figures=get_key_figures(convention),
        today=today,
    )
