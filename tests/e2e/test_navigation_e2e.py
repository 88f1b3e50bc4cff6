"""A Bureau national member's header on a 1280 px screen: every link visible, nothing overflows."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e


def test_wide_header_of_a_bureau_national_member_fits(seeded, live_url, browser, console_errors):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
    try:
        page.goto(live_url + "/compte/connexion")
        page.get_by_label("Adresse électronique").fill("demo.bn@exemple.fr")
        page.get_by_label("Mot de passe").fill("demo-convention-2025")
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url("**/compte/")
        page.goto(live_url + "/groupes/")
        nav = page.locator("#navigation")
        for name in ("Administration", "Représentation", "Examen des amendements", "À examiner", "Notifications",
                     "Amendements", "Rechercher"):
            link = nav.get_by_role("link", name=name, exact=True)
            assert link.is_visible(), name
            box = link.bounding_box()
            assert box and box["x"] + box["width"] <= 1280, name
        assert nav.get_by_role("button", name="Se déconnecter").is_visible()
        assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        screenshot(page, "navigation-bn-1280")
        assert console_errors == []
    finally:
        context.close()
