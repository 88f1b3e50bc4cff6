"""Every response of the ballot flow has the same size whatever the choice (issue 11 §4b).

For a one-question poll (each of Pour, Contre, Abstention) and a poll with a question of each
method (several combinations of answers), members whose names have the same length go through
the flow: the poll page with the ballot form, the confirmation, the receipt, and after the
close the verification of their receipt. For each step every response has the same size, and
the Content-Length says so, with no compression even when the client asks for it.

The views are padded by ``convention.votes.padding.constant_size``.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from convention.core.db import utcnow
from convention.domain.polls import QuestionMethod
from convention.domain.roles import Role
from convention.extensions import db, limiter
from convention.members.models import User
from convention.votes import operations
from convention.votes.models import Poll
from convention.votes.operations import PollData, QuestionData
from convention.votes.padding import QUANTUM, ballot_flow_size
from tests.auth_fixtures import make_convention, make_federation, make_member, make_section, make_user, switch_user

VOTERS = 4
HEADERS = {"Accept-Encoding": "gzip, deflate, br"}
RECEIPT = re.compile(r"[A-Z2-9]{5}(?:-[A-Z2-9]{5}){3}")


@pytest.fixture(autouse=True)
def _no_login_rate_limit():
    limiter.reset()
    yield
    limiter.reset()


def _world() -> tuple[User, list[str], object]:
    """The Bureau national, members on the roll with names and addresses of the same length, a convention."""
    convention = make_convention()
    section = make_section(make_federation("38", "Isère"), "Grenoble")
    emails = []
    for number in range(1, VOTERS + 1):
        email = f"votant{number:02d}@example.org"
        member = make_member(section, "Votant", f"Numero{number:02d}", email=email, dues_paid_until=dt.date(2099, 1, 1))
        make_user(member=member)
        emails.append(email)
    bn = make_user("bn@example.org", roles=[(Role.NATIONAL_BUREAU, None)], display_name="Bureau national")
    return bn, emails, convention


def _open(bn: User, convention, questions: list[QuestionData] | None = None) -> Poll:
    now = utcnow()
    poll = operations.create_poll(
        bn,
        convention,
        PollData(
            title="Adoption du texte de la convention",
            question="Approuvez-vous le texte ?",
            opens_at=now - dt.timedelta(hours=1),
            closes_at=now + dt.timedelta(days=1),
            roll_cutoff=dt.date(2030, 1, 1),
            questions=questions or [],
        ),
    )
    assert operations.open_poll(bn, poll)
    return poll


def _check_headers(response) -> None:
    body = response.get_data()
    assert response.headers.get("Content-Encoding") is None
    assert int(response.headers["Content-Length"]) == len(body)
    assert "no-transform" in response.headers.get("Cache-Control", "")


def _journey(client, poll_id: int, email: str, data: dict) -> tuple[dict[str, int], str, bytes]:
    """One member through the ballot flow: the sizes of each page, the receipt code, the confirmation page."""
    switch_user(client, email)
    sizes = {}
    page = client.get(f"/vote/{poll_id}", headers=HEADERS)
    assert page.status_code == 200 and b'action="/vote/' in page.get_data()
    sizes["ballot page"] = len(page.get_data())
    _check_headers(page)
    confirm = client.post(f"/vote/{poll_id}/bulletin", data={**data, "confirmed": ""}, headers=HEADERS)
    assert confirm.status_code == 200, confirm.get_data(as_text=True)[:2000]
    assert "Votre vote est définitif" in confirm.get_data(as_text=True)
    sizes["confirmation"] = len(confirm.get_data())
    _check_headers(confirm)
    receipt = client.post(f"/vote/{poll_id}/bulletin", data={**data, "confirmed": "1"}, headers=HEADERS)
    assert receipt.status_code == 200
    code = RECEIPT.search(receipt.get_data(as_text=True)).group(0)
    sizes["receipt"] = len(receipt.get_data())
    _check_headers(receipt)
    return sizes, code, confirm.get_data()


def _close(bn_email: str, poll_id: int) -> None:
    bn = db.session.scalar(sa.select(User).where(User.email == bn_email))
    operations.close_poll(bn, db.session.get(Poll, poll_id))
    db.session.commit()


def _verify_sizes(client, poll_id: int, codes: list[str]) -> list[int]:
    sizes = []
    for code in [*codes, "AAAAA-BBBBB-CCCCC-DDDDD"]:
        response = client.post(f"/vote/{poll_id}/verifier", data={"code": code}, headers=HEADERS)
        assert response.status_code == 200
        _check_headers(response)
        sizes.append(len(response.get_data()))
    return sizes


def _assert_same_sizes(journeys: list[dict[str, int]], confirmations: list[bytes]) -> None:
    for step in journeys[0]:
        sizes = [journey[step] for journey in journeys]
        assert len(set(sizes)) == 1, f"{step}: sizes differ by the choice: {sizes}"
    # Not trivially equal: the confirmations do say different things.
    assert len(set(confirmations)) == len(confirmations)


def test_each_answer_of_a_yes_no_question_gives_the_same_sizes(client, database):
    bn, emails, convention = _world()
    poll = _open(bn, convention)
    question = poll.questions[0]
    poll_id, size = poll.id, ballot_flow_size(poll)
    db.session.commit()
    journeys, codes, confirmations = [], [], []
    for email, code in zip(emails, ("yes", "no", "abstain"), strict=False):
        sizes, receipt, confirmation = _journey(client, poll_id, email, {f"q{question.id}": code})
        journeys.append(sizes)
        codes.append(receipt)
        confirmations.append(confirmation)
    _assert_same_sizes(journeys, confirmations)
    assert journeys[0]["confirmation"] == size and size % QUANTUM == 0
    _close("bn@example.org", poll_id)
    switch_user(client, emails[0])
    assert len(set(_verify_sizes(client, poll_id, codes))) == 1


def test_combinations_of_answers_to_every_method_give_the_same_sizes(client, database):
    bn, emails, convention = _world()
    questions = [
        QuestionData("Le texte dans son ensemble"),
        QuestionData(
            "La rédaction de l'article 3",
            QuestionMethod.SINGLE,
            options=[("Courte", ""), ("Une rédaction nettement plus longue de l'article", "")],
        ),
        QuestionData(
            "Les priorités",
            QuestionMethod.APPROVAL,
            options=[("Prévention", ""), ("Police de proximité", ""), ("Justice des mineurs et médiation", "")],
        ),
        QuestionData(
            "Les deux rédactions du préambule",
            QuestionMethod.MAJORITY_JUDGMENT,
            options=[("Rédaction A", ""), ("Rédaction B, amendée par la fédération", "")],
        ),
        QuestionData(
            "L'ordre des chapitres",
            QuestionMethod.SCHULZE,
            options=[("Éducation", ""), ("Sécurité du quotidien", ""), ("Justice", "")],
            status_quo=True,
        ),
    ]
    poll = _open(bn, convention, questions)
    yes_no, single, approval, judgment, ranking = poll.questions
    s1, s2 = (o.id for o in single.options)
    a1, a2, a3 = (o.id for o in approval.options)
    j1, j2 = (o.id for o in judgment.options)
    r1, r2, r3, r4 = (o.id for o in ranking.options)
    answers = [
        {
            f"q{yes_no.id}": "yes",
            f"q{single.id}": str(s1),
            f"q{judgment.id}-o{j1}": "0",
            f"q{judgment.id}-o{j2}": "5",
            f"q{ranking.id}-o{r1}": "1",
            f"q{ranking.id}-o{r2}": "2",
            f"q{ranking.id}-o{r3}": "3",
            f"q{ranking.id}-o{r4}": "4",
        },
        {
            f"q{yes_no.id}": "abstain",
            f"q{single.id}": str(s2),
            f"q{approval.id}": [str(a1), str(a2), str(a3)],
        },
        {
            f"q{yes_no.id}": "no",
            f"q{single.id}": "blank",
            f"q{approval.id}": [str(a3)],
            f"q{judgment.id}-o{j1}": "5",
            f"q{judgment.id}-o{j2}": "0",
            f"q{ranking.id}-o{r4}": "1",
            f"q{ranking.id}-o{r1}": "1",
        },
        {
            f"q{yes_no.id}": "yes",
            f"q{single.id}": str(s2),
            f"q{approval.id}": [str(a1), str(a3)],
            f"q{judgment.id}-o{j1}": "2",
            f"q{judgment.id}-o{j2}": "3",
            f"q{ranking.id}-o{r3}": "1",
        },
    ]
    poll_id = poll.id
    db.session.commit()
    journeys, codes, confirmations = [], [], []
    for email, data in zip(emails, answers, strict=True):
        sizes, receipt, confirmation = _journey(client, poll_id, email, data)
        journeys.append(sizes)
        codes.append(receipt)
        confirmations.append(confirmation)
    _assert_same_sizes(journeys, confirmations)
    _close("bn@example.org", poll_id)
    switch_user(client, emails[0])
    assert len(set(_verify_sizes(client, poll_id, codes))) == 1


def test_a_refused_answer_comes_back_at_the_same_size(client, database):
    """The ballot page shown again with an error (an incomplete ballot) has the size of every other page."""
    bn, emails, convention = _world()
    questions = [
        QuestionData("Le texte dans son ensemble"),
        QuestionData("La rédaction", QuestionMethod.SINGLE, options=[("Courte", ""), ("Bien plus longue", "")]),
    ]
    poll = _open(bn, convention, questions)
    first, second = poll.questions
    poll_id, size = poll.id, ballot_flow_size(poll)
    db.session.commit()
    switch_user(client, emails[0])
    sizes = set()
    for data in ({f"q{first.id}": "yes"}, {f"q{first.id}": "no"}, {f"q{second.id}": str(second.options[1].id)}):
        response = client.post(f"/vote/{poll_id}/bulletin", data={**data, "confirmed": ""}, headers=HEADERS)
        assert response.status_code == 422
        _check_headers(response)
        sizes.add(len(response.get_data()))
    assert sizes == {size}


# --- the padding itself (what the decorator does to a response) ----------------------------------------------


def test_pad_response_pads_html_only_and_to_the_next_quantum_when_too_large(app, caplog):
    from flask import Response, redirect

    from convention.votes.padding import pad_response

    with app.test_request_context("/vote/1/bulletin"):
        short = pad_response(Response("<p>Pour</p>", mimetype="text/html"), 8192)
        longer = pad_response(Response("<p>Abstention</p>", mimetype="text/html"), 8192)
        assert len(short.get_data()) == len(longer.get_data()) == 8192
        assert short.get_data().startswith(b"<p>Pour</p>") and short.get_data().endswith(b"-->\n")
        assert short.headers["Content-Length"] == "8192" and "no-transform" in short.headers["Cache-Control"]
        # Redirects, other types and streams are left as they are.
        assert len(pad_response(redirect("/vote/1"), 8192).get_data()) < 8192
        assert pad_response(Response("{}", mimetype="application/json"), 8192).get_data() == b"{}"
        # Too large for its size: the next multiple of the quantum, and a warning.
        big = pad_response(Response("x" * 9000, mimetype="text/html"), 8192)
        assert len(big.get_data()) == 3 * QUANTUM
        assert "raise ballot_flow_size" in caplog.text
        # Within a few bytes of the size: still exactly the size.
        for length in range(8192 - 12, 8192 - 6):
            assert len(pad_response(Response("y" * length, mimetype="text/html"), 8192).get_data()) == 8192


def test_the_padded_size_depends_on_the_poll_s_texts_only(database):
    bn, _emails, convention = _world()
    poll = _open(bn, convention)
    size = ballot_flow_size(poll)
    assert size % QUANTUM == 0
    longer = _open(bn, convention, [QuestionData("Le texte", description="Un texte très long. " * 400)])
    assert ballot_flow_size(longer) > size
