"""URL converters."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map

# The largest id the databases store in an INTEGER column.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:…>`` as the database stores it: a larger number is a 404, not a database error."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def int_arg(name: str, *, minimum: int = 0, maximum: int = MAX_ID) -> int | None:
    """The query parameter ``name`` as an integer the database can hold, or None.

    ``request.args.get(name, type=int)`` accepts ``10**30``, which then reaches the database
    as a value its INTEGER columns cannot hold (a server error); out-of-range is "no value".
    """
    from flask import request

    try:
        value = int(request.args.get(name, "").strip())
    except ValueError:
        return None
    return value if minimum <= value <= maximum else None
