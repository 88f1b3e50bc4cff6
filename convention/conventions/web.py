"""Helpers shared by the public pages: the current convention, the language switch."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import render_template, request, url_for

from convention.core.templating import current_convention

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
