"""A Word document published as a new version, in a real browser, on a desktop and on a phone.

The Bureau national opens « Publier une nouvelle version depuis un fichier », sends a DOCX
(with a table and an image, so that the preview has warnings), reads the structure found and
the points to check, then publishes; both pages pass axe (WCAG 2.1 A/AA) and fit 390 px.
"""

from __future__ import annotations

import pytest

from convention.domain.phases import PhaseKind
from tests.amendment_fixtures import build_world
from tests.auth_fixtures import PASSWORD
from tests.conftest import empty_tables
from tests.e2e.a11y import a11y_page, assert_no_horizontal_overflow, check_accessible
from tests.e2e.conftest import screenshot
from tests.unit.test_document_import import build_docx, docx_extras

pytestmark = pytest.mark.e2e


@pytest.fixture()
def world(app):
    with app.app_context():
        empty_tables()
        build_world(PhaseKind.AMENDMENTS)
    yield
    with app.app_context():
        empty_tables()


@pytest.mark.parametrize("width", [1280, 390])
def test_the_bureau_publishes_a_word_document(world, live_url, browser, tmp_path, width):
    from playwright.sync_api import expect

    path = tmp_path / "projet-de-texte.docx"
    path.write_bytes(build_docx(extra=docx_extras))
    context, page = a11y_page(browser, width)
    try:
        page.goto(live_url + "/compte/connexion")
        page.get_by_label("Adresse électronique").fill("national_bureau@exemple.fr")
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url("**/compte/")

        page.goto(live_url + "/texte/versions/")
        page.get_by_role("link", name="Publier une nouvelle version depuis un fichier").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Publier une nouvelle version depuis un fichier")
        check_accessible(page, "upload")
        assert_no_horizontal_overflow(page, "upload")

        page.get_by_label("Fichier du texte").set_input_files(str(path))
        page.get_by_role("button", name="Voir ce que le fichier change").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Aperçu de la nouvelle version")
        expect(page.locator("#avertissements-import")).to_contain_text("image(s) ignorée(s)")
        expect(page.get_by_text("Titre du document")).to_be_visible()
        check_accessible(page, "preview")
        assert_no_horizontal_overflow(page, "preview")
        screenshot(page, f"versions-upload-preview-{width}")

        page.get_by_role("button", name="Publier la nouvelle version").click()
        expect(page.get_by_text("La version 2 du texte est publiée")).to_be_visible()
        expect(page.get_by_role("link", name="Version 2", exact=True)).to_be_visible()
    finally:
        context.close()
