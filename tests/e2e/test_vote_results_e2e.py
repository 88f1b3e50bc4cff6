"""The results of a proclaimed vote in a real browser, on a phone (390 px) and on a desktop: the decision in
words, the national chart with the same figures as a table, the member's federation first and highlighted, the
search over federations, no table wider than the screen, no WCAG A/AA violation; the receipts list too.

The poll is run on the seeded convention through the operations: opened, voted by the roll (each member answering
as their federation leans), closed (the count runs inline), proclaimed.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from convention.core.db import utcnow
from convention.domain.polls import QuestionMethod
from convention.extensions import db
from convention.votes import operations
from convention.votes.models import Poll, RollEntry
from tests.e2e.a11y import a11y_page, check_page
from tests.e2e.test_jobs_e2e import _log_in

pytestmark = pytest.mark.e2e

MILITANT, BUREAU = "demo.militant@exemple.fr", "demo.bn@exemple.fr"
TITLE = "Adoption du texte (résultats)"


class _Voter:
    is_authenticated = True
    id = None

    def __init__(self, member_id: int) -> None:
        self.member_id = member_id


def _user(email):
    from convention.members.models import User

    return db.session.scalars(sa.select(User).where(User.email == email)).one()


@pytest.fixture(scope="module")
def proclaimed_poll(seeded, app):
    """One proclaimed poll for the module (``seeded`` empties every table after the module)."""
    from convention.conventions.models import Convention

    with app.app_context():
        convention = db.session.scalars(sa.select(Convention)).first()
        bureau = _user(BUREAU)
        now = utcnow()
        poll = operations.create_poll(
            bureau,
            convention,
            operations.PollData(
                title=TITLE,
                question="Approuvez-vous le texte de la convention ?",
                opens_at=now - dt.timedelta(hours=1),
                closes_at=now + dt.timedelta(days=1),
                roll_cutoff=dt.date.today(),
                secrecy_threshold=3,
                questions=[
                    operations.QuestionData(title="Approuvez-vous le texte de la convention ?"),
                    operations.QuestionData(
                        title="Quelle rédaction retenir ?",
                        method=QuestionMethod.MAJORITY_JUDGMENT,
                        options=[("Rédaction A", ""), ("Rédaction B", "")],
                    ),
                ],
            ),
        )
        assert operations.open_poll(bureau, poll)
        text, wording = poll.questions
        a, b = (str(o.id) for o in wording.options)
        entries = db.session.execute(
            sa.select(RollEntry.member_id, RollEntry.federation_id)
            .where(RollEntry.poll_id == poll.id)
            .order_by(RollEntry.member_id)
        ).all()
        for index, (member_id, federation_id) in enumerate(entries):
            answer = ("yes", "yes", "no", "abstain")[(index + federation_id) % 4]
            grades = {a: (index + federation_id) % 3, b: (index * 2 + 1) % 6}
            operations.cast_ballot(_Voter(member_id), poll, {text.key: answer, wording.key: grades})
        operations.close_poll(bureau, poll)
        db.session.commit()  # the count runs inline
        db.session.expire_all()
        poll = db.session.get(Poll, poll.id)
        assert operations.proclaim(bureau, poll), poll.state
        db.session.commit()
        poll_id = poll.id
        federation = _user(MILITANT).member.section.federation.title
        db.session.remove()
    return poll_id, federation


def test_the_results_on_a_phone(app, live_url, browser, proclaimed_poll):
    from playwright.sync_api import expect

    poll_id, own = proclaimed_poll
    errors: list[str] = []
    context, page = a11y_page(browser, 390, errors)
    try:
        _log_in(page, live_url, MILITANT)
        page.goto(f"{live_url}/vote/{poll_id}")
        results = page.locator(".results-summary")
        expect(results.get_by_role("heading", name="Résultats", exact=True)).to_be_visible()
        expect(results.locator(".results-decision").first).to_contain_text("Le texte")
        # The chart fits the phone and its figures are those of the table next to it.
        chart = results.locator("svg.results-chart").first
        box = chart.bounding_box()
        assert box is not None and box["width"] <= 390
        table_figures = results.locator("table.results-table").first.locator("tbody td[data-label='Voix']")
        chart_text = chart.locator("desc").text_content()
        for value in table_figures.all_inner_texts()[:3]:
            assert f": {value.strip()}" in chart_text
        # (The roll's hash belongs to the roll's block, checked by its own tests.)
        check_page(page, "vote-results-poll-390", exclude=("code.roll-hash",))

        page.get_by_role("link", name="Résultats par fédération et par section, vérification du dépouillement").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Résultats du scrutin")
        check_page(page, "vote-results-390")
        # The member's own federation comes first in the turnout and is marked as theirs (not by colour alone).
        first_row = page.locator("#participation-federations tbody tr").first
        expect(first_row).to_contain_text(own)
        expect(first_row).to_contain_text("votre fédération")
        expect(page.locator("details.results-federation").first).to_have_attribute("open", "")
        expect(page.get_by_text("Pour protéger le secret du vote").first).to_be_visible()

        # The search over federations.
        other = page.locator("#participation-federations tbody tr th").nth(1).inner_text().split(" votre")[0].strip()
        page.get_by_label("Rechercher une fédération").fill(other.split(" ")[-1])
        page.get_by_role("button", name="Rechercher").click()
        expect(page.get_by_role("status").first).to_contain_text("Fédérations dont le nom contient")
        expect(page.locator("#participation-federations tbody tr").first).to_contain_text(other)
        check_page(page, "vote-results-search-390")

        page.get_by_role("link", name="Liste des reçus dans l'urne").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Reçus dans l'urne")
        expect(page.locator(".receipt-list li").first).to_be_visible()
        check_page(page, "vote-receipts-390")
        assert errors == [], "\n".join(errors)
    finally:
        context.close()


def test_the_results_on_a_desktop(app, live_url, browser, proclaimed_poll):
    from playwright.sync_api import expect

    poll_id, _ = proclaimed_poll
    errors: list[str] = []
    context, page = a11y_page(browser, 1280, errors)
    try:
        page.goto(f"{live_url}/vote/{poll_id}/resultats")  # public once proclaimed
        expect(page.get_by_role("heading", level=1)).to_have_text("Résultats du scrutin")
        expect(page.locator("#participation-federations thead")).to_be_visible()
        check_page(page, "vote-results-1280")
        assert errors == [], "\n".join(errors)
    finally:
        context.close()
