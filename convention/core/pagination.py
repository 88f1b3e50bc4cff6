"""One pagination helper for every HTML list: page numbers are bounded before any query.

A ``?page=`` of 10**30 used to reach the database as an OFFSET it cannot hold (a 500 on
PostgreSQL and SQLite alike); a negative or non-numeric one is read as the first page.
The API validates the same bound in its schemas (``MAX_PAGE``).
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_sqlalchemy.pagination import Pagination

from convention.core.db import db

MAX_PAGE = 1_000_000


def clamp_page(value: Any) -> int:
    """``value`` as a page number between 1 and ``MAX_PAGE`` (1 when it is not a number)."""
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return 1
    return min(max(number, 1), MAX_PAGE)


def page_arg(name: str = "page") -> int:
    """The bounded page number of the current request's query string."""
    return clamp_page(request.args.get(name, "").strip() or 1)


def paginate(select: Any, *, page: int, per_page: int, error_out: bool = False, **kwargs: Any) -> Pagination:
    """``db.paginate`` with the page number bounded (``error_out``: 404 past the last page)."""
    return db.paginate(select, page=clamp_page(page), per_page=per_page, error_out=error_out, **kwargs)
