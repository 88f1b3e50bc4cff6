"""A job's page in a real browser: queued when it opens, its bar moves while it runs, then « Terminé ».

The job (a PDF export of the seeded text) is written queued, without its task; the test runs
it itself with ``runner.run`` in a thread, holding it at its first progress report until the
page has shown it, so that the moving bar is seen for certain.
"""

from __future__ import annotations

import re
import threading

import pytest
import sqlalchemy as sa

from convention.extensions import db
from convention.jobs import runner
from convention.jobs.models import Job, JobKind
from convention.members.models import User
from convention.texts.models import Text
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e

EMAIL, PASSWORD = "demo.militant@exemple.fr", "demo-convention-2025"
PHONE = {"width": 390, "height": 844}


@pytest.fixture()
def queued_export(seeded, app):
    """A queued export of the current text version, started by the demo member (its task never sent)."""
    with app.app_context():
        member = db.session.scalars(sa.select(User).where(User.email == EMAIL)).one()
        version = db.session.scalars(sa.select(Text).order_by(Text.id)).first().current_version
        job = Job(
            kind=JobKind.TEXT_PDF,
            params={"version_id": version.id, "text_id": version.text_id, "version_number": version.number},
            created_by_id=member.id,
        )
        db.session.add(job)
        db.session.commit()
        job_id = job.id
        db.session.remove()
    yield job_id
    with app.app_context():
        db.session.execute(sa.delete(Job).where(Job.id == job_id))
        db.session.commit()
        db.session.remove()


class Gate:
    """Holds the job at its first report past ``at`` % until the test lets it go."""

    def __init__(self, at: int = 10) -> None:
        self.at = at
        self.reached = threading.Event()
        self.release = threading.Event()

    def progress_class(self):
        gate = self

        class GatedProgress(runner.Progress):
            def __call__(self, percent, step=None):
                super().__call__(percent, step)  # commits: the page can see it
                if gate.at <= self.percent < 100 and not gate.reached.is_set():
                    gate.reached.set()
                    gate.release.wait(timeout=60)

        return GatedProgress


def run_job(app, job_id: int, outcome: list[str]) -> None:
    with app.app_context():
        try:
            outcome.append(runner.run(job_id))
        finally:
            db.session.remove()


def test_the_job_page_follows_a_queued_job_to_its_result(app, live_url, browser, queued_export, monkeypatch):
    from playwright.sync_api import expect

    errors: list[str] = []
    context, page = _phone_page(browser, errors)
    gate = Gate()
    monkeypatch.setattr(runner, "Progress", gate.progress_class())
    outcome: list[str] = []
    worker = threading.Thread(target=run_job, args=(app, queued_export, outcome), daemon=True)
    try:
        _log_in(page, live_url, EMAIL)

        # Queued: nothing has run yet.
        page.goto(f"{live_url}/travaux/{queued_export}")
        expect(page.get_by_role("heading", level=1)).to_have_text("Export du texte en PDF")
        state = page.locator(".job-state-label")
        bar = page.get_by_role("progressbar")
        expect(state).to_have_text("En attente")
        expect(bar).to_have_attribute("aria-valuenow", "0")

        # Running, held at its first report: the polling page moves the bar there.
        worker.start()
        assert gate.reached.wait(timeout=60), "the job never reported progress"
        expect(state).to_have_text("En cours")
        expect(page.locator(".job-step")).not_to_have_text("")
        held = int(bar.get_attribute("aria-valuenow"))
        assert gate.at <= held < 100
        expect(page.locator(".job-percent")).to_contain_text("%")
        fill = page.locator(".job-progress .progress-bar").bounding_box()
        track = page.locator(".job-progress").bounding_box()
        assert fill and track and 0 < fill["width"] < track["width"]
        screenshot(page, "job-running-390")

        # Let it finish: the page reloads itself and shows the result.
        gate.release.set()
        expect(state).to_have_text("Terminé", timeout=90_000)
        worker.join(timeout=30)
        assert outcome == ["succeeded"]
        expect(bar).to_have_attribute("aria-valuenow", "100")
        result = page.get_by_role("status").filter(has_text="version")
        expect(result).to_contain_text("pages")
        expect(result).to_contain_text("Le fichier PDF est prêt")
        download = page.get_by_role("link", name=re.compile(r"^Télécharger .*-version-\d+\.pdf$"))
        expect(download).to_be_visible()
        expect(page.get_by_role("link", name="Revenir au texte")).to_be_visible()
        assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        screenshot(page, "job-finished-390")

        with page.expect_download() as info:
            download.click()
        assert info.value.suggested_filename.endswith(".pdf")

        page.set_viewport_size({"width": 1280, "height": 800})
        screenshot(page, "job-finished-1280")
        assert errors == [], "\n".join(errors)
    finally:
        gate.release.set()
        if worker.is_alive():
            worker.join(timeout=60)
        context.close()


