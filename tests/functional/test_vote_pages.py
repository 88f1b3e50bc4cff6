"""The pages of the members' vote: the whole story through the forms, forged and repeated submissions,
and the permission matrix (militant, section secretary, Bureau national, anonymous visitor)."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import sqlalchemy as sa

from convention.core.db import utcnow
from convention.domain.polls import PollState, QuestionMethod
from convention.extensions import db, limiter
from convention.votes.models import Ballot, Participation, Poll
from convention.votes.operations import QuestionData
from tests.auth_fixtures import login, page_text, switch_user
from tests.integration.test_vote_operations import answer, count, make_poll, make_vote_world, open_now


@pytest.fixture(autouse=True)
def _no_login_rate_limit():
    limiter.reset()
    yield
    limiter.reset()


def _poll(poll_id: int) -> Poll:
    db.session.expire_all()
    return db.session.get(Poll, poll_id)


POLL_FORM = {
    "title": "Adoption du texte",
    "question": "Approuvez-vous le texte de la convention ?",
    "description": "Le texte **adopté** par le Bureau national.",
    "text_version": "0",
    "opens_on": "2030-06-10",
    "opens_time": "08:00",
    "closes_on": "2030-06-12",
    "closes_time": "20:00",
    "roll_cutoff": "2030-01-01",
    "allows_paper": "y",
    "secrecy_threshold": "10",
    "questions-0-title": "Approuvez-vous le texte de la convention ?",
    "questions-0-method": "yes_no_abstain",
    "questions-0-strict": "strict",
    "questions-0-threshold": "1/2",
    "questions-0-base": "yes_no",
}
WORDINGS = {
    "questions-1-title": "Quelle rédaction retenir ?",
    "questions-1-method": "majority_judgment",
    "questions-1-options": "Rédaction A | Le texte de la rédaction A.\nRédaction B | Le texte de la rédaction B.",
    "questions-1-strict": "strict",
    "questions-1-threshold": "1/2",
    "questions-1-base": "yes_no",
}


def ballot(poll: Poll, label: str, confirmed: str = "1", **extra) -> dict[str, str]:
    """The form of a ballot answering the poll's first question with ``label``."""
    ((key, value),) = answer(poll, label).items()
    return {f"q{key}": str(value), "confirmed": confirmed, **extra}


