"""The login limit counts failures only, per account and per address, and survives Redis (issue 9).

A crowd behind one address (a section's meeting room on vote day) must not be turned away by
its own successful logins; an attacker rotating ``X-Forwarded-For`` still meets the per-account
limit; the message says when to retry; a Redis outage falls back to memory instead of a 500.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import time

import pytest
from limits import parse

from convention.core.ratelimit import FallbackStorage, resilient_storage_uri
from convention.extensions import db
from tests.auth_fixtures import PASSWORD, login, make_federation, make_member, make_section, make_user, page_text

EMAIL = "camille@example.org"


@pytest.fixture()
def accounts(database):
    section = make_section(make_federation())
    users = [make_user(member=make_member(section, email=f"membre{i}@example.org")) for i in range(6)]
    make_user(member=make_member(section, "Camille", "Durand", email=EMAIL))
    db.session.commit()
    return users


def test_successful_logins_from_one_address_do_not_count(app, accounts, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_ADDRESS_RATE_LIMIT", "3 per minute")
    for user in accounts:  # six members log in from the same room, one after the other
        client = app.test_client()
        assert login(client, user.email).status_code == 302, user.email


def test_failures_from_one_address_are_limited(app, client, accounts, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_ADDRESS_RATE_LIMIT", "3 per minute")
    for user in accounts[:3]:
        assert login(client, user.email, "mauvais mot de passe").status_code == 200
    assert login(client, accounts[3].email).status_code == 429


def test_the_account_limit_holds_whatever_the_address(app, accounts, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_RATE_LIMIT", "3 per 15 minutes")
    for n in range(3):
        client = app.test_client()
        response = client.post(
            "/compte/connexion",
            data={"email": EMAIL.upper(), "password": "essai"},
            environ_base={"REMOTE_ADDR": f"203.0.113.{n + 1}"},
        )
        assert response.status_code == 200
    response = app.test_client().post(
        "/compte/connexion",
        data={"email": EMAIL, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert response.status_code == 429
    text = page_text(response)
    assert "Réessayez dans 15 minutes" in text or "Réessayez dans 14 minutes" in text
    assert int(response.headers["Retry-After"]) > 800
    # Another account, from the same addresses, is not affected.
    other = app.test_client().post(
        "/compte/connexion",
        data={"email": accounts[0].email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "203.0.113.1"},
    )
    assert other.status_code == 302


# --- a Redis outage ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_redis_urls_go_through_the_fallback():
    assert resilient_storage_uri("redis://127.0.0.1:6379/2") == "fallback+redis://127.0.0.1:6379/2"
    assert resilient_storage_uri("memory://") == "memory://"


def test_an_unreachable_redis_falls_back_to_memory_and_comes_back(caplog):
    if shutil.which("redis-server") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is needed for this test")
        pytest.skip("redis-server is not installed")
    port = _free_port()
    storage = FallbackStorage(f"fallback+redis://127.0.0.1:{port}/0")
    storage.RETRY_SECONDS = 0.2
    limit = parse("2 per minute")
    from limits.strategies import FixedWindowRateLimiter

    limiter = FixedWindowRateLimiter(storage)
    caplog.set_level(logging.WARNING, logger="convention.core.ratelimit")
    # Redis is down: the limit still holds, in memory, and the log says so once.
    assert limiter.hit(limit, "k") and limiter.hit(limit, "k") and not limiter.hit(limit, "k")
    assert storage.is_down
    assert sum("unreachable" in r.getMessage() for r in caplog.records) == 1
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            time.sleep(0.25)
            limiter.hit(limit, "other")
            if not storage.is_down:
                break
        assert not storage.is_down, "the storage did not come back to Redis"
        assert any("reachable again" in r.getMessage() for r in caplog.records)
        assert limiter.get_window_stats(limit, "other").remaining == 1  # the last hit, in Redis
    finally:
        server.terminate()
        server.wait(timeout=10)
        storage.primary.storage.connection_pool.disconnect()


def test_logins_work_while_the_rate_limit_store_is_down(app, client, accounts, monkeypatch):
    """Through the app: the login and the vote's receipt check answer while Redis is down."""
    from convention.extensions import limiter

    dead = FallbackStorage(f"fallback+redis://127.0.0.1:{_free_port()}/0")
    monkeypatch.setattr(limiter, "_storage", dead)
    monkeypatch.setattr(limiter, "_limiter", type(limiter._limiter)(dead))
    assert login(client, accounts[0].email).status_code == 302
    assert login(app.test_client(), accounts[1].email, "mauvais").status_code == 200
    assert dead.is_down
    dead.primary.storage.connection_pool.disconnect()
