"""The browser harness itself: it serves the app and it sees what a CSP blocks."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_live_server_serves_the_empty_platform(database, live_url, page, console_errors):
    response = page.goto(live_url + "/")

    assert response is not None and response.status == 200
    assert page.title() == "Aucune convention · Convention"
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    page.wait_for_load_state("networkidle")
    assert console_errors == [], "\n".join(console_errors)


def test_a_csp_violation_is_reported_as_a_console_error(database, live_url, page, console_errors):
    page.goto(live_url + "/")
    page.evaluate(
        """() => {
            const script = document.createElement('script');
            script.textContent = 'window.inlineRan = true;';
            document.body.appendChild(script);
        }"""
    )
    page.wait_for_timeout(200)

    assert page.evaluate("() => window.inlineRan === true") is False
    assert any("Content Security Policy" in error for error in console_errors), console_errors
