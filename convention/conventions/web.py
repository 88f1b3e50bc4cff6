"""Helpers shared by the public pages: the current convention, the language switch."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import abort, redirect, render_template, request, url_for

from convention.conventions.models import Convention
from convention.core.routing import may_see
from convention.core.templating import current_convention
from convention.extensions import db

LANGUAGES = ("fr", "en")


def with_convention(view: Callable[..., Any]) -> Callable[..., Any]:
    """Pass the current convention as the view's first argument; explain when none is seeded."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        convention = current_convention()
        if convention is None:
            return render_template("home/empty.html")
        return view(convention, *args, **kwargs)

    return wrapper


def ensure_in_convention(obj: Any, convention: Any) -> Any:
    """``obj`` if it belongs to ``convention``; never another convention's object under its pages.

    Every view that loads a row by id under a convention's pages goes through this, so that
    a convention's pages, permissions and forms never reach into another convention. An object
    of another convention the user may see is a redirect to the same page under that
    convention's address (301 for GET and HEAD, 308 otherwise: old links keep working); a missing
    object, or one of a draft the user may not see, is a 404.
    """
    convention_id = getattr(obj, "convention_id", None)
    if obj is None or convention_id is None:
        abort(404)
    if convention_id == convention.id:
        return obj
    target = db.session.get(Convention, convention_id)
    if target is None or not may_see(target) or request.endpoint is None:
        abort(404)
    path = url_for(request.endpoint, **(request.view_args or {}), convention_slug=target.slug)
    if request.query_string:
        path += "?" + request.query_string.decode("latin-1")
    abort(redirect(path, 301 if request.method in ("GET", "HEAD") else 308))


def api_follow_to_own_convention(obj: Any) -> None:
    """In the API, a short path (the featured convention's) naming another convention's row redirects.

    ``/api/v1/amendments/12`` keeps working once another convention is featured: a 308 to
    ``/api/v1/conventions/<slug>/amendments/12``. A request that names its convention (in the path
    or ``?convention=``) is answered within it, so this does nothing there; drafts stay hidden.
    """
    from flask import g

    convention_id = getattr(obj, "convention_id", None)
    if convention_id is None or g.get("url_convention") is not None or request.args.get("convention"):
        return
    target = db.session.get(Convention, convention_id)
    if target is None or not target.is_published or request.endpoint is None:
        return
    path = url_for(request.endpoint, **(request.view_args or {}), convention_slug=target.slug)
    if path == request.path:
        return
    if request.query_string:
        path += "?" + request.query_string.decode("latin-1")
    abort(redirect(path, 308))


def lang_url(code: str) -> str:
    """The current page's URL in language ``code`` (query string kept)."""
    args = request.args.to_dict()
    args["lang"] = code
    if request.endpoint and request.url_rule is not None:
        return url_for(request.endpoint, **(request.view_args or {}), **args)
    from urllib.parse import urlencode

    return f"{request.path}?{urlencode(args)}"


def query_args(**changes: Any) -> dict[str, str]:
    """The current query string as a dict, with ``changes`` applied (None removes a key)."""
    args = request.args.to_dict()
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = str(value)
    return args
