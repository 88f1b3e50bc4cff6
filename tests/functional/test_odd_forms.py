"""No server error on odd form input: every HTML form posted with hypothesis' values (issue 9).

Each POST route is sent the fields its page declares (or the usual ones for a button-only
route) filled with text, huge and negative numbers, empty and 10 kB strings, control and
bidirectional characters, as an anonymous visitor, a member and the Bureau national. The run is bounded
(examples and seconds) and uses the seeded convention on either engine.
"""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seed.demo import DEMO_PASSWORD, EMAIL_DOMAIN
from tests.functional.test_odd_input import PLAIN_INT, PLAIN_TEXT, _url

# Routes that end the session or start a long export: fuzzing them says nothing more.
SKIPPED = {"auth.logout", "auth.logout_everywhere", "texts.export_pdf"}
BUTTON_FIELDS = ("confirm", "action", "comment", "reason", "option", "status", "submit")
VALUES = st.one_of(
    st.text(max_size=60),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["", "-1", "0", "9" * 40, "x" * 10_240, "a\x00b", "\x01\x1b\x7f", "\u202eé\ufeff", "2024-02-30",
                     "javascript:alert(1)", "=1+1", "<script>", "../../etc/passwd"]),
)  # fmt: skip
ROLES = ("anonymous", "militant", "bn")
EXAMPLES_PER_FORM = 8
TIME_BUDGET_SECONDS = 60
_FIELD = re.compile(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"')


def _post_targets(app, client) -> list[tuple[str, str, tuple[str, ...]]]:
    """(endpoint, path, field names) for every POST route."""
    targets = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "POST" not in rule.methods or rule.endpoint in SKIPPED:
            continue
        path = _url(rule, PLAIN_INT, PLAIN_TEXT)
        fields: tuple[str, ...] = BUTTON_FIELDS
        if "GET" in rule.methods:
            page = client.get(path)
            found = tuple(dict.fromkeys(n for n in _FIELD.findall(page.get_data(as_text=True)) if n != "csrf_token"))
            fields = found or BUTTON_FIELDS
        targets.append((rule.endpoint, path, fields))
    return targets


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_no_form_answers_a_server_error(app, seeded, role):
    client = app.test_client()
    if role != "anonymous":
        credentials = {"email": f"demo.{role}@{EMAIL_DOMAIN}", "password": DEMO_PASSWORD}
        assert client.post("/compte/connexion", data=credentials).status_code == 302
    targets = _post_targets(app, client)
    assert len(targets) > 30
    started = time.monotonic()
    failures: list[tuple] = []

    def fuzz(endpoint: str, path: str, fields: tuple[str, ...]) -> None:
        @settings(
            max_examples=EXAMPLES_PER_FORM,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(form=st.fixed_dictionaries({name: VALUES for name in fields}))
        def post(form):
            try:  # in testing, an unhandled exception propagates instead of becoming a 500
                status = client.post(path, data=form).status_code
            except Exception as error:  # noqa: BLE001
                status = f"{type(error).__name__}: {str(error)[:200]}"
            if not isinstance(status, int) or status >= 500:
                failures.append((status, endpoint, {k: v[:30] for k, v in form.items()}))

        post()

    for endpoint, path, fields in targets:
        fuzz(endpoint, path, fields)
        assert time.monotonic() - started < TIME_BUDGET_SECONDS, f"too slow (at {endpoint})"
    assert not failures, "\n".join(map(str, failures[:20]))
