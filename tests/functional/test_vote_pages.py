"""The pages of the members' vote: the whole story through the forms, forged and repeated submissions,
and the permission matrix (militant, section secretary, Bureau national, anonymous visitor)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from convention.core.db import utcnow
from convention.domain.polls import PollState
from convention.extensions import db, limiter
from convention.votes.models import Ballot, Participation, Poll
from tests.auth_fixtures import login, page_text, switch_user
from tests.integration.test_vote_operations import count, make_poll, make_vote_world, open_now, option


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
    "options": "Pour\nContre",
    "blank_label": "Abstention",
}


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
    pour, contre = option(poll, "Pour").id, option(poll, "Contre").id

    switch_user(client, "militant@example.org")
    page = page_text(client.get(f"/vote/{poll.id}"))
    assert 'name="option"' in page and "Approuvez-vous" in page
    # Step 1: the choice, then the confirmation page; nothing is recorded yet.
    response = client.post(f"/vote/{poll.id}/bulletin", data={"option": str(pour), "confirmed": ""})
    page = page_text(response)
    assert response.status_code == 200 and "Votre vote est définitif" in page and "Pour" in page
    assert count(Participation) == 0
    # Step 2: confirmed; the receipt is shown once.
    response = client.post(f"/vote/{poll.id}/bulletin", data={"option": str(pour), "confirmed": "1"})
    page = page_text(response)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    code = re.search(r"[A-Z2-9]{5}(?:-[A-Z2-9]{5}){3}", page).group(0)
    db.session.expire_all()
    assert count(Participation) == 1 and count(Ballot) == 1
    page = page_text(client.get(f"/vote/{poll.id}"))
    assert "Vous avez voté le" in page and 'name="option"' not in page
    assert "Pour" not in page.split("Votre vote")[1].split("</section>")[0]
    # A second submission (double click, back button) changes nothing.
    response = client.post(
        f"/vote/{poll.id}/bulletin", data={"option": str(contre), "confirmed": "1"}, follow_redirects=True
    )
    assert "déjà voté" in page_text(response)
    db.session.expire_all()
    assert count(Participation) == 1 and count(Ballot) == 1
    assert db.session.scalar(sa.select(Ballot.option_id)) == pour
    # Before the close the receipt cannot be checked.
    assert "après la clôture" in page_text(client.get(f"/vote/{poll.id}/verifier"))

    switch_user(client, "lyonnais@example.org")
    client.post(f"/vote/{poll.id}/bulletin", data={"option": str(contre), "confirmed": "1"})

    switch_user(client, "bn@example.org")
    page = page_text(client.get(f"/vote/{poll.id}"))
    assert "2 adhérent·es ont voté" in page
    response = client.post(f"/vote/{poll.id}/gestion/clore", data={"confirm": "y"})
    assert response.status_code == 302 and "/travaux/" in response.headers["Location"]
    job_page = page_text(client.get(response.headers["Location"]))
    assert "Dépouillement terminé : 2 bulletin(s)" in job_page
    assert _poll(poll.id).state == PollState.TALLIED
    page = page_text(client.get(f"/vote/{poll.id}"))
    assert "non proclamés" in page and "Résultats par fédération" in page

    switch_user(client, "militant@example.org")
    page = page_text(client.get(f"/vote/{poll.id}"))
    assert "Résultats par fédération" not in page and "après leur proclamation" in page

    switch_user(client, "bn@example.org")
    client.post(f"/vote/{poll.id}/gestion/proclamer", data={"confirm": "y"})
    assert _poll(poll.id).state == PollState.PROCLAIMED

    client.post("/compte/deconnexion")
    page = page_text(client.get(f"/vote/{poll.id}"))
    assert 'role="img"' in page and "Résultats par fédération" in page
    assert "Fédération de Isère" in page and "Fédération de Rhône" in page
    response = client.post(f"/vote/{poll.id}/verifier", data={"code": code.lower()})
    assert "bien dans l'urne" in page_text(response)
    response = client.post(f"/vote/{poll.id}/verifier", data={"code": "AAAAA-BBBBB-CCCCC-DDDDD"})
    assert "Aucun bulletin" in page_text(response)


def test_forged_option_and_votes_outside_the_window_change_nothing(client, database):
    world = make_vote_world()
    poll = open_now(world)
    other = make_poll(world, title="Autre")
    draft_option = option(other, "Pour").id
    poll_id = poll.id
    db.session.commit()
    login(client, "militant@example.org")
    for data in ({"option": str(draft_option), "confirmed": "1"}, {"option": "abc", "confirmed": "1"}, {}):
        response = client.post(f"/vote/{poll_id}/bulletin", data=data, follow_redirects=True)
        assert "Choisissez une des réponses proposées" in page_text(response)
    assert count(Participation) == 0 and count(Ballot) == 0
    # The window closed by the clock, before the scheduler closed the poll: refused too.
    poll = _poll(poll_id)
    poll.opens_at, poll.closes_at = utcnow() - dt.timedelta(hours=2), utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    response = client.post(
        f"/vote/{poll_id}/bulletin",
        data={"option": str(option(poll, "Pour").id), "confirmed": "1"},
        follow_redirects=True,
    )
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
    ids = {"draft": draft.id, "open": poll.id, "pour": option(poll, "Pour").id}
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
        response = client.post(f"/vote/{ids['open']}/bulletin", data={"option": str(ids["pour"]), "confirmed": "1"})

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
