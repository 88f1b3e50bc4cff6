"""With CSRF protection on (as in production): the paper-vote forms carry their token, forged posts change nothing."""

from __future__ import annotations

import re

import pytest

from convention.domain.polls import ReportState
from convention.extensions import db, limiter
from convention.votes.models import Participation, SectionReport
from tests.auth_fixtures import PASSWORD, page_text
from tests.integration.test_vote_operations import count, open_now
from tests.integration.test_vote_paper import paper_world, today_paris


@pytest.fixture(autouse=True)
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    limiter.reset()
    yield
    limiter.reset()


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1)


def _log_in(client, email: str) -> None:
    token = _token(page_text(client.get("/compte/connexion")))
    response = client.post("/compte/connexion", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_the_paper_vote_forms_work_with_their_token_and_refuse_forgeries(database, client):
    world = paper_world()
    poll = open_now(world.vote)
    db.session.commit()
    _log_in(client, world.users["secretary"].email)
    base = f"/vote/{poll.id}/papier/section/{world.grenoble.id}"
    member = world.users["militant"].member_id

    assert client.post(f"{base}/ouvrir", data={"confirm": "y"}).status_code == 400  # no token
    assert count(SectionReport) == 0
    token = _token(page_text(client.get(base)))
    assert client.post(f"{base}/ouvrir", data={"confirm": "y", "csrf_token": token}).status_code == 302
    assert count(SectionReport) == 1

    assert client.post(f"{base}/emarger", data={"member_id": member}).status_code == 400
    assert count(Participation) == 0
    page = page_text(client.get(base))
    assert client.post(f"{base}/emarger", data={"member_id": member, "csrf_token": _token(page)}).status_code == 302
    assert count(Participation) == 1

    form = {
        "meeting_date": today_paris().isoformat(),
        "bureau_names": "Anne Martin",
        "registered": "4",
        "voters": "1",
        f"q{poll.questions[0].id}-yes": "1",
        "confirm": "y",
    }
    assert client.post(f"{base}/proces-verbal", data=form).status_code == 400
    db.session.expire_all()
    assert db.session.query(SectionReport).one().state == ReportState.OPEN
    token = _token(page_text(client.get(f"{base}/proces-verbal")))
    response = client.post(f"{base}/proces-verbal", data={**form, "csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.query(SectionReport).one().state == ReportState.SUBMITTED