def _phone_page(browser, errors: list[str]):
    context = browser.new_context(viewport=PHONE, locale="fr-FR", timezone_id="Europe/Paris")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page


def _log_in(page, live_url: str, email: str) -> None:
    page.goto(live_url + "/compte/connexion")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/compte/")


BAD_FILE = "\n".join(
    [
        "numero_adherent;prenom;nom;email;section;federation;cotisation_jusqu_au",
        "E2E001;Ana;Martin;ana.e2e@exemple.fr;Grenoble;38;2026-12-31",
        "E2E002;Bruno;;pas-une-adresse;Grenoble;38;",
        "E2E003;Chloé;Roux;chloe.e2e@exemple.fr;Grenoble;38;le 3 mars",
    ]
).encode()


def test_a_member_file_with_bad_lines_ends_in_failure_listing_each_line(seeded, app, live_url, browser):
    from playwright.sync_api import expect

    errors: list[str] = []
    context, page = _phone_page(browser, errors)
    try:
        _log_in(page, live_url, "demo.bn@exemple.fr")
        page.goto(live_url + "/administration/")
        page.get_by_role("link", name="Importer le fichier des adhérents").click()
        expect(page.get_by_role("heading", name="Importer le fichier des adhérents")).to_be_visible()
        assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        screenshot(page, "member-file-390")

        page.get_by_label("Fichier des adhérents (CSV)").set_input_files(
            files=[{"name": "adherents.csv", "mimeType": "text/csv", "buffer": BAD_FILE}]
        )
        page.get_by_label("Je confirme l'import").check()
        page.get_by_role("button", name="Importer le fichier").click()
        page.wait_for_url("**/travaux/*")  # run inline after the commit: already finished

        expect(page.locator(".job-state-label")).to_have_text("Échec")
        alert = page.get_by_role("alert").filter(has_text="aucun adhérent n'a été importé")
        expect(alert).to_contain_text("adherents.csv : 3 problème(s)")
        items = alert.get_by_role("listitem")
        expect(items).to_have_count(3)
        expect(items.nth(0)).to_have_text("ligne 3 : nom manquant(e).")
        expect(items.nth(1)).to_have_text("ligne 3 : adresse électronique invalide « pas-une-adresse ».")
        expect(items.nth(2)).to_contain_text("ligne 4 : date de cotisation invalide « le 3 mars »")
        assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        screenshot(page, "job-failed-390")
        assert errors == [], "\n".join(errors)
    finally:
        context.close()
        with app.app_context():
            db.session.execute(sa.delete(Job).where(Job.kind == JobKind.MEMBER_IMPORT))
            db.session.commit()
            db.session.remove()


def test_the_text_page_offers_the_pdf_to_members_and_login_to_visitors(seeded, live_url, browser):
    from playwright.sync_api import expect

    errors: list[str] = []
    context, page = _phone_page(browser, errors)
    try:
        page.goto(live_url + "/texte/")
        expect(page.get_by_role("link", name="Connectez-vous pour télécharger le PDF")).to_be_visible()
        _log_in(page, live_url, EMAIL)
        page.goto(live_url + "/texte/")
        button = page.get_by_role("button", name="Télécharger le texte en PDF")
        expect(button).to_be_visible()
        box = button.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        screenshot(page, "text-pdf-button-390")
        page.set_viewport_size({"width": 1280, "height": 800})
        screenshot(page, "text-pdf-button-1280")
        assert errors == [], "\n".join(errors)
    finally:
        context.close()
