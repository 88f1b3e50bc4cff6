"""A section secretary's paper vote on a phone (390 px), then the federation's validation, in a real browser.

The secretary opens the section's émargement list, finds and marks two voters, enters the minutes
with a mismatch (the page says what does not add up, nothing is written), fixes them and transmits
them; the federation's first secretary validates them. Every page is checked with axe-core (WCAG 2.1
A/AA) and for horizontal overflow at 390 px.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from convention.domain.polls import QuestionMethod, ReportState, VoteChannel
from convention.extensions import db
from convention.votes import operations
from convention.votes.models import Participation, SectionReport, SectionReportRevision
from convention.votes.operations import QuestionData
from tests.auth_fixtures import PASSWORD
from tests.e2e.a11y import a11y_page, check_page
from tests.integration.test_vote_operations import answer, open_now
from tests.integration.test_vote_paper import paper_world, today_paris

pytestmark = pytest.mark.e2e

PHONE = 390


def _log_in(page, live_url: str, email: str) -> None:
    page.goto(live_url + "/compte/connexion")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/compte/")


def _log_out(page) -> None:
    page.context.clear_cookies()


@pytest.fixture()
def paper_poll(database):
    """An open poll (the text: Pour/Contre/Abstention; two wordings: majority judgment) on the roll of
    Grenoble; one member of Grenoble has already voted online."""
    world = paper_world()
    poll = open_now(
        world.vote,
        questions=[
            QuestionData("Approuvez-vous le texte ?"),
            QuestionData(
                "Quelle rédaction pour la proposition 12 ?",
                QuestionMethod.MAJORITY_JUDGMENT,
                options=[("Rédaction du Bureau national", ""), ("Rédaction de la fédération du Nord", "")],
            ),
        ],
    )
    yes = answer(poll, "Pour")
    judged = {str(o.id): 1 for o in poll.questions[1].options}
    operations.cast_ballot(world.users["voter2"], poll, {**yes, poll.questions[1].key: judged})
    db.session.commit()
    return world, poll


def test_the_section_secretary_s_journey_at_390_px(app, live_url, browser, paper_poll):
    from playwright.sync_api import expect

    world, poll = paper_poll
    militant, secretary = world.users["militant"].member, world.users["secretary"].member
    errors: list[str] = []
    context, page = a11y_page(browser, PHONE, errors)
    try:
        _log_in(page, live_url, world.users["secretary"].email)
        # From the account page to the section's émargement list.
        check_page(page, "paper-account-390")
        page.get_by_role("link", name="Émargement du vote — section Grenoble").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Vote sur papier — section Grenoble")
        check_page(page, "paper-section-closed-390")

        # Open the list: the confirmation first.
        page.get_by_label(re.compile("Je confirme que la section vote sur papier")).check()
        page.get_by_role("button", name="Ouvrir la liste d'émargement").click()
        expect(page.get_by_text("La liste d'émargement de la section est ouverte.")).to_be_visible()
        expect(page.locator(f"#m{world.users['voter2'].member_id}")).to_contain_text("a voté en ligne")
        check_page(page, "paper-section-open-390")

        # Find the first voter with the search field, mark them; then the second from the whole list.
        page.get_by_label("Rechercher un·e adhérent·e").fill(militant.last_name.lower())
        page.get_by_role("button", name="Rechercher").click()
        expect(page.get_by_text("1 adhérent·e trouvé·e")).to_be_visible()
        page.get_by_role("button", name=f"Émarger {militant.full_name}").click()
        expect(page.locator(f"#m{militant.id}")).to_contain_text("émargé·e (papier)")
        page.get_by_role("link", name="Toute la liste").click()
        page.get_by_role("button", name=f"Émarger {secretary.full_name}").click()
        expect(page.locator(f"#m{secretary.id}")).to_contain_text("émargé·e (papier)")
        expect(page.locator(".key-figures")).to_contain_text("Émargé·es (papier)2")
        check_page(page, "paper-section-marked-390")

        # The minutes, with a mismatch: 3 answers for 2 voters.
        page.get_by_role("link", name="Saisir le procès-verbal").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Procès-verbal — section Grenoble")
        page.get_by_label("Date de la réunion de section").fill(today_paris().isoformat())
        page.get_by_label("Membres du bureau de vote").fill("Anne Martin (présidente), Paul Roux (assesseur)")
        text, wordings = poll.questions
        page.locator(f"#q{text.id}-yes").fill("2")
        page.locator(f"#q{text.id}-no").fill("1")
        for option in wordings.options:
            page.locator(f"#q{wordings.id}-o{option.id}-g0").fill("1")
            page.locator(f"#q{wordings.id}-o{option.id}-g2").fill("1")
        page.get_by_label(re.compile("Je certifie que ces chiffres")).check()
        check_page(page, "paper-minutes-390")
        page.get_by_role("button", name="Transmettre le procès-verbal à la fédération").click()
        expect(page.get_by_role("alert")).to_contain_text("Le procès-verbal n'a pas été transmis")
        expect(page.locator(f"#q{text.id}-erreurs")).to_contain_text("= 3, mais 2 votant·es sont émargé·es")
        check_page(page, "paper-minutes-mismatch-390")
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(SectionReportRevision)) == 0

        # Fixed: transmitted.
        page.locator(f"#q{text.id}-no").fill("0")
        page.get_by_label(re.compile("Je certifie que ces chiffres")).check()
        page.get_by_role("button", name="Transmettre le procès-verbal à la fédération").click()
        expect(page.get_by_text(re.compile(r"version 1\) est transmis à la fédération"))).to_be_visible()
        check_page(page, "paper-section-submitted-390")

        # The federation's first secretary validates.
        _log_out(page)
        _log_in(page, live_url, world.users["fed_isere"].email)
        page.goto(f"{live_url}/vote/{poll.id}")
        page.get_by_role("link", name=re.compile("Procès-verbaux des sections — Fédération de Isère")).click()
        expect(page.get_by_role("heading", name="Section Grenoble")).to_be_visible()
        expect(page.get_by_text("Anne Martin (présidente), Paul Roux (assesseur)")).to_be_visible()
        check_page(page, "paper-federation-390")
        page.get_by_label("Je confirme la validation : ces résultats seront comptés").check()
        page.get_by_role("button", name="Valider le procès-verbal").click()
        expect(page.get_by_text("Le procès-verbal de la section Grenoble est validé : il sera compté.")).to_be_visible()
        check_page(page, "paper-federation-validated-390")
        assert errors == [], "\n".join(errors)
    finally:
        context.close()

    with app.app_context():
        report = db.session.scalars(sa.select(SectionReport)).one()
        assert report.state == ReportState.VALIDATED and report.validated_revision.voters == 2
        paper_marks = db.session.scalar(sa.select(sa.func.count()).where(Participation.channel == VoteChannel.PAPER))
        assert paper_marks == 2


def test_the_paper_vote_pages_run_under_the_content_security_policy(live_url, page, console_errors, paper_poll):
    """The same pages in a context that enforces the CSP: no console error (no inline script or style)."""
    world, poll = paper_poll
    _log_in(page, live_url, world.users["secretary"].email)
    page.goto(f"{live_url}/vote/{poll.id}/papier/section/{world.grenoble.id}")
    page.get_by_label(re.compile("Je confirme que la section vote sur papier")).check()
    page.get_by_role("button", name="Ouvrir la liste d'émargement").click()
    page.goto(f"{live_url}/vote/{poll.id}/papier/section/{world.grenoble.id}/proces-verbal")
    _log_out(page)
    _log_in(page, live_url, world.users["fed_isere"].email)
    page.goto(f"{live_url}/vote/{poll.id}/papier/federation/{world.vote.isere.id}")
    assert console_errors == [], "\n".join(console_errors)
