"""The pages of the electoral roll: what everyone sees (hash, counts, public log without names), what a member
sees of their own situation, the Bureau national's change requests and decisions, and the permission matrix."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from convention.domain.polls import RollChangeState
from convention.domain.roles import Role
from convention.extensions import db, limiter
from convention.votes.models import Poll, RollChange
from tests.auth_fixtures import login, make_user, page_text, switch_user
from tests.integration.test_vote_operations import make_poll, make_vote_world, open_now

REASON = "Cotisation réglée avant la date, saisie en retard par la fédération."


@pytest.fixture(autouse=True)
def _no_login_rate_limit():
    limiter.reset()
    yield
    limiter.reset()


def _world():
    world = make_vote_world()
    make_user("bn2@example.org", roles=[(Role.NATIONAL_BUREAU, None)], display_name="Seconde du BN")
    poll = open_now(world)
    db.session.commit()
    return world, poll.id


def test_everyone_sees_the_hash_the_counts_and_how_to_recompute_them(client, database):
    world, poll_id = _world()
    poll = db.session.get(Poll, poll_id)
    page = page_text(client.get(f"/vote/{poll_id}/liste-electorale"))
    assert poll.roll_hash in page and "LC_ALL=C sort numeros.txt | sha256sum" in page
    assert "38 — Isère" in page and "69 — Rhône" in page
    assert "Connectez-vous pour savoir si vous êtes inscrit·e" in page
    assert "Militant" not in page  # no member's name
    # The poll page shows the hash and links to the roll.
    page = page_text(client.get(f"/vote/{poll_id}"))
    assert poll.roll_hash in page and f"/vote/{poll_id}/liste-electorale" in page


def test_a_member_sees_whether_they_are_on_the_roll_and_why_not(client, database):
    world, poll_id = _world()
    login(client, "militant@example.org")
    page = page_text(client.get(f"/vote/{poll_id}/liste-electorale"))
    assert "Vous êtes inscrit·e sur la liste électorale (section Grenoble, Fédération de Isère)" in page
    page = page_text(client.get(f"/vote/{poll_id}"))
    assert "Vous êtes inscrit·e sur la liste électorale" in page
    switch_user(client, "unpaid@example.org")
    page = page_text(client.get(f"/vote/{poll_id}/liste-electorale"))
    assert "Vous n'êtes pas inscrit·e sur la liste électorale" in page
    assert "31 décembre 2029" in page and "1er janvier 2030" in page  # the dues date, and the cutoff


def test_a_draft_s_roll_is_the_bureau_s_and_a_scheduled_one_is_not_frozen_yet(client, database):
    world = make_vote_world()
    draft = make_poll(world)
    db.session.commit()
    assert client.get(f"/vote/{draft.id}/liste-electorale").status_code == 404
    login(client, "bn@example.org")
    page = page_text(client.get(f"/vote/{draft.id}/liste-electorale"))
    assert "sera figée à l'ouverture du vote" in page
    assert client.get(f"/vote/{draft.id}/liste-electorale/numeros.txt").status_code == 404


def test_the_bureau_downloads_the_numbers_whose_hash_is_published(client, database):
    world, poll_id = _world()
    assert client.get(f"/vote/{poll_id}/liste-electorale/numeros.txt").status_code == 302  # to the login page
    login(client, "militant@example.org")
    assert client.get(f"/vote/{poll_id}/liste-electorale/numeros.txt").status_code == 403
    switch_user(client, "bn@example.org")
    response = client.get(f"/vote/{poll_id}/liste-electorale/numeros.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert hashlib.sha256(response.get_data()).hexdigest() == db.session.get(Poll, poll_id).roll_hash


def test_a_change_asked_by_one_member_of_the_bureau_and_approved_by_another(client, database):
    world, poll_id = _world()
    number = world.users["unpaid"].member.membership_number
    before = db.session.get(Poll, poll_id).roll_hash
    login(client, "bn@example.org")
    # Bad input: a clear message, nothing written.
    response = client.post(
        f"/vote/{poll_id}/liste-electorale/modifications", data={"kind": "add", "membership_number": number}
    )
    assert response.status_code == 422 and "Indiquez le motif" in page_text(response)
    response = client.post(
        f"/vote/{poll_id}/liste-electorale/modifications",
        data={"kind": "add", "membership_number": "PS424242", "reason": REASON},
    )
    assert response.status_code == 422 and "Aucun·e adhérent·e ne porte le numéro « PS424242 »" in page_text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RollChange)) == 0
    # The request.
    response = client.post(
        f"/vote/{poll_id}/liste-electorale/modifications",
        data={"kind": "add", "membership_number": number, "reason": REASON},
        follow_redirects=True,
    )
    page = page_text(response)
    assert "un autre membre du Bureau national doit l'approuver" in page
    assert "Unpaid" in page and number in page  # the Bureau national sees whom
    change = db.session.scalar(sa.select(RollChange))
    # The same member cannot approve it: no form for them, and the route refuses.
    assert f"modifications/{change.id}/approuver" not in page
    response = client.post(
        f"/vote/{poll_id}/liste-electorale/modifications/{change.id}/approuver",
        data={f"decision-{change.id}-confirm": "y"},
        follow_redirects=True,
    )
    assert "approuvée par un autre membre du Bureau national" in page_text(response)
    db.session.expire_all()
    assert db.session.get(RollChange, change.id).state == RollChangeState.PENDING
    # Another member of the Bureau national: the confirmation box is required.
    switch_user(client, "bn2@example.org")
    page = page_text(client.get(f"/vote/{poll_id}/liste-electorale"))
    assert f"modifications/{change.id}/approuver" in page and f'id="decision-{change.id}-confirm"' in page
    url = f"/vote/{poll_id}/liste-electorale/modifications/{change.id}/approuver"
    response = client.post(url, data={}, follow_redirects=True)
    assert "Cochez la case de confirmation" in page_text(response)
    response = client.post(url, data={f"decision-{change.id}-confirm": "y"}, follow_redirects=True)
    assert "La modification est approuvée" in page_text(response)
    db.session.expire_all()
    poll = db.session.get(Poll, poll_id)
    assert db.session.get(RollChange, change.id).state == RollChangeState.APPROVED
    assert poll.roll_hash != before and poll.roll_hash in page_text(response)
    # The public log: when, what, why — not whom.
    client.post("/compte/deconnexion")
    page = page_text(client.get(f"/vote/{poll_id}/liste-electorale"))
    assert "Inscription d'un·e adhérent·e" in page and "Approuvée" in page and REASON in page
    assert number not in page and "Unpaid" not in page and "Seconde du BN" not in page
    # The member now sees it.
    login(client, "unpaid@example.org")
    assert "Votre inscription a été ajoutée le" in page_text(client.get(f"/vote/{poll_id}/liste-electorale"))


def test_a_refusal_needs_a_reason(client, database):
    world, poll_id = _world()
    login(client, "bn@example.org")
    client.post(
        f"/vote/{poll_id}/liste-electorale/modifications",
        data={
            "kind": "remove",
            "membership_number": world.users["lyonnais"].member.membership_number,
            "reason": REASON,
        },
    )
    change = db.session.scalar(sa.select(RollChange))
    switch_user(client, "bn2@example.org")
    url = f"/vote/{poll_id}/liste-electorale/modifications/{change.id}/refuser"
    response = client.post(url, data={f"decision-{change.id}-confirm": "y"}, follow_redirects=True)
    assert "Le motif du refus est obligatoire" in page_text(response)
    response = client.post(
        url,
        data={f"decision-{change.id}-confirm": "y", f"decision-{change.id}-reason": "Adhésion bien valide."},
        follow_redirects=True,
    )
    assert "La modification est refusée" in page_text(response)
    db.session.expire_all()
    assert db.session.get(RollChange, change.id).state == RollChangeState.REFUSED


@pytest.mark.parametrize("who", [None, "militant@example.org", "secretary@example.org"])
def test_only_the_bureau_asks_downloads_and_decides(client, database, who):
    world, poll_id = _world()
    change = RollChange(
        poll_id=poll_id,
        member_id=world.users["unpaid"].member_id,
        kind="add",
        reason=REASON,
        requested_by_id=world.users["bn"].id,
    )
    db.session.add(change)
    db.session.commit()
    if who:
        login(client, who)
    expected = 403 if who else 302
    number = world.users["unpaid"].member.membership_number
    for method, url, data in (
        ("get", f"/vote/{poll_id}/liste-electorale/numeros.txt", None),
        ("post", f"/vote/{poll_id}/liste-electorale/modifications", {"kind": "add", "membership_number": number}),
        ("post", f"/vote/{poll_id}/liste-electorale/modifications/{change.id}/approuver", {}),
        ("post", f"/vote/{poll_id}/liste-electorale/modifications/{change.id}/refuser", {}),
    ):
        response = getattr(client, method)(url, data=data)
        assert response.status_code == expected, url
    page = page_text(client.get(f"/vote/{poll_id}/liste-electorale"))
    assert "Demander une modification" not in page and "Approuver la modification" not in page
    db.session.expire_all()
    assert db.session.get(RollChange, change.id).state == RollChangeState.PENDING
