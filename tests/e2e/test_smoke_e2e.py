"""Smoke test in a real browser: the home page of the seeded convention renders cleanly."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e


def test_home_page_renders_in_french_without_console_errors(seeded, live_url, page, console_errors):
    response = page.goto(live_url + "/")

    assert response is not None and response.status == 200
    assert page.title() == "Accueil · Convention"
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("main").is_visible()
    # A blocked inline script or style (CSP), a missing asset (404) or a JS exception
    # shows up as a console error.
    page.wait_for_load_state("networkidle")
    path = screenshot(page, "home")
    assert path.stat().st_size > 1000
    assert console_errors == [], "\n".join(console_errors)
