"""The Bureau national sets up a new convention in a real browser, on a desktop and on a phone.

From the conventions page: « Nouvelle convention », its title, its seven phases (a first try with
an end before its start is refused in French), the committee and a working group with its animators
(a member found by name, a non-member by name and quality), then the draft text: a DOCX, then the
same text as ODT, PDF and plain text (each a new preview replacing the last, read by the importer),
confirmed as version 1; the summary, « Publier la convention », and « Mettre en avant ». Every page
passes axe (WCAG 2.1 A/AA) and fits the screen.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from convention.conventions.models import Convention
from convention.domain.roles import Role
from convention.extensions import db
from tests.auth_fixtures import PASSWORD, make_convention, make_federation, make_member, make_section, make_user
from tests.conftest import empty_tables
from tests.e2e.a11y import a11y_page, check_page
from tests.unit.test_document_import import build_docx, build_odt, build_pdf
from tests.unit.test_document_import_plain import ARTICLE

pytestmark = pytest.mark.e2e

TITLE = "Convention nationale sur le travail et l'emploi"


@pytest.fixture()
def world(app):
    with app.app_context():
        empty_tables()
        section = make_section(make_federation())
        archive = make_convention("securite")
        archive.published_dt, archive.is_featured = dt.datetime(2025, 1, 1, tzinfo=dt.UTC), True
        make_user("bn@example.org", roles=[(Role.NATIONAL_BUREAU, None)])
        make_user(member=make_member(section, "Alice", "Martin"))
        db.session.commit()
    yield
    with app.app_context():
        empty_tables()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wizard")
    documents = {
        "projet.docx": build_docx(),
        "projet.odt": build_odt(),
        "projet.pdf": build_pdf(),
        "article.txt": ARTICLE.encode(),
    }
    paths = {}
    for name, data in documents.items():
        (folder / name).write_bytes(data)
        paths[name] = str(folder / name)
    return paths


PHASES = [
    ("Groupes de travail", "2027-01-10", "2027-03-31"),
    ("Contributions", "2027-01-15", "2027-03-31"),
    ("Amendements", "2027-04-01", "2027-04-30"),
    ("Bureau national", "2027-05-05", "2027-05-05"),
    ("Vote militant", "2027-05-20", "2027-05-22"),
    ("Journée de la convention", "2027-06-05", "2027-06-05"),
    ("Texte adopté", "2027-06-06", ""),
]


def fill_phases(page, phases) -> None:
    for label, start, end in phases:
        group = page.get_by_role("group", name=label, exact=False)
        group.get_by_label("Début").fill(start)
        if end:
            group.get_by_label("Fin").fill(end)


@pytest.mark.parametrize("width", [1280, 390])
def test_the_bureau_sets_up_and_publishes_a_convention(world, live_url, browser, files, app, width):
    from playwright.sync_api import expect

    context, page = a11y_page(browser, width)
    try:
        page.goto(live_url + "/compte/connexion")
        page.get_by_label("Adresse électronique").fill("bn@example.org")
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url("**/compte/")

        page.goto(live_url + "/administration/conventions/")
        expect(page.get_by_role("heading", name="Les conventions")).to_be_visible()
        check_page(page, f"wizard-conventions-{width}")
        page.get_by_role("link", name="Nouvelle convention").click()

        # a. title and description
        expect(page.get_by_role("heading", level=1)).to_have_text("Titre et description")
        check_page(page, f"wizard-a-{width}")
        page.get_by_label("Titre de la convention").fill(TITLE)
        page.get_by_label("Titre court").fill("Travail et emploi")
        page.get_by_label("Description").fill("Préparer le projet du parti sur le travail.")
        page.get_by_role("button", name="Enregistrer et continuer").click()

        # b. phases: refused in French, then saved
        expect(page.get_by_role("heading", level=1)).to_have_text("Phases et dates")
        expect(page.locator('[aria-current="step"]')).to_contain_text("Phases et dates")
        check_page(page, f"wizard-b-{width}")
        wrong = [(label, start, "2027-04-15" if label == "Bureau national" else end) for label, start, end in PHASES]
        fill_phases(page, wrong)
        page.get_by_role("button", name="Enregistrer et continuer").click()
        expect(page.locator(".errors-summary")).to_contain_text("« Bureau national » : la fin (15 avril 2027)")
        check_page(page, f"wizard-b-errors-{width}")
        fill_phases(page, PHASES)
        page.get_by_role("button", name="Enregistrer et continuer").click()

        # c. committee and groups
        expect(page.get_by_role("heading", level=1)).to_have_text("Comité de pilotage et groupes de travail")
        check_page(page, f"wizard-c-{width}")
        committee = page.locator("section").filter(has=page.get_by_role("heading", name="Comité de pilotage"))
        committee.get_by_label("Chercher un·e adhérent·e").fill("martin")
        committee.get_by_role("button", name="Chercher").click()
        page.get_by_role("button", name="Ajouter au comité : Alice Martin").click()
        expect(page.get_by_text("Alice Martin est au comité de pilotage.")).to_be_visible()
        page.get_by_label("Titre du groupe").fill("L'emploi des jeunes")
        page.get_by_role("button", name="Ajouter le groupe").click()
        expect(page.get_by_role("heading", name="Groupe n° 1 : L'emploi des jeunes")).to_be_visible()
        group = page.locator("article").filter(has=page.get_by_role("heading", name="Groupe n° 1"))
        group.get_by_text("Ajouter une personne qui n'est pas adhérente").click()
        group.get_by_label("Nom et prénom").fill("Paul Syndicaliste")
        group.get_by_label("Qualité").fill("Secrétaire d'une union locale")
        group.get_by_role("button", name="Ajouter cette personne").click()
        expect(page.get_by_text("Paul Syndicaliste anime le groupe n° 1.")).to_be_visible()
        check_page(page, f"wizard-c-filled-{width}")
        page.get_by_role("link", name="Continuer : le projet de texte").click()

        # d. the draft text: DOCX, then ODT, PDF and plain text, each previewed by the importer
        expect(page.get_by_role("heading", level=1)).to_have_text("Projet de texte")
        check_page(page, f"wizard-d-{width}")
        for name in ("projet.docx", "projet.odt", "projet.pdf"):
            page.get_by_label("Fichier du texte").set_input_files(files[name])
            page.get_by_role("button", name="Voir la structure du fichier").click()
            expect(page.get_by_role("heading", name=f"Aperçu : « {name} »", exact=False)).to_be_visible()
            expect(page.locator("#comptes-structure")).to_contain_text("2 parties")
            expect(page.locator("#comptes-structure")).to_contain_text("4 chapitres")
            expect(page.locator("#comptes-structure")).to_contain_text("5 propositions")
            expect(page.locator("#plan-texte")).to_contain_text("La vie des quartiers")
            check_page(page, f"wizard-d-{name.rsplit('.', 1)[1]}-{width}")
        page.get_by_label("Fichier du texte").set_input_files(files["article.txt"])
        page.get_by_role("button", name="Voir la structure du fichier").click()
        expect(page.get_by_role("heading", name="Aperçu : « article.txt »", exact=False)).to_be_visible()
        expect(page.locator("#plan-texte")).to_contain_text("Une police de proximité")
        expect(page.locator("#comptes-structure")).to_contain_text("2 propositions")
        check_page(page, f"wizard-d-txt-{width}")
        # Back to the Word document: that one becomes version 1.
        page.get_by_label("Fichier du texte").set_input_files(files["projet.docx"])
        page.get_by_role("button", name="Voir la structure du fichier").click()
        expect(page.get_by_role("heading", name="Aperçu : « projet.docx »", exact=False)).to_be_visible()
        page.get_by_role("button", name="Confirmer : ce fichier devient la version 1").click()

        # e. summary and publication
        expect(page.get_by_role("heading", level=1)).to_have_text("Résumé et publication")
        expect(page.get_by_text("« projet.docx » est enregistré comme version 1")).to_be_visible()
        expect(page.locator("#manquant")).to_have_count(0)
        check_page(page, f"wizard-e-{width}")
        page.get_by_role("button", name="Publier la convention").click()
        expect(page.locator(".errors-summary")).to_contain_text("Cochez la case")
        page.get_by_label("Je confirme").check()
        page.get_by_role("button", name="Publier la convention").click()
        expect(page.get_by_text("La convention « Travail et emploi » est publiée")).to_be_visible()

        # Featuring, confirmed.
        page.get_by_role("link", name="Mettre en avant — Travail et emploi").click()
        check_page(page, f"wizard-feature-{width}")
        page.get_by_role("button", name="Confirmer : mettre en avant").click()
        expect(page.get_by_text("« Travail et emploi » est désormais la convention mise en avant")).to_be_visible()
        check_page(page, f"wizard-conventions-after-{width}")
    finally:
        context.close()
    with app.app_context():
        featured = db.session.scalars(sa.select(Convention.short_title).where(Convention.is_featured.is_(True))).all()
        assert featured == ["Travail et emploi"]
