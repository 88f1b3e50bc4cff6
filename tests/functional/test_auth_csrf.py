"""With CSRF protection on (as in production), forged account forms are refused in French."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from convention.core.audit import AuditEntry
from convention.extensions import db, limiter
from convention.members.models import User
from tests.auth_fixtures import PASSWORD, make_user, page_text


@pytest.fixture(autouse=True)
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture()
def user(database):
    user = make_user("camille@example.org")
    db.session.commit()
    return user


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1)


def test_forged_login_without_token_is_refused(client, user):
    response = client.post(
        "/compte/connexion", data={"email": "camille@example.org", "password": PASSWORD}
    )
    assert response.status_code == 400
    html = page_text(response)
    assert "jeton de sécurité" in html and "rien n'a été enregistré" in html
    assert 'lang="fr"' in html
    assert client.get("/compte/").status_code == 302  # not logged in
    db.session.expire_all()
    assert db.session.get(User, user.id).last_login_dt is None
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == 0


def test_login_with_the_page_token_works(client, user):
    token = _token(page_text(client.get("/compte/connexion")))
    response = client.post(
        "/compte/connexion",
        data={"email": "camille@example.org", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302


def test_forged_logout_is_refused(client, user):
    token = _token(page_text(client.get("/compte/connexion")))
    client.post(
        "/compte/connexion",
        data={"email": "camille@example.org", "password": PASSWORD, "csrf_token": token},
    )
    assert client.post("/compte/deconnexion").status_code == 400
    assert client.get("/compte/").status_code == 200  # still logged in
    token = _token(page_text(client.get("/compte/")))
    assert client.post("/compte/deconnexion", data={"csrf_token": token}).status_code == 302
    assert client.get("/compte/").status_code == 302


def test_forged_password_reset_request_sends_nothing(client, user):
    from convention.extensions import mail

    with mail.record_messages() as outbox:
        response = client.post("/compte/mot-de-passe-oublie", data={"email": user.email})
    assert response.status_code == 400
    assert outbox == []
