"""Revocable sessions, the remember cookie and caching of personal pages (issue 9).

A copied session cookie and the « se souvenir de moi » cookie used to keep working after a
logout and after a password reset. Every session now carries the account's session
generation: a logout, a password reset, a disabled account or a withdrawn role ends them all.
"""

from __future__ import annotations

import pytest

from config import ProductionConfig
from convention.domain.roles import Role
from convention.extensions import db, mail
from convention.members import operations as member_operations
from convention.members.models import RoleAssignment, User
from tests.auth_fixtures import (
    PASSWORD,
    link_from,
    login,
    make_federation,
    make_member,
    make_section,
    make_user,
    page_text,
)

NEW_PASSWORD = "une toute nouvelle phrase secrète"
EMAIL = "camille@example.org"


@pytest.fixture()
def account(database):
    section = make_section(make_federation())
    member = make_member(section, "Camille", "Durand", email=EMAIL)
    user = make_user(member=member, roles=[(Role.SECTION_SECRETARY, section)])
    db.session.commit()
    return user


def _cookie(client, name: str) -> str | None:
    cookie = client.get_cookie(name)
    return cookie.value if cookie is not None else None


def _signed_in(app, **cookies) -> bool:
    """Whether a fresh browser holding only ``cookies`` (copied) reaches the account page."""
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other.get("/compte/").status_code == 200


@pytest.fixture()
def stolen(app, client, account):
    """A logged-in client with « se souvenir de moi », and copies of both its cookies."""
    assert login(client, EMAIL, remember="y").status_code == 302
    session, remember = _cookie(client, "session"), _cookie(client, "remember_token")
    assert session and remember
    assert _signed_in(app, session=session) and _signed_in(app, remember_token=remember)
    return {"session": session, "remember_token": remember}


def _assert_all_ended(app, stolen) -> None:
    assert not _signed_in(app, session=stolen["session"])
    assert not _signed_in(app, remember_token=stolen["remember_token"])


def test_logout_ends_copied_session_and_remember_cookies(app, client, stolen):
    client.post("/compte/deconnexion")
    _assert_all_ended(app, stolen)


def test_a_password_reset_ends_every_session(app, client, stolen):
    other = app.test_client()
    with mail.record_messages() as outbox:
        other.post("/compte/mot-de-passe-oublie", data={"email": EMAIL})
    link = link_from(outbox[0], "/compte/reinitialisation/")
    assert other.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    _assert_all_ended(app, stolen)
    assert client.get("/compte/").status_code == 302  # the browser that was signed in too


def test_a_disabled_account_is_signed_out(app, stolen, account):
    db.session.get(User, account.id).is_enabled = False
    db.session.commit()
    _assert_all_ended(app, stolen)


def test_a_withdrawn_role_ends_the_holders_sessions(app, stolen, account):
    bureau = make_user("bn@example.org", roles=[(Role.NATIONAL_BUREAU, None)])
    assignment = db.session.scalars(db.select(RoleAssignment).filter_by(user_id=account.id)).one()
    member_operations.revoke_role(bureau, assignment)
    db.session.commit()
    _assert_all_ended(app, stolen)


def test_log_out_of_every_device_from_the_account_page(app, client, stolen):
    page = page_text(client.get("/compte/"))
    assert "Me déconnecter de tous les appareils" in page
    response = client.post("/compte/deconnexion-partout")
    assert response.status_code == 302 and response.headers["Location"] == "/compte/connexion"
    _assert_all_ended(app, stolen)
    assert client.get("/compte/").status_code == 302
    assert login(client, EMAIL, PASSWORD).status_code == 302  # logging in again works


def test_a_session_from_before_the_generation_is_refused(app, account):
    from convention.auth.sessions import load_session_user

    with app.app_context():
        assert load_session_user(f"{account.id}:0") is not None
        for forged in (str(account.id), f"{account.id}:1", "", ":", "x:0", f"{10**30}:0"):
            assert load_session_user(forged) is None, forged


def test_remember_cookie_is_lax_and_secure_in_production(client, account):
    response = login(client, EMAIL, remember="y")
    remember = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token=")]
    assert remember and "SameSite=Lax" in remember[0] and "HttpOnly" in remember[0]
    assert ProductionConfig.REMEMBER_COOKIE_SECURE is True
    assert ProductionConfig.SESSION_COOKIE_SECURE is True


def test_personal_pages_are_not_stored(client, account):
    assert "no-store" not in client.get("/compte/connexion").headers.get("Cache-Control", "")
    login(client, EMAIL)
    for url in ("/compte/", "/notifications/", "/adherents/", f"/adherents/section/{account.member.section_id}"):
        response = client.get(url)
        assert response.status_code in (200, 302), url
        assert response.headers["Cache-Control"] == "no-store", url
