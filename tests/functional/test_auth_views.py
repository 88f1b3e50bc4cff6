"""Login, logout, account page, activation and password reset over HTTP."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from convention.core.audit import AuditEntry
from convention.core.security import verify_password
from convention.domain.roles import Role
from convention.extensions import db, limiter, mail
from convention.members.models import User
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

NEW_PASSWORD = "une phrase toute neuve et longue"


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture()
def member_user(database):
    federation = make_federation("38", "Isère")
    section = make_section(federation, "Grenoble")
    member = make_member(
        section, "Camille", "Durand", email="camille@example.org",
        dues_paid_until=dt.date(2099, 12, 31),
    )  # fmt: skip
    user = make_user(member=member, roles=[(Role.SECTION_SECRETARY, section)])
    db.session.commit()
    return user


def test_login_page_is_french(client, database):
    response = client.get("/compte/connexion")
    assert response.status_code == 200
    html = page_text(response)
    assert "Connexion" in html and "Mot de passe oublié" in html
    assert 'name="email"' in html and 'name="password"' in html


def test_login_then_account_then_logout(client, member_user):
    response = login(client, "camille@example.org")
    assert response.status_code == 302
    assert response.headers["Location"] == "/compte/"
    page = page_text(client.get("/compte/"))
    assert "Camille Durand" in page
    assert member_user.member.membership_number in page
    assert "Grenoble" in page and "Fédération de Isère" in page
    assert "À jour de cotisation" in page
    assert "Secrétaire de section" in page and "Section Grenoble" in page
    assert db.session.get(User, member_user.id).last_login_dt is not None

    assert client.get("/compte/deconnexion").status_code == 405  # POST only
    response = client.post("/compte/deconnexion")
    assert response.status_code == 302
    assert client.get("/compte/").status_code == 302  # back to the login page


def test_account_shows_late_dues(client, database):
    section = make_section(make_federation())
    member = make_member(section, dues_paid_until=dt.date(2020, 12, 31))
    make_user(member=member)
    db.session.commit()
    login(client, member.email)
    page = page_text(client.get("/compte/"))
    assert "Cotisation non à jour" in page
    assert "Aucun rôle particulier" in page


def test_anonymous_account_page_redirects_to_login(client, database):
    response = client.get("/compte/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/compte/connexion?next=")


@pytest.mark.parametrize(
    ("email", "password"),
    [("camille@example.org", "pas le bon mot de passe"), ("personne@example.org", PASSWORD)],
)
def test_wrong_credentials_get_one_generic_message(client, member_user, email, password):
    response = login(client, email, password)
    assert response.status_code == 200
    html = page_text(response)
    assert "Adresse électronique ou mot de passe incorrect." in html
    assert "inconnu" not in html and "n'existe pas" not in html
    assert client.get("/compte/").status_code == 302


def test_login_ignores_the_case_of_the_email(client, member_user):
    response = login(client, "CAMILLE@example.org ")
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/adherents/", "/adherents/"),
        ("/compte/?onglet=roles", "/compte/?onglet=roles"),
        ("https://evil.example/", "/compte/"),
        ("//evil.example/", "/compte/"),
        ("/\\evil.example", "/compte/"),
        ("javascript:alert(1)", "/compte/"),
        ("http:/evil.example", "/compte/"),
    ],
)
def test_next_redirects_only_within_the_site(client, member_user, next_url, expected):
    response = client.post(
        "/compte/connexion",
        query_string={"next": next_url},
        data={"email": "camille@example.org", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_login_is_rate_limited_in_french(client, member_user, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_RATE_LIMIT", "3 per minute")
    for _ in range(3):
        assert login(client, "camille@example.org", "mauvais").status_code == 200
    response = login(client, "camille@example.org")  # even the right password is refused
    assert response.status_code == 429
    html = page_text(response)
    assert "Trop de tentatives" in html
    assert 'lang="fr"' in html
    assert client.get("/compte/").status_code == 302  # not logged in
    assert client.get("/compte/connexion").status_code == 200  # GET is not limited


# --- activation ------------------------------------------------------------------------------


@pytest.fixture()
def invitation(database, client):
    """An invited member; returns the activation path read from the recorded e-mail."""
    from convention.auth.operations import invite_user

    section = make_section(make_federation())
    member = make_member(section, "Alix", "Bernard", email="alix@example.org")
    user = make_user(member=member, password=None)
    with mail.record_messages() as outbox:
        invite_user(None, user)
        db.session.commit()
    (message,) = outbox
    return link_from(message, "/compte/activation/")


def test_activation_through_the_mailed_link(client, invitation):
    page = client.get(invitation)
    assert page.status_code == 200
    assert "Activer votre compte" in page_text(page)
    response = client.post(invitation, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/compte/connexion"
    user = db.session.scalars(sa.select(User).where(User.email == "alix@example.org")).one()
    assert user.activated_dt is not None
    assert verify_password(user.password_hash, NEW_PASSWORD)
    assert login(client, "alix@example.org", NEW_PASSWORD).status_code == 302

    # the link is single-use
    again = client.get(invitation)
    assert again.status_code == 400
    assert "déjà été utilisé" in page_text(again)
    again = client.post(invitation, data={"password": "x" * 20, "confirm": "x" * 20})
    assert again.status_code == 400
    db.session.expire_all()
    assert verify_password(db.session.get(User, user.id).password_hash, NEW_PASSWORD)


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("court", "court", "entre 12 et 256 caractères"),
        (NEW_PASSWORD, NEW_PASSWORD + "!", "ne sont pas identiques"),
        ("", "", "Choisissez un mot de passe."),
    ],
)
def test_activation_form_errors_are_french(client, invitation, password, confirm, message):
    response = client.post(invitation, data={"password": password, "confirm": confirm})
    assert response.status_code == 200
    assert message in page_text(response)
    user = db.session.scalars(sa.select(User).where(User.email == "alix@example.org")).one()
    assert user.password_hash is None


def test_unknown_activation_link(client, database):
    response = client.get("/compte/activation/faux-jeton")
    assert response.status_code == 400
    assert "n'est pas valide" in page_text(response)


# --- password reset ---------------------------------------------------------------------------


def test_forgot_password_answers_the_same_for_unknown_addresses(client, member_user):
    with mail.record_messages() as outbox:
        known = client.post(
            "/compte/mot-de-passe-oublie", data={"email": "camille@example.org"},
            follow_redirects=True,
        )  # fmt: skip
        unknown = client.post(
            "/compte/mot-de-passe-oublie", data={"email": "personne@example.org"},
            follow_redirects=True,
        )  # fmt: skip
    assert known.status_code == unknown.status_code == 200
    flash = "Si un compte actif correspond à cette adresse"
    assert flash in page_text(known) and flash in page_text(unknown)
    assert [m.recipients for m in outbox] == [["camille@example.org"]]


def test_reset_password_through_the_mailed_link(client, member_user):
    with mail.record_messages() as outbox:
        client.post("/compte/mot-de-passe-oublie", data={"email": "camille@example.org"})
    link = link_from(outbox[0], "/compte/reinitialisation/")
    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert login(client, "camille@example.org", PASSWORD).status_code == 200  # old one refused
    assert login(client, "camille@example.org", NEW_PASSWORD).status_code == 302
    again = client.get(link)
    assert again.status_code == 400 and "déjà été utilisé" in page_text(again)
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {"user.password_reset_request", "user.password_reset", "user.login"} <= actions


def test_newer_reset_link_replaces_older(client, member_user):
    with mail.record_messages() as outbox:
        client.post("/compte/mot-de-passe-oublie", data={"email": "camille@example.org"})
        client.post("/compte/mot-de-passe-oublie", data={"email": "camille@example.org"})
    first, second = (link_from(m, "/compte/reinitialisation/") for m in outbox)
    response = client.get(first)
    assert response.status_code == 400
    assert "remplacé par un lien plus récent" in page_text(response)
    assert client.get(second).status_code == 200


def test_the_link_is_logged_when_mail_is_suppressed(client, member_user, caplog):
    caplog.set_level("INFO", logger="convention.auth.emails")
    with mail.record_messages() as outbox:
        client.post("/compte/mot-de-passe-oublie", data={"email": "camille@example.org"})
    link = link_from(outbox[0], "/compte/reinitialisation/")
    assert any(link in record.getMessage() for record in caplog.records)


def test_login_required_page_comes_back_after_login(client, member_user):
    response = client.get("/adherents/")
    login_url = response.headers["Location"]
    assert login_url.startswith("/compte/connexion?next=")
    response = client.post(login_url, data={"email": "camille@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/adherents/"