def test_the_whole_vote_through_the_pages(client, database):
    make_vote_world()
    db.session.commit()
    login(client, "bn@example.org")
    response = client.post("/vote/nouveau", data=POLL_FORM)
    assert response.status_code == 302, page_text(response)[:3000]
    poll = db.session.scalar(sa.select(Poll))
    assert poll.state == PollState.DRAFT and poll.opens_at.hour == 6  # 08:00 in Paris, summer time
    # Every action needs its confirmation box.
    client.post(f"/vote/{poll.id}/gestion/ouvrir", data={})
    assert _poll(poll.id).state == PollState.DRAFT
    response = client.post(f"/vote/{poll.id}/gestion/ouvrir", data={"confirm": "y"}, follow_redirects=True)
    assert "Le vote est ouvert" in page_text(response)
    poll = _poll(poll.id)
    assert poll.state == PollState.OPEN
    question = f"q{poll.questions[0].id}"

    switch_user(client, "militant@example.org")
    page = page_text(client.get(f"/vote/{poll.id}"))
    assert f'name="{question}"' in page and "Approuvez-vous" in page
    # Step 1: the choice, then the confirmation page; nothing is recorded yet.
    response = client.post(f"/vote/{poll.id}/bulletin", data=ballot(poll, "Pour", confirmed=""))
    page = page_text(response)
    assert response.status_code == 200 and "Votre vote est définitif" in page and "Pour" in page
    assert f'name="{question}" value="yes"' in page
    assert count(Participation) == 0
    # Step 2: confirmed; the receipt is shown once.
    response = client.post(f"/vote/{poll.id}/bulletin", data=ballot(poll, "Pour"))
    page = page_text(response)
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    code = re.search(r"[A-Z2-9]{5}(?:-[A-Z2-9]{5}){3}", page).group(0)
    db.session.expire_all()
    assert count(Participation) == 1 and count(Ballot) == 1
    page = page_text(client.get(f"/vote/{poll.id}"))
    assert "Vous avez voté le" in page and f'name="{question}"' not in page
    assert "Pour" not in page.split("Votre vote")[1].split("</section>")[0]
    # A second submission (double click, back button) changes nothing.
    response = client.post(f"/vote/{poll.id}/bulletin", data=ballot(poll, "Contre"), follow_redirects=True)
    assert "déjà voté" in page_text(response)
    db.session.expire_all()
    assert count(Participation) == 1 and count(Ballot) == 1
    assert json.loads(db.session.scalar(sa.select(Ballot.choices))) == {question[1:]: "yes"}
    # Before the close the receipt cannot be checked.
    assert "après la clôture" in page_text(client.get(f"/vote/{poll.id}/verifier"))

    switch_user(client, "lyonnais@example.org")
    client.post(f"/vote/{poll.id}/bulletin", data=ballot(poll, "Contre"))

    switch_user(client, "bn@example.org")
    page = page_text(client.get(f"/vote/{poll.id}"))
    assert "2 adhérent·es ont voté" in page
    response = client.post(f"/vote/{poll.id}/gestion/clore", data={"confirm": "y"})
    assert response.status_code == 302 and "/travaux/" in response.headers["Location"]
    job_page = page_text(client.get(response.headers["Location"]))
    assert "Dépouillement terminé : 2 bulletin(s)" in job_page
    assert _poll(poll.id).state == PollState.TALLIED

    switch_user(client, "militant@example.org")
    page = page_text(client.get(f"/vote/{poll.id}"))
    assert "après leur proclamation" in page

    switch_user(client, "bn@example.org")
    client.post(f"/vote/{poll.id}/gestion/proclamer", data={"confirm": "y"})
    assert _poll(poll.id).state == PollState.PROCLAIMED

    client.post("/compte/deconnexion")
    response = client.post(f"/vote/{poll.id}/verifier", data={"code": code.lower()})
    assert "bien dans l'urne" in page_text(response)
    response = client.post(f"/vote/{poll.id}/verifier", data={"code": "AAAAA-BBBBB-CCCCC-DDDDD"})
    assert "Aucun bulletin" in page_text(response)


def test_forged_option_and_votes_outside_the_window_change_nothing(client, database):
    world = make_vote_world()
    poll = open_now(world)
    other = make_poll(world, title="Autre")
    question = f"q{poll.questions[0].id}"
    forged = [
        ({f"q{other.questions[0].id}": "yes", "confirmed": ""}, "répondez à cette question"),
        ({question: "abc", "confirmed": ""}, "Pour, Contre ou Abstention"),
        ({"confirmed": ""}, "répondez à cette question"),
        ({question: "abc", "confirmed": "1"}, "Pour, Contre ou Abstention"),
        ({"confirmed": "1"}, "répondez à cette question"),
    ]
    poll_id = poll.id
    db.session.commit()
    login(client, "militant@example.org")
    for data, message in forged:
        response = client.post(f"/vote/{poll_id}/bulletin", data=data, follow_redirects=True)
        assert message in page_text(response), data
    assert count(Participation) == 0 and count(Ballot) == 0
    # The window closed by the clock, before the scheduler closed the poll: refused too.
    poll = _poll(poll_id)
    poll.opens_at, poll.closes_at = utcnow() - dt.timedelta(hours=2), utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    response = client.post(f"/vote/{poll_id}/bulletin", data=ballot(poll, "Pour"), follow_redirects=True)
    assert "pas ouvert" in page_text(response)
    assert count(Participation) == 0 and count(Ballot) == 0


