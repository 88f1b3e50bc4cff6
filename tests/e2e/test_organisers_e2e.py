"""The demo pilot organises an event in a real browser, at 1280 px and on a phone (390 px): from the
calendar to « Mes rendez-vous à organiser », the list of registrants (seats and waiting list), and a
message to them, read again before it is sent.

Every page passes axe-core (WCAG 2.1 A/AA), is no wider than the screen and is photographed
(``test-artifacts/organisers-*.png``). The seeded convention's events are all past: the fixture
schedules a coming event of working group 1 (``demo.pilote`` animates it) with three seats and
registers five demo members, so that two wait.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from convention.extensions import db
from seed.demo import DEMO_PASSWORD
from tests.e2e.a11y import a11y_page, axe_path, check_page

pytestmark = pytest.mark.e2e

PILOT = "demo.pilote@exemple.fr"
TITLE = "Audition de la Défenseure des droits (démonstration)"


@pytest.fixture(scope="module")
def organised_event(seeded, app):
    from convention.calendar import operations
    from convention.calendar.models import PARIS, EventKind
    from convention.conventions.models import Convention
    from convention.groups.models import WorkingGroup
    from convention.members.models import Member, User

    with app.app_context():
        convention = db.session.scalars(sa.select(Convention).order_by(Convention.id)).first()
        group = db.session.scalars(
            sa.select(WorkingGroup).where(WorkingGroup.convention_id == convention.id, WorkingGroup.number == 1)
        ).one()
        pilot = db.session.scalars(sa.select(User).where(User.email == PILOT)).one()
        day = dt.date.today() + dt.timedelta(days=30)
        starts = dt.datetime.combine(day, dt.time(18, 30), tzinfo=PARIS).astimezone(dt.UTC)
        event = operations.create_event(
            pilot,
            convention,
            operations.EventData(
                kind=EventKind.HEARING,
                title=TITLE,
                starts_dt=starts,
                ends_dt=starts + dt.timedelta(hours=2),
                place="10 rue de Solférino, Paris",
                capacity=3,
                working_group_ids=[group.id],
                experts=[operations.PersonData("Claire Hédon", "Défenseure des droits")],
            ),
        )
        members = db.session.scalars(
            sa.select(Member).where(~Member.user.has()).order_by(Member.membership_number).limit(5)
        ).all()
        names = []
        for member in members:
            # Accounts able to log in (registering needs one): the demo password's hash.
            user = User(email=member.email, display_name=member.full_name, member=member,
                        password_hash=pilot.password_hash)  # fmt: skip
            db.session.add(user)
            db.session.flush()
            operations.register_for_event(user, event)
            names.append(member.full_name)
        db.session.commit()
        journey = {"event_id": event.id, "names": names}
        db.session.remove()
    return journey


def _log_in(page, live_url: str, email: str) -> None:
    page.goto(live_url + "/compte/connexion")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/compte/")


@pytest.mark.parametrize("width", [1280, 390])
def test_the_pilot_sees_the_registrants_and_writes_to_them(live_url, browser, organised_event, width):
    from playwright.sync_api import expect

    axe_path()
    errors: list[str] = []
    context, page = a11y_page(browser, width, errors)
    event_id = organised_event["event_id"]
    seated, waiting = organised_event["names"][:3], organised_event["names"][3:]
    try:
        _log_in(page, live_url, PILOT)
        # « Mon compte » leads to the events the pilot organises.
        page.get_by_role("link", name="Mes rendez-vous à organiser").click()
        page.wait_for_url("**/calendrier/organisation")
        check_page(page, f"organisers-overview-{width}")
        item = page.locator(".event-item", has_text=TITLE)
        item.get_by_role("link", name="3 inscrit·es sur 3 places, 2 en liste d'attente").click()

        # The registrants: seats then the waiting list, with their sections.
        page.wait_for_url(f"**/calendrier/{event_id}/inscrits")
        expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
        seats = page.get_by_role("table", name="Personnes inscrites, par ordre d'inscription")
        queue = page.get_by_role("table", name="Liste d'attente, par rang")
        for name in seated:
            expect(seats).to_contain_text(name)
        for name in waiting:
            expect(queue).to_contain_text(name)
        expect(page.get_by_role("link", name="Télécharger la liste (CSV)")).to_be_visible()
        check_page(page, f"organisers-registrations-{width}")

        # A message: written, read again, sent.
        page.get_by_role("link", name="Écrire aux inscrit·es").click()
        page.wait_for_url(f"**/calendrier/{event_id}/inscrits/message")
        check_page(page, f"organisers-message-{width}")
        page.get_by_label("Objet").fill("Changement de salle")
        page.get_by_label("Message", exact=True).fill("Nous serons salle B, au rez-de-chaussée.\nÀ bientôt.")
        page.get_by_role("button", name="Relire avant l'envoi").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Relire le message avant l'envoi")
        expect(page.get_by_text("Ce message sera envoyé à 5 personnes")).to_be_visible()
        check_page(page, f"organisers-confirm-{width}")
        page.get_by_role("button", name="Envoyer à 5 personnes").click()
        page.wait_for_url(f"**/calendrier/{event_id}/inscrits")
        expect(page.get_by_text("Le message est envoyé à 5 personnes.")).to_be_visible()
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_a_federation_secretary_reaches_the_member_lists_from_the_navigation(live_url, browser, seeded, width):
    from playwright.sync_api import expect

    axe_path()
    errors: list[str] = []
    context, page = a11y_page(browser, width, errors)
    try:
        _log_in(page, live_url, "demo.federation@exemple.fr")
        check_page(page, f"organisers-secretary-account-{width}")
        secretariat = page.get_by_role("region", name="Secrétariat")
        expect(secretariat.get_by_role("link", name="Adhérent·es — Fédération de l'Isère")).to_be_visible()
        nav = page.get_by_role("navigation", name="Navigation principale")
        if width < 1200:
            nav.get_by_role("button", name="Menu").click()
        nav.get_by_role("link", name="Adhérent·es", exact=True).click()
        page.wait_for_url("**/adherents/federation/*")
        expect(page.get_by_role("heading", level=1)).to_have_text("Fédération de l'Isère")
        check_page(page, f"organisers-secretary-members-{width}")
        assert errors == []
    finally:
        context.close()
