"""No server error on odd input: every GET route, absurd path and query values, each role (issue 9).

Every rule of the URL map is requested with very large integers, negative numbers, empty
strings, 10 kB strings, control characters and NUL in each path parameter and in every query
parameter the views read, as an anonymous visitor, a member and the Bureau national (who
sees every member list). No answer may be a 5xx. The whole sweep is bounded in time, and runs on both
engines (``TEST_DATABASE_URL``).
"""

from __future__ import annotations

import time
from urllib.parse import quote

import pytest
from werkzeug.routing import IntegerConverter

from convention.core.routing import MAX_ID
from seed.demo import DEMO_PASSWORD

BIG = "9" * 30
QUERY_VALUES = (BIG, "-1", "", "x" * 10_240, "a\x00b", "\x01\x1b\x7f", "\u202eé\ufeff", "2024-13")
# Path values: an int rule gets the numbers, a string rule the texts (one request each).
INT_PATH_VALUES = (10**30, -1, 0, MAX_ID, 2**63)
TEXT_PATH_VALUES = (BIG, "-1", " ", "x" * 10_240, "a\x00b", "\x01\x1b\x7f", "\u202eé\ufeff", "..%2f..")
# With absurd query values, the path parameters take a plausible value (ids start at 1).
PLAIN_INT, PLAIN_TEXT = 1, "x"
# Every query parameter a view reads (``request.args``) or the API documents.
QUERY_KEYS = (
    "page", "per_page", "q", "type", "groupe", "vue", "mois", "version", "convention", "next",
    "lang", "federation", "chapitre", "statut", "canal", "groupe_de_travail", "working_group",
    "status", "channel", "kind", "limit", "offset", "ligne_debut", "ligne_fin",
)  # fmt: skip
ROLES = ("anonymous", "militant", "bn")
SKIPPED_ENDPOINTS = {"static"}
TIME_BUDGET_SECONDS = 60


def _url(rule, int_value: int, text_value: str) -> str:
    """The rule's path with ``int_value`` or ``text_value`` in each parameter (percent-encoded)."""
    path = ""
    for is_dynamic, data in rule._trace:  # werkzeug's parsed rule: static parts and variables
        if not is_dynamic:
            path += data
        elif isinstance(rule._converters[data], IntegerConverter):
            path += str(int_value)
        else:
            path += quote(text_value, safe="")
    return path.split("|", 1)[1]  # the trace starts with the (empty) host part


def _targets(app):
    """(rule, path, query): absurd query values on a plain path, then absurd path values."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint in SKIPPED_ENDPOINTS:
            continue
        plain = _url(rule, PLAIN_INT, PLAIN_TEXT)
        for query_value in QUERY_VALUES:
            yield rule, plain, {key: query_value for key in QUERY_KEYS}
        if not rule.arguments:
            continue
        has_int = any(isinstance(rule._converters[name], IntegerConverter) for name in rule.arguments)
        for index, text_value in enumerate(TEXT_PATH_VALUES):
            int_value = INT_PATH_VALUES[index % len(INT_PATH_VALUES)] if has_int else PLAIN_INT
            yield rule, _url(rule, int_value, text_value), {}


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_no_route_answers_a_server_error(app, seeded, role):
    client = app.test_client()
    if role != "anonymous":
        response = client.post(
            "/compte/connexion", data={"email": f"demo.{role}@{_domain()}", "password": DEMO_PASSWORD}
        )
        assert response.status_code == 302, f"demo account {role} cannot log in"
    started = time.monotonic()
    failures = []
    count = 0
    for rule, path, query in _targets(app):
        count += 1
        try:  # in testing, an unhandled exception propagates instead of becoming a 500
            status = client.get(path, query_string=query).status_code
        except Exception as error:  # noqa: BLE001
            status = f"{type(error).__name__}: {str(error)[:120]}"
        if not isinstance(status, int) or status >= 500:
            failures.append((status, rule.rule, path[:60], repr(query.get("page", "")[:20])))
        assert time.monotonic() - started < TIME_BUDGET_SECONDS, f"too slow after {count} requests"
    assert not failures, "\n".join(map(str, failures[:30]))
    assert count > 300


def _domain() -> str:
    from seed.demo import EMAIL_DOMAIN

    return EMAIL_DOMAIN