OK, DENIED, LOGIN, NOT_FOUND, REFUSED = "ok", "denied", "login", "not_found", "refused"

MATRIX = {
    "index": {"militant": OK, "secretary": OK, "bn": OK, "anonymous": OK},
    "show_draft": {"militant": NOT_FOUND, "secretary": NOT_FOUND, "bn": OK, "anonymous": NOT_FOUND},
    "create_form": {"militant": DENIED, "secretary": DENIED, "bn": OK, "anonymous": LOGIN},
    "create": {"militant": DENIED, "secretary": DENIED, "bn": OK, "anonymous": LOGIN},
    "close": {"militant": DENIED, "secretary": DENIED, "bn": OK, "anonymous": LOGIN},
    "vote": {"militant": OK, "secretary": OK, "bn": REFUSED, "anonymous": LOGIN},
}  # fmt: skip
CELLS = [(action, role, expected) for action, row in MATRIX.items() for role, expected in row.items()]


@pytest.mark.parametrize(("action", "role", "expected"), CELLS, ids=[f"{a}-{r}" for a, r, _ in CELLS])
def test_permission_cell(client, database, action, role, expected):
    world = make_vote_world()
    draft = make_poll(world, title="Brouillon secret")
    poll = open_now(world, title="Scrutin ouvert")
    ids = {"draft": draft.id, "open": poll.id, "ballot": ballot(poll, "Pour")}
    db.session.commit()
    if role != "anonymous":
        assert login(client, f"{role}@example.org").status_code == 302
    polls_before = count(Poll)

    if action == "index":
        response = client.get("/vote/")
    elif action == "show_draft":
        response = client.get(f"/vote/{ids['draft']}")
    elif action == "create_form":
        response = client.get("/vote/nouveau")
    elif action == "create":
        response = client.post("/vote/nouveau", data=POLL_FORM)
    elif action == "close":
        response = client.post(f"/vote/{ids['open']}/gestion/clore", data={"confirm": "y"})
    else:
        response = client.post(f"/vote/{ids['open']}/bulletin", data=ids["ballot"])

    db.session.expire_all()
    changed = {
        "create": count(Poll) == polls_before + 1,
        "close": db.session.get(Poll, ids["open"]).state != PollState.OPEN,
        "vote": count(Participation) == 1 and count(Ballot) == 1,
    }.get(action, False)
    text = page_text(response)
    if expected == DENIED:
        assert response.status_code == 403 and "Accès refusé" in text
        assert not changed
    elif expected == LOGIN:
        assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"]
        assert not changed
    elif expected == NOT_FOUND:
        assert response.status_code == 404
    elif expected == REFUSED:
        assert response.status_code == 302
        assert not changed
        assert "aucun·e adhérent·e" in page_text(client.get(response.headers["Location"]))
    elif action == "index":
        assert response.status_code == 200 and "Scrutin ouvert" in text
        assert ("Brouillon secret" in text) == (role == "bn")
    elif action in ("show_draft", "create_form"):
        assert response.status_code == 200
    elif action == "vote":
        assert response.status_code == 200 and "Votre code de reçu" in text and changed
    else:
        assert response.status_code == 302 and changed


def test_edit_is_closed_once_open_and_drafts_stay_editable(client, database):
    world = make_vote_world()
    draft = make_poll(world, title="Brouillon")
    opened = open_now(world, title="Ouvert")
    ids = draft.id, opened.id
    db.session.commit()
    login(client, "bn@example.org")
    assert "Modifier le scrutin" in page_text(client.get(f"/vote/{ids[0]}/modifier"))
    response = client.post(f"/vote/{ids[0]}/modifier", data={**POLL_FORM, "title": "Titre corrigé"})
    assert response.status_code == 302 and _poll(ids[0]).title == "Titre corrigé"
    response = client.post(f"/vote/{ids[1]}/modifier", data={**POLL_FORM, "title": "Trop tard"}, follow_redirects=True)
    assert "ne peut plus être modifié" in page_text(response) and _poll(ids[1]).title == "Ouvert"
    # An action that the state does not allow says so and changes nothing.
    response = client.post(f"/vote/{ids[1]}/gestion/proclamer", data={"confirm": "y"}, follow_redirects=True)
    assert "pas possible dans l'état actuel" in page_text(response)
    assert _poll(ids[1]).state == PollState.OPEN


