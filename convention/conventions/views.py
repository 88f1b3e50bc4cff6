"""The home page, and what every page's layout needs (locale, language switch)."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user

from convention.conventions.queries import get_key_figures, list_conventions
from convention.conventions.web import LANGUAGES, lang_url, with_convention
from convention.core.templating import is_featured

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
    """A convention's home (``/`` the featured one's, ``/c/<slug>/`` another's).

    ``/`` also lists the other conventions: in progress first, then the archives; the Bureau
    national sees the drafts it is setting up too.
    """
    today = dt.date.today()
    others = _other_conventions(convention, today) if is_featured(convention) else None
    return render_template(
        "home/index.html",
        current_phase=convention.current_phase(today),
        figures=get_key_figures(convention),
        today=today,
        others=others,
    )


def _other_conventions(featured, today: dt.date) -> dict:
    bureau = current_user.is_authenticated and current_user.is_national_bureau
    others = [c for c in list_conventions(with_drafts=bureau) if c.id != featured.id]
    resume = "conventions_setup.resume" in current_app.view_functions  # the wizard, when there is one
    return {
        "in_progress": [c for c in others if c.is_published and not c.is_archived(today)],
        "archives": sorted(
            (c for c in others if c.is_published and c.is_archived(today)), key=lambda c: -c.id
        ),
        "drafts": [
            (c, url_for("conventions_setup.resume", convention_id=c.id) if resume else None)
            for c in others
            if not c.is_published
        ],
    }
