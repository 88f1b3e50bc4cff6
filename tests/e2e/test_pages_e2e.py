"""The public pages on a phone (375 px): the menu collapses and opens, nothing overflows."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import screenshot
from tests.functional.pages_dataset import pages_site as site  # noqa: F401 (fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("site")]

PHONE = {"width": 375, "height": 812}


@pytest.fixture()
def phone(browser, console_errors):
    context = browser.new_context(viewport=PHONE, locale="fr-FR", timezone_id="Europe/Paris")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()


def test_the_phone_menu_opens_and_leads_to_a_section(live_url, phone, console_errors):
    phone.goto(live_url + "/")
    toggler = phone.get_by_role("button", name="Menu")
    menu_link = phone.locator("#navigation").get_by_role("link", name="Calendrier")
    assert toggler.is_visible()
    assert not menu_link.is_visible()
    assert toggler.get_attribute("aria-expanded") == "false"
    screenshot(phone, "pages-phone-home")

    toggler.click()
    menu_link.wait_for(state="visible")
    assert toggler.get_attribute("aria-expanded") == "true"
    screenshot(phone, "pages-phone-menu-open")

    menu_link.click()
    phone.wait_for_url(live_url + "/calendrier/")
    assert phone.locator("h1").inner_text() == "Calendrier"
    current = phone.locator('#navigation a[aria-current="page"]')
    assert current.inner_text() == "Calendrier"
    assert console_errors == [], "\n".join(console_errors)


@pytest.mark.parametrize(
    "path",
    ["/", "/groupes/", "/calendrier/", "/calendrier/?vue=grille&mois=2024-12", "/contributions/",
     "/texte/", "/texte/glossaire"],
)  # fmt: skip
def test_no_page_is_wider_than_a_phone(live_url, phone, console_errors, path):
    phone.goto(live_url + path)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{path} is {width}px wide"
    assert console_errors == [], "\n".join(console_errors)


def test_a_chapter_reads_on_a_phone(live_url, phone, console_errors):
    phone.goto(live_url + "/texte/")
    phone.locator(".toc-chapters a").first.click()
    phone.wait_for_selector(".text-block")
    phone.wait_for_load_state("load")  # measure once the stylesheets apply (slow under CI load)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert phone.locator(".text-block .ln").first.is_visible()
    screenshot(phone, "pages-phone-chapter")
    assert console_errors == [], "\n".join(console_errors)