@pytest.mark.parametrize(
    "changes",
    [
        {"opens_on": "0001-01-01", "opens_time": "00:05"},  # would overflow the time zone conversion
        {"closes_on": "9999-12-31", "closes_time": "23:59"},
        {"roll_cutoff": "1899-01-01"},
    ],
)
def test_implausible_dates_are_refused_with_a_message(client, database, changes):
    make_vote_world()
    db.session.commit()
    login(client, "bn@example.org")
    response = client.post("/vote/nouveau", data={**POLL_FORM, **changes})
    assert response.status_code == 200
    assert "Indiquez une date entre 2000 et 2100." in page_text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Poll)) == 0


def test_a_poll_with_two_questions_from_the_form_to_the_ballot(client, database):
    """The Bureau national adds a second question (majority judgment on two wordings); a member answers both."""
    make_vote_world()
    db.session.commit()
    login(client, "bn@example.org")
    page = page_text(client.get("/vote/nouveau"))
    assert 'name="questions-0-title"' in page and 'name="questions-1-title"' not in page
    # « Ajouter une question » comes back with one more question and saves nothing.
    response = client.post("/vote/nouveau", data={**POLL_FORM, "add_question": "Ajouter une question"})
    page = page_text(response)
    assert response.status_code == 200 and 'name="questions-1-title"' in page and count(Poll) == 0
    # A question with one answer only is refused with a message naming it; nothing is written.
    response = client.post("/vote/nouveau", data={**POLL_FORM, **WORDINGS, "questions-1-options": "Rédaction A"})
    assert response.status_code == 200 and "Question 2 : proposez au moins deux réponses." in page_text(response)
    assert count(Poll) == 0
    response = client.post("/vote/nouveau", data={**POLL_FORM, **WORDINGS, "questions-0-threshold": "2/3",
                                                   "questions-0-strict": "atleast"})  # fmt: skip
    assert response.status_code == 302
    poll = db.session.scalar(sa.select(Poll))
    text, wordings = poll.questions
    assert (text.threshold, text.strict) == ("2/3", False)
    assert [o.label for o in wordings.options] == ["Rédaction A", "Rédaction B"]
    assert wordings.options[0].description == "Le texte de la rédaction A."
    # The edit form shows both questions as saved.
    page = page_text(client.get(f"/vote/{poll.id}/modifier"))
    assert 'value="Quelle rédaction retenir ?"' in page and "Rédaction B | Le texte de la rédaction B." in page
    client.post(f"/vote/{poll.id}/gestion/ouvrir", data={"confirm": "y"})

    switch_user(client, "militant@example.org")
    page = page_text(client.get(f"/vote/{poll.id}"))
    assert "au moins les deux tiers" in page
    a, b = wordings.options
    mj = f"q{wordings.id}"
    # Only one wording graded: refused with the reason, the answers given are shown again.
    response = client.post(
        f"/vote/{poll.id}/bulletin", data={f"q{text.id}": "no", f"{mj}-o{a.id}": "1", "confirmed": ""}
    )
    page = page_text(response)
    assert response.status_code == 422 and "donnez une mention à chaque réponse" in page
    assert f'id="q{text.id}-no" value="no" checked' in page
    form = {f"q{text.id}": "no", f"{mj}-o{a.id}": "1", f"{mj}-o{b.id}": "4"}
    page = page_text(client.post(f"/vote/{poll.id}/bulletin", data={**form, "confirmed": ""}))
    assert "Rédaction A : <strong>Bien</strong>" in page and "Rédaction B : <strong>Insuffisant</strong>" in page
    assert count(Ballot) == 0
    response = client.post(f"/vote/{poll.id}/bulletin", data={**form, "confirmed": "1"})
    assert "Votre code de reçu" in page_text(response)
    db.session.expire_all()
    assert json.loads(db.session.scalar(sa.select(Ballot.choices))) == {
        str(text.id): "no",
        str(wordings.id): {str(a.id): 1, str(b.id): 4},
    }


