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
