"""Every ballot posts the same number of bytes, whatever the answers (static/js/ballot.js's « pad »).

The length of a request shows through the encryption and in an access log: without the pad, « Pour »
and « Abstention », one checked box or three, told apart the ballots. The member answers the booth of
a poll with the four kinds of fields (radio buttons, check boxes, the grades' radio buttons, the
ranks' lists) in several ways, confirms each time, and the browser's posts are caught before they
reach the server (nothing is cast): their bodies all have the same length and still carry the answers.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs

import pytest
import sqlalchemy as sa

from convention.domain.polls import QuestionMethod
from convention.extensions import db
from convention.votes import operations
from convention.votes.models import PollQuestion
from tests.e2e.a11y import a11y_page
from tests.e2e.test_jobs_e2e import _log_in
from tests.e2e.test_vote_e2e import MILITANT, delete_poll, open_a_poll

pytestmark = pytest.mark.e2e


@pytest.fixture()
def four_kinds_poll(seeded, app):
    poll_id = open_a_poll(
        app,
        "Quatre façons de répondre (essai)",
        [
            operations.QuestionData(title="Approuvez-vous le texte de la convention ?"),
            operations.QuestionData(
                title="Quelles propositions retenir ?",
                method=QuestionMethod.APPROVAL,
                options=[("Proposition A", ""), ("Proposition B", ""), ("Proposition C", "")],
            ),
            operations.QuestionData(
                title="Quelle rédaction retenir ?",
                method=QuestionMethod.MAJORITY_JUDGMENT,
                options=[("Rédaction A", ""), ("Rédaction B", "")],
            ),
            operations.QuestionData(
                title="Dans quel ordre ?",
                method=QuestionMethod.SCHULZE,
                options=[("Priorité A", ""), ("Priorité B", ""), ("Priorité C", "")],
            ),
        ],
    )
    with app.app_context():
        questions = db.session.scalars(
            sa.select(PollQuestion.id).where(PollQuestion.poll_id == poll_id).order_by(PollQuestion.position)
        ).all()
    yield poll_id, [f"q{question_id}" for question_id in questions]
    delete_poll(app, poll_id)


def _answer(page, yes_no: int, approvals: list[int], grades: list[int] | None, ranks: list[str]) -> None:
    """Fill the booth: the n-th answer of the first question, the checked boxes, each option's grade
    (None: no grade, a blank), the rank of each option ("" : not ranked)."""
    questions = page.locator("fieldset.ballot-question")
    questions.nth(0).get_by_role("radio").nth(yes_no).check()
    boxes = questions.nth(1).get_by_role("checkbox")
    for index in range(boxes.count()):
        boxes.nth(index).set_checked(index in approvals)
    if grades is not None:
        rows = questions.nth(2).locator("fieldset.grade-row")
        for index, grade in enumerate(grades):
            rows.nth(index).get_by_role("radio").nth(grade).check()
    lists = questions.nth(3).locator("select")
    for index, rank in enumerate(ranks):
        lists.nth(index).select_option(rank)


ANSWERS = [
    # (first question's answer, checked boxes, grades, ranks)
    (0, [], None, ["", "", ""]),
    (1, [0, 1, 2], [0, 5], ["1", "2", "3"]),
    (2, [1], [5, 0], ["3", "", "1"]),
    (0, [0, 2], [2, 3], ["1", "1", "1"]),
]


def test_every_ballot_posts_the_same_number_of_bytes(app, live_url, browser, four_kinds_poll):
    from playwright.sync_api import expect

    poll_id, (yes_no_field, approval_field, grades_field, ranks_field) = four_kinds_poll
    errors: list[str] = []
    context, page = a11y_page(browser, 390, errors)
    bodies: list[str] = []

    def catch(route):
        bodies.append(route.request.post_data or "")
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body="<!doctype html><title>Reçu</title>")

    try:
        _log_in(page, live_url, MILITANT)
        page.route(re.compile(r"/vote/\d+/bulletin$"), catch)
        for yes_no, approvals, grades, ranks in ANSWERS:
            page.goto(f"{live_url}/vote/{poll_id}")
            _answer(page, yes_no, approvals, grades, ranks)
            page.get_by_role("button", name="Continuer").click()
            confirm = page.get_by_role("button", name="Je confirme mon vote")
            expect(confirm).to_be_visible()  # the summary in the page: nothing was posted yet
            confirm.click()
            page.wait_for_url(re.compile(r"/bulletin$"))
        assert len(bodies) == len(ANSWERS)
        lengths = [len(body.encode()) for body in bodies]
        assert len(set(lengths)) == 1, f"the ballots' bodies differ in length: {lengths}"

        # Each body still carries its answers, and the pad is only « x ».
        for body, (yes_no, approvals, grades, ranks) in zip(bodies, ANSWERS, strict=True):
            fields = parse_qs(body, keep_blank_values=True)
            assert fields["confirmed"] == ["1"]
            assert set(fields["pad"][0]) <= {"x"}
            assert fields[yes_no_field] == [("yes", "no", "abstain")[yes_no]]
            assert len(fields.get(approval_field, [])) == len(approvals)
            given_grades = [values[0] for name, values in fields.items() if name.startswith(f"{grades_field}-o")]
            assert given_grades == [str(grade) for grade in grades or []]
            given_ranks = [values[0] for name, values in fields.items() if name.startswith(f"{ranks_field}-o")]
            assert given_ranks == ranks
        # The pad is what makes them equal: the blank ballot gets the most of it, the fullest the least.
        pads = [len(parse_qs(body, keep_blank_values=True)["pad"][0]) for body in bodies]
        assert pads[0] == max(pads) and pads[1] == min(pads) and pads[0] > pads[1]
        assert not errors, errors
    finally:
        context.close()