def test_single_approval_and_ranked_questions_through_the_ballot(client, database):
    world = make_vote_world()
    questions = [
        QuestionData("Un choix", QuestionMethod.SINGLE, options=[("Alpha", ""), ("Bêta", "")]),
        QuestionData(
            "Approbation", QuestionMethod.APPROVAL, options=[("Un", ""), ("Deux", ""), ("Trois", "")], seats=2
        ),
        QuestionData("Classement", QuestionMethod.SCHULZE, options=[("X", ""), ("Y", ""), ("Z", "")], status_quo=True),
    ]
    poll = open_now(world, questions=questions)
    single, approval, ranked = poll.questions
    ids = {o.label: o.id for o in poll.options}
    statu_quo = ranked.status_quo
    poll_id = poll.id
    db.session.commit()
    login(client, "militant@example.org")
    page = page_text(client.get(f"/vote/{poll_id}"))
    assert 'type="checkbox"' in page and "Non classée" in page and "Vote blanc" in page and "statu quo" in page
    form = {
        f"q{single.id}": "blank",
        f"q{approval.id}": [str(ids["Un"]), str(ids["Trois"])],
        f"q{ranked.id}-o{ids['Y']}": "1",
        f"q{ranked.id}-o{ids['X']}": "2",
        f"q{ranked.id}-o{ids['Z']}": "2",
        f"q{ranked.id}-o{statu_quo.id}": "",
    }
    page = page_text(client.post(f"/vote/{poll_id}/bulletin", data={**form, "confirmed": ""}))
    assert "Votre vote est définitif" in page and "X = Z" in page
    response = client.post(f"/vote/{poll_id}/bulletin", data={**form, "confirmed": "1"})
    assert "Votre code de reçu" in page_text(response)
    db.session.expire_all()
    assert json.loads(db.session.scalar(sa.select(Ballot.choices))) == {
        str(single.id): "blank",
        str(approval.id): sorted([ids["Un"], ids["Trois"]]),
        str(ranked.id): [[ids["Y"]], sorted([ids["X"], ids["Z"]])],
    }


def test_forged_digits_are_refused_with_a_message_not_a_crash(client, database):
    """« ² ».isdigit() is true but int() refuses it: a forged ballot gets a French message."""
    world = make_vote_world()
    questions = [
        QuestionData("Un choix", QuestionMethod.SINGLE, options=[("Alpha", ""), ("Bêta", "")]),
        QuestionData("Approbation", QuestionMethod.APPROVAL, options=[("Un", ""), ("Deux", "")]),
        QuestionData("Mentions", QuestionMethod.MAJORITY_JUDGMENT, options=[("A", ""), ("B", "")]),
    ]
    poll = open_now(world, questions=questions)
    single, approval, graded = poll.questions
    a, b = graded.options
    poll_id = poll.id
    db.session.commit()
    login(client, "militant@example.org")
    base = {f"q{single.id}": "blank", f"q{graded.id}-o{a.id}": "1", f"q{graded.id}-o{b.id}": "2"}
    for forged in ({f"q{single.id}": "²"}, {f"q{approval.id}": "³"}, {f"q{graded.id}-o{a.id}": "¹"}):
        for confirmed in ("", "1"):
            response = client.post(
                f"/vote/{poll_id}/bulletin", data={**base, **forged, "confirmed": confirmed}, follow_redirects=True
            )
            assert response.status_code in (200, 422) and "été enregistré" in page_text(response)
    assert count(Participation) == 0 and count(Ballot) == 0
