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


# --- Several conventions: /c/<slug>/… -------------------------------------------------------------
#
# Every page of a convention lives under ``/c/<convention_slug>``; the featured convention's pages
# also keep their short paths (``/texte/``), which are what ``url_for`` builds for it. Each rule of
# the blueprints below gets a copy under the prefix, with the SAME endpoint and view: werkzeug
# builds with the rule that uses the most arguments it is given, so ``url_for`` picks the slugged
# rule when ``convention_slug`` is among the values (added by ``add_convention_slug`` on a page of
# another convention), and ``request.endpoint`` / ``request.blueprint`` stay what they were.

# The blueprints whose pages belong to one convention (auth, members, admin, notifications, jobs
# and static are shared by all conventions).
SCOPED_BLUEPRINTS = frozenset(
    {
        "conventions",
        "texts",
        "versions",
        "contributions",
        "amendments",
        "amendment_imports",
        "groups",
        "calendar",
        "provenance",
        "votes",
        "outputs",
        "search",
    }
)
# The API's blueprints whose data belong to one convention (kept at /api/v1/… for the featured one).
SCOPED_API_BLUEPRINTS = frozenset({"public_api", "polls_api", "calendar_feeds", "search_api"})
SLUG_ARG = "convention_slug"
PAGE_PREFIX = f"/c/<{SLUG_ARG}>"
API_PREFIX = "/api/v1"
API_CONVENTION_PREFIX = f"{API_PREFIX}/conventions/<{SLUG_ARG}>"


def is_scoped_endpoint(endpoint: str | None) -> bool:
    """True for an endpoint of a convention's pages or of its API."""
    if not endpoint or "." not in endpoint:
        return False
    blueprint = endpoint.rsplit(".", 1)[0]
    return blueprint in SCOPED_BLUEPRINTS or blueprint in SCOPED_API_BLUEPRINTS


def _slugged_rule(rule: Any) -> Any:
    from werkzeug.routing import Rule

    blueprint = rule.endpoint.rsplit(".", 1)[0]
    if blueprint in SCOPED_BLUEPRINTS:
        path = PAGE_PREFIX + rule.rule
    elif blueprint in SCOPED_API_BLUEPRINTS and rule.rule.startswith(API_PREFIX + "/"):
        path = API_CONVENTION_PREFIX + rule.rule[len(API_PREFIX) :]
    else:
        return None
    return Rule(path, **rule.get_empty_kwargs())


def install_convention_routes(app: Any) -> None:
    """Copy every scoped rule under its convention prefix, and read/write the slug of URLs."""
    for rule in list(app.url_map.iter_rules()):
        if SLUG_ARG in rule.arguments or not is_scoped_endpoint(rule.endpoint):
            continue
        slugged = _slugged_rule(rule)
        if slugged is not None:
            app.url_map.add(slugged)
    app.url_value_preprocessor(read_convention_slug)
    app.url_defaults(add_convention_slug)


def read_convention_slug(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Take ``convention_slug`` out of the view's arguments and find its convention (or 404).

    A draft (not published yet) is a 404 except for the Bureau national, who sets it up (and
    always in the API: drafts never appear there).
    """
    from flask import abort, g

    if not values or SLUG_ARG not in values:
        return
    slug = values.pop(SLUG_ARG)
    from convention.conventions.queries import get_convention_by_slug

    convention = get_convention_by_slug(slug)
    api = endpoint is not None and endpoint.rsplit(".", 1)[0] in SCOPED_API_BLUEPRINTS
    if convention is None or not (convention.is_published if api else may_see(convention)):
        abort(404, description="Convention introuvable.")
    g.url_convention = convention


def may_see(convention: Any) -> bool:
    """A published convention is public; a draft is for the Bureau national only."""
    if convention.is_published:
        return True
    from flask_login import current_user

    return bool(current_user and current_user.is_authenticated and current_user.is_national_bureau)


def add_convention_slug(endpoint: str, values: dict[str, Any]) -> None:
    """``url_for`` on a page of a convention that is not the featured one stays in that convention.

    An explicit ``convention_slug`` wins; the featured convention's slug is dropped (its pages
    keep their short paths).
    """
    if not is_scoped_endpoint(endpoint):
        return
    from flask import g

    from convention.core.templating import featured_convention

    if SLUG_ARG in values:
        if values[SLUG_ARG] is None:
            values.pop(SLUG_ARG)
            return
        featured = featured_convention()
        if featured is not None and values[SLUG_ARG] == featured.slug:
            values.pop(SLUG_ARG)
        return
    # Without a slug in the URL the page is the featured convention's: short paths, no query.
    convention = g.get("url_convention")
    if convention is None:
        return
    featured = featured_convention()
    if featured is None or convention.id != featured.id:
        values[SLUG_ARG] = convention.slug
