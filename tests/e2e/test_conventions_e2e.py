"""Several conventions in a real browser, on a phone (390 px) and a desktop (1280 px).

``/`` shows the featured convention and lists the others (in progress) and the archives; an
archive's pages (``/c/<slug>/``, its text, its calendar) carry the archive banner, and every link
on them stays in the archive (or goes to a page shared by all conventions, or back to ``/``).
Every page passes axe-core (WCAG 2.1 A/AA) and is no wider than the screen.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from convention.domain.phases import PhaseKind
from convention.extensions import db
from tests.amendment_fixtures import build_world
from tests.auth_fixtures import PASSWORD
from tests.conftest import empty_tables
from tests.convention_fixtures import add_convention, feature
from tests.e2e.a11y import a11y_page, check_page

pytestmark = pytest.mark.e2e

ARCHIVE = "logement"
RUNNING = "sante"
# Paths shared by every convention (accounts, members, administration, notifications, jobs, static files, API).
SHARED = ("/compte/", "/adherents/", "/administration/", "/notifications/", "/travaux/", "/static/", "/api/")


@pytest.fixture()
def conventions(app):
    """The featured convention (« securite », amendment phase), one in progress (« sante »), an archive."""
    with app.app_context():
        empty_tables()
        world = build_world(PhaseKind.AMENDMENTS)
        world.users["national_bureau"].email = "bn@example.org"
        feature(world.convention)
        add_convention(ARCHIVE, archived=True)
        add_convention(RUNNING, title="Convention nationale sur la santé", short_title="Santé", archived=False)
        db.session.commit()
    yield
    with app.app_context():
        empty_tables()


def _links(page) -> list[str]:
    """Every link and form target of the page, as (same-site) paths with their query."""
    hrefs = page.eval_on_selector_all(
        "a[href], form[action]", "els => els.map(e => e.href || e.action || e.getAttribute('action'))"
    )
    paths = []
    for href in hrefs:
        parts = urlsplit(href)
        if parts.scheme in ("http", "https") and parts.netloc and not parts.netloc.startswith("127.0.0.1"):
            continue  # another site
        paths.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return paths


@pytest.mark.parametrize("width", [390, 1280])
def test_home_lists_the_other_conventions_and_the_archives(conventions, live_url, browser, width):
    errors: list[str] = []
    context, page = a11y_page(browser, width, errors)
    try:
        page.goto(live_url + "/")
        assert "Sécurité et prévention" in page.locator(".navbar-brand").inner_text()
        assert page.locator(".convention-context").count() == 0  # the featured convention: no banner
        others = page.locator("section", has=page.locator("#titre-autres-conventions"))
        assert others.get_by_role("link", name="Santé").first.get_attribute("href").startswith(f"/c/{RUNNING}/")
        archives = page.locator("section", has=page.locator("#titre-archives"))
        archive_link = archives.locator(f'a[href^="/c/{ARCHIVE}/"]').first
        assert archive_link.is_visible()
        check_page(page, f"conventions-home-{width}")

        archive_link.click()
        page.wait_for_url(f"{live_url}/c/{ARCHIVE}/")
        assert "Logement" in page.locator(".navbar-brand").inner_text()
    finally:
        context.close()
    assert errors == [], "\n".join(errors)


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("path", ["", "texte/", "calendrier/"])
def test_an_archive_page_shows_its_banner_and_keeps_its_links_in_the_archive(
    conventions, live_url, browser, width, path
):
    errors: list[str] = []
    context, page = a11y_page(browser, width, errors)
    try:
        response = page.goto(f"{live_url}/c/{ARCHIVE}/{path}")
        assert response is not None and response.status == 200
        banner = page.locator(".convention-context")
        assert banner.is_visible()
        assert "Vous consultez la convention « Convention nationale sur le logement »" in banner.inner_text()
        assert "Archive :" in banner.inner_text() and "ses pages restent consultables" in banner.inner_text()
        assert banner.get_by_role("link", name="Revenir à la convention en cours").get_attribute("href") == "/"
        if path == "texte/":
            assert "Projet de texte — Logement" in page.locator("main").inner_text()
        if path == "calendrier/":
            assert "Audition — Logement" in page.locator("main").inner_text()

        links = _links(page)
        inside = [p for p in links if p.startswith(f"/c/{ARCHIVE}/")]
        strays = [p for p in links if p not in ("/", "/#contenu") and not p.startswith(SHARED)
                  and not p.startswith(f"/c/{ARCHIVE}/") and not p.startswith("?")]  # fmt: skip
        assert inside and not strays, strays
        assert links.count("/") == 1  # only the banner's way back to the convention in progress
        # The navigation's sections are the archive's.
        nav = page.locator("#navigation")
        assert nav.locator(f'a[href="/c/{ARCHIVE}/texte/"]').count() == 1
        assert nav.locator('a[href="/texte/"]').count() == 0
        check_page(page, f"conventions-archive-{path.strip('/') or 'home'}-{width}")
    finally:
        context.close()
    assert errors == [], "\n".join(errors)


@pytest.mark.parametrize("width", [390, 1280])
def test_the_bureau_chooses_the_convention_whose_phases_it_sets(conventions, live_url, browser, width):
    """The administration's « Phases » page: a selector of the published conventions, then its phases; its roles."""
    errors: list[str] = []
    context, page = a11y_page(browser, width, errors)
    try:
        page.goto(live_url + "/compte/connexion")
        page.get_by_label("Adresse électronique").fill("bn@example.org")
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url("**/compte/")

        page.goto(live_url + "/administration/")
        assert "Phases de la convention « Sécurité et prévention »" in page.locator("main").inner_text()
        check_page(page, f"conventions-admin-phases-{width}")
        page.get_by_label("Convention", exact=True).select_option(RUNNING)
        page.get_by_role("button", name="Afficher ses phases").click()
        page.wait_for_url(f"{live_url}/administration/?convention={RUNNING}")
        assert "Phases de la convention « Santé »" in page.locator("main").inner_text()
        check_page(page, f"conventions-admin-phases-other-{width}")

        page.get_by_role("link", name="Modifier les dates — Groupes de travail").click()
        page.wait_for_url("**/administration/phases/*")
        assert "Convention « Santé »" in page.locator("main").inner_text()
        check_page(page, f"conventions-admin-phase-edit-{width}")
        page.get_by_label("Date de début").fill("2026-02-01")
        page.get_by_role("button", name="Enregistrer les dates").click()
        page.wait_for_url(f"{live_url}/administration/?convention={RUNNING}")
        assert "1er février 2026" in page.locator("main").inner_text()

        page.goto(f"{live_url}/administration/roles?convention={RUNNING}")
        assert "ici « Santé »" in page.locator("main").inner_text()
        check_page(page, f"conventions-admin-roles-other-{width}")
    finally:
        context.close()
    assert errors == [], "\n".join(errors)
