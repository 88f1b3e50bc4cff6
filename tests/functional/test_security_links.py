"""Absolute links come from PUBLIC_BASE_URL, never from the request's Host (issue 9).

A forged ``Host`` or ``X-Forwarded-Host`` must not put another site's address in a password
reset e-mail, an invitation, a notification e-mail or a (cached) iCalendar feed; production
refuses to start without PUBLIC_BASE_URL and answers only for its trusted hosts.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import icalendar
import pytest
from flask import has_request_context

from config import check_and_complete
from convention.core.links import external_url, path_for
from convention.extensions import db, mail
from convention.notifications import delivery
from convention.notifications.models import NotificationKind
from tests.auth_fixtures import login, make_federation, make_member, make_section, make_user
from tests.integration.test_calendar_operations import make_event, make_world, paris

ROOT = Path(__file__).resolve().parents[2]
BASE = "https://convention.example.org"
EVIL = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}


@pytest.fixture()
def public_base(app):
    previous = app.config["PUBLIC_BASE_URL"]
    app.config["PUBLIC_BASE_URL"] = BASE
    yield BASE
    app.config["PUBLIC_BASE_URL"] = previous


@pytest.fixture()
def account(database):
    section = make_section(make_federation())
    member = make_member(section, "Camille", "Durand", email="camille@example.org")
    user = make_user(member=member)
    db.session.commit()
    return user


def test_reset_link_ignores_a_forged_host(client, account, public_base):
    with mail.record_messages() as outbox:
        client.post("/compte/mot-de-passe-oublie", data={"email": "camille@example.org"}, headers=EVIL)
    assert len(outbox) == 1
    assert "evil.example" not in outbox[0].body and "evil.example" not in outbox[0].html
    assert f"{BASE}/compte/reinitialisation/" in outbox[0].body


def test_public_feed_ignores_a_forged_host(client, database, public_base):
    world = make_world()
    event = make_event(world, starts_dt=paris(2030, 4, 10, 18, 30))
    db.session.commit()
    response = client.get("/api/v1/events.ics", headers=EVIL)
    assert response.status_code == 200 and b"evil.example" not in response.data
    vevent = next(iter(icalendar.Calendar.from_ical(response.data).walk("VEVENT")))
    assert str(vevent["url"]) == f"{BASE}/calendrier/{event.id}"
    single = client.get(f"/calendrier/{event.id}.ics", headers=EVIL)
    assert single.status_code == 200 and b"evil.example" not in single.data


def test_private_feed_address_ignores_a_forged_host(client, database, public_base):
    world = make_world()
    militant = world.users["militant"]
    db.session.commit()
    login(client, militant.email)
    client.post("/calendrier/mes-inscriptions/flux")
    # (the session cookie belongs to the test client's host, so only the forwarded header is forged)
    page = client.get(
        "/calendrier/mes-inscriptions", headers={"X-Forwarded-Host": "evil.example"}
    ).get_data(as_text=True)
    assert "evil.example" not in page
    assert f"{BASE}/calendrier/flux/" in page and f"{BASE}/api/v1/events.ics" in page


def test_notification_links_ignore_the_request(app, account, public_base):
    with app.test_request_context("/", base_url="http://evil.example"):
        assert external_url("notifications.preferences") == f"{BASE}/notifications/preferences"
        link = delivery.unsubscribe_url(account.id, [NotificationKind.CONTRIBUTION_DECISION])
        assert link.startswith(BASE + "/notifications/desabonnement/")
        db.session.rollback()


def test_untrusted_hosts_are_refused(app, client, database):
    app.config["TRUSTED_HOSTS"] = ["convention.example.org"]
    try:
        assert client.get("/", base_url="http://convention.example.org").status_code == 200
        refused = client.get("/", base_url="http://evil.example")
        assert refused.status_code == 400
        assert "adresse du site inconnue" in refused.get_data(as_text=True)
    finally:
        app.config["TRUSTED_HOSTS"] = None


def test_paths_outside_a_request_work_under_trusted_hosts(app, public_base):
    """A worker or the scheduler builds site paths (a poll's link in a notification, the count's
    result) with no request: under TRUSTED_HOSTS a fake « localhost » request would be refused."""

    def in_a_worker(**config) -> list[str]:
        paths: list[str] = []

        def run() -> None:  # a new thread: no request context, as in a Celery worker
            with app.app_context():
                assert not has_request_context()
                paths.append(path_for("votes.show", poll_id=7))
                paths.append(path_for("votes.show", poll_id=7, _anchor="resultats"))

        previous = {key: app.config[key] for key in config}
        app.config.update(config)
        try:
            thread = threading.Thread(target=run)
            thread.start()
            thread.join()
        finally:
            app.config.update(previous)
        return paths

    hosts = ["convention.example.org"]
    assert in_a_worker(TRUSTED_HOSTS=hosts) == ["/vote/7", "/vote/7#resultats"]
    assert in_a_worker(TRUSTED_HOSTS=hosts, PUBLIC_BASE_URL=BASE + "/convention")[0] == "/convention/vote/7"


# --- configuration ------------------------------------------------------------------------------


STRONG_KEY = "b4f1c0e9a27d8e36f5a1c4d7e9b2a8f3c6d1e4f7a0b3c9d2"


def test_production_defaults_trusted_hosts_to_the_public_address(tmp_path):
    config = {"SECRET_KEY": STRONG_KEY, "PUBLIC_BASE_URL": BASE + "/", "TRUSTED_HOSTS": None}
    check_and_complete(config, "production", tmp_path)
    assert config["TRUSTED_HOSTS"] == ["convention.example.org"]


@pytest.mark.parametrize("base", [None, "", "convention.example.org", "ftp://convention.example.org"])
def test_production_refuses_a_missing_or_odd_public_address(tmp_path, base):
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        check_and_complete({"SECRET_KEY": STRONG_KEY, "PUBLIC_BASE_URL": base}, "production", tmp_path)


def test_development_defaults_the_public_address_to_the_served_one(tmp_path, monkeypatch):
    monkeypatch.setenv("FLASK_RUN_HOST", "127.0.0.2")
    monkeypatch.setenv("FLASK_RUN_PORT", "8123")
    config = {"SECRET_KEY": "k" * 40, "PUBLIC_BASE_URL": ""}
    check_and_complete(config, "development", tmp_path)
    assert config["PUBLIC_BASE_URL"] == "http://127.0.0.2:8123"


def test_production_process_refuses_to_start_without_public_address(tmp_path):
    env = {
        k: v for k, v in os.environ.items() if k not in ("PUBLIC_BASE_URL", "SECRET_KEY", "TRUSTED_HOSTS")
    }
    env.update(
        CONVENTION_CONFIG="production", SECRET_KEY=STRONG_KEY, DATABASE_URL=f"sqlite:///{tmp_path / 'p.db'}"
    )
    code = "from convention import create_app; create_app('production')"
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode != 0 and "PUBLIC_BASE_URL must be set" in proc.stderr
    env["PUBLIC_BASE_URL"] = BASE
    proc = subprocess.run(
        [sys.executable, "-c", code + ".config['TRUSTED_HOSTS']"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr


