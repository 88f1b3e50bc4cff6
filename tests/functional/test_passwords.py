"""Password policy and « mot de passe oublié » (issue 9).

Passwords: at least 12 characters and not a common one (a shipped list, disguises included),
with a strength hint on the form. « Mot de passe oublié » answers the same, in the same
time, whether the address exists or not: the look-up and the mail happen in a task.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from convention.auth import operations
from convention.auth.passwords import common_passwords, is_common_password, password_problem
from convention.auth.tasks import send_password_reset_link
from convention.domain.errors import DomainError
from convention.extensions import db, mail
from convention.members.models import UserToken
from tests.auth_fixtures import link_from, make_federation, make_member, make_section, make_user, page_text

EMAIL = "camille@example.org"


@pytest.fixture()
def account(database):
    member = make_member(make_section(make_federation()), "Camille", "Durand", email=EMAIL)
    user = make_user(member=member)
    db.session.commit()
    return user


def test_the_shipped_list_is_large_and_french_too():
    listed = common_passwords()
    assert len(listed) > 10_000
    assert {"123456", "password", "azerty", "motdepasse", "soleil"} <= listed


@pytest.mark.parametrize(
    "password",
    ["azertyuiop12", "Motdepasse2025!", "P@ssw0rd12345", "azertyazerty", "123456789012",
     "abcdefghijkl", "aaaaaaaaaaaa", "ILOVEYOU1234", "  soleil2025!!  ", "partisocialiste"],
)  # fmt: skip
def test_common_passwords_and_disguises_are_refused(password):
    assert is_common_password(password)
    assert "trop courant" in password_problem(password)


@pytest.mark.parametrize(
    "password",
    ["une phrase de passe solide", "Correct horse battery staple", "Zq9#kd8!LmP2x", "demo-convention-2025"],
)
def test_good_passwords_pass(password):
    assert password_problem(password) is None


def test_too_short_is_refused():
    assert "au moins 12 caractères" in password_problem("Zq9#kd8!LmP")


def test_a_reset_refuses_a_common_password_with_its_reason(client, account):
    with mail.record_messages() as outbox:
        send_password_reset_link(EMAIL)
    link = link_from(outbox[0], "/compte/reinitialisation/")
    page = client.get(link)
    html = page_text(page)
    assert 'data-password-strength="robustesse-mot-de-passe"' in html
    assert 'id="robustesse-mot-de-passe"' in html and "js/password-strength.js" in html
    response = client.post(link, data={"password": "Motdepasse2025!", "confirm": "Motdepasse2025!"})
    assert response.status_code == 200 and "trop courant" in page_text(response)
    good = "une phrase vraiment personnelle"
    assert client.post(link, data={"password": good, "confirm": good}).status_code == 302


def test_activation_refuses_a_common_password(database):
    member = make_member(make_section(make_federation()), email="nouveau@example.org")
    user = make_user(member=member, password=None, activated=False)
    secret = operations.invite_user(None, user)
    with pytest.raises(DomainError, match="trop courant"):
        operations.activate_account(secret, "azertyuiop1234")


def test_forgot_password_does_the_work_in_a_task_for_any_address(client, account, monkeypatch):
    queued = []
    monkeypatch.setattr(send_password_reset_link, "delay", lambda email: queued.append(email))
    with mail.record_messages() as outbox:
        known = client.post("/compte/mot-de-passe-oublie", data={"email": EMAIL})
        unknown = client.post("/compte/mot-de-passe-oublie", data={"email": "personne@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert queued == [EMAIL, "personne@example.org"]
    # Nothing was looked up, written or sent while answering.
    assert outbox == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserToken)) == 0
    flash_known = page_text(client.get("/compte/connexion"))
    assert "Si un compte actif correspond à cette adresse" in flash_known
    # The task does the work: a link for the known address only.
    with mail.record_messages() as outbox:
        for email in queued:
            send_password_reset_link(email)
    assert [m.recipients for m in outbox] == [[EMAIL]]


def test_a_broker_outage_still_sends_the_link(client, account, monkeypatch):
    def refuse(email):
        raise ConnectionError("broker down")

    monkeypatch.setattr(send_password_reset_link, "delay", refuse)
    with mail.record_messages() as outbox:
        response = client.post("/compte/mot-de-passe-oublie", data={"email": EMAIL})
    assert response.status_code == 302 and [m.recipients for m in outbox] == [[EMAIL]]
