"""The booth (isoloir): the ballot flow's light pages on vote day (issue 11 §6).

- a member who may vote gets the ballot in the booth's frame (no navigation, so none of its
  per-user queries), with the confirmation ready in the page for the script; ``?details=1`` and
  the Bureau national get the whole poll page;
- the poll's questions are copied once per process when the poll is open (never before: a draft
  can still change) and the ballot flow then reads none of them from the database;
- the cached page gets each member's own CSRF token, and the receipt each ballot's own code;
- the cast (the script's single POST with ``confirmed=1``) writes one émargement and one ballot in
  a handful of statements.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from convention.core.db import utcnow
from convention.domain.polls import QuestionMethod
from convention.extensions import db, limiter
from convention.votes import cache, operations
from convention.votes.models import Ballot, Participation, Poll
from convention.votes.operations import PollData, QuestionData
from tests.auth_fixtures import (
    make_convention,
    make_federation,
    make_member,
    make_section,
    make_user,
    page_text,
    switch_user,
)

RECEIPT = re.compile(r"[A-Z2-9]{5}(?:-[A-Z2-9]{5}){3}")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _no_login_rate_limit():
    limiter.reset()
    yield
    limiter.reset()


def _world(voters: int = 3):
    from convention.domain.roles import Role

    convention = make_convention()
    section = make_section(make_federation("38", "Isère"), "Grenoble")
    emails = []
    for number in range(1, voters + 1):
        email = f"isoloir{number:02d}@example.org"
        make_user(
            member=make_member(section, "Votant", f"N{number:02d}", email=email, dues_paid_until=dt.date(2099, 1, 1))
        )
        emails.append(email)
    bn = make_user("bn@example.org", roles=[(Role.NATIONAL_BUREAU, None)], display_name="Bureau national")
    return bn, emails, convention


def _data(**changes) -> PollData:
    now = utcnow()
    values = dict(
        title="Adoption du texte",
        question="Approuvez-vous le texte ?",
        opens_at=now - dt.timedelta(hours=1),
        closes_at=now + dt.timedelta(days=1),
        roll_cutoff=dt.date(2030, 1, 1),
        questions=[
            QuestionData("Le texte dans son ensemble"),
            QuestionData("La rédaction", QuestionMethod.SINGLE, options=[("Courte", ""), ("Longue", "")]),
        ],
    )
    values.update(changes)
    return PollData(**values)


class Statements:
    """The SQL statements run while the block runs."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        self.seen.append(statement)

    def touching(self, table: str) -> list[str]:
        return [s for s in self.seen if re.search(rf"\b{table}\b", s)]


def test_a_voter_gets_the_booth_and_the_others_the_whole_page(client, database):
    bn, emails, convention = _world()
    poll = operations.create_poll(bn, convention, _data())
    assert operations.open_poll(bn, poll)
    poll_id = poll.id
    db.session.commit()

    switch_user(client, emails[0])
    client.get(f"/vote/{poll_id}")  # the first request of the process copies the questions
    with Statements() as sql:
        page = client.get(f"/vote/{poll_id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Quitter l'isoloir" in text and 'id="ballot-form"' in text and "data-confirm-in-page" in text
    assert "Navigation principale" not in text and "Notifications" not in text
    # The confirmation is in the page, hidden until the script shows it, with the server page's words.
    assert 'id="confirmation"' in text and "Votre vote est définitif." in text and "Je confirme mon vote" in text
    assert "/static/js/ballot.js" in text
    # No per-user query of the navigation, no question read: the user, the convention, the poll, the voter.
    assert sql.touching("notification") == [] and sql.touching("poll_question") == []
    assert len(sql.seen) <= 5, sql.seen

    # The whole page on demand, with the same ballot.
    details = page_text(client.get(f"/vote/{poll_id}?details=1"))
    assert "Navigation principale" in details and 'id="ballot-form"' in details and "Liste électorale" in details
    # The Bureau national keeps the whole page (its controls) even when it may vote.
    switch_user(client, "bn@example.org")
    assert "Quitter l'isoloir" not in page_text(client.get(f"/vote/{poll_id}"))


def test_the_questions_are_cached_only_once_the_poll_is_open(client, app, database):
    bn, emails, convention = _world()
    poll = operations.create_poll(bn, convention, _data())
    db.session.commit()
    store = cache._store()
    builds = store.builds
    draft = cache.frozen_poll(poll)
    assert not draft.cached and store.builds == builds
    # A draft can still change: the next read sees the change.
    operations.update_poll(bn, poll, _data(title="Adoption du texte amendé"))
    db.session.commit()
    assert cache.frozen_poll(db.session.get(Poll, poll.id)).title == "Adoption du texte amendé"
    assert store.builds == builds

    assert operations.open_poll(bn, poll)
    db.session.commit()
    poll_id, opened = poll.id, poll.opened_dt
    switch_user(client, emails[0])
    client.get(f"/vote/{poll_id}")
    assert store.builds == builds + 1
    # Later requests of the flow read no question, option or text from the database.
    data = {f"q{poll.questions[0].id}": "yes"}
    with Statements() as sql:
        client.get(f"/vote/{poll_id}")
        response = client.post(f"/vote/{poll_id}/bulletin", data=data)
    assert response.status_code == 422  # the second question is unanswered
    assert sql.touching("poll_question") == [] and sql.touching("poll_option") == []
    assert store.builds == builds + 1
    # The copy belongs to that opening: the same id opened at another time (a rebuilt database) is read again.
    frozen = cache.frozen_poll(db.session.get(Poll, poll_id))
    assert frozen.cached and frozen.opened_dt == opened
    db.session.get(Poll, poll_id).opened_dt = opened + dt.timedelta(seconds=1)
    assert cache.frozen_poll(db.session.get(Poll, poll_id)) is not frozen
    db.session.rollback()


def test_each_member_gets_their_own_token_and_receipt_from_the_cached_pages(app, client, database):
    bn, emails, convention = _world(3)
    poll = operations.create_poll(bn, convention, _data())
    assert operations.open_poll(bn, poll)
    poll_id = poll.id
    yes_no, single = poll.questions
    answer = {f"q{yes_no.id}": "no", f"q{single.id}": str(single.options[1].id)}
    db.session.commit()
    tokens, codes, sizes = set(), set(), set()
    for email in emails:
        client = app.test_client()  # a browser of their own (their own session, so their own token)
        switch_user(client, email)
        page = client.get(f"/vote/{poll_id}")
        token = CSRF.search(page.get_data(as_text=True)).group(1)
        assert "@@booth-" not in page.get_data(as_text=True)
        tokens.add(token)
        # What the script posts: the same form with confirmed=1 (no confirmation request).
        receipt = client.post(f"/vote/{poll_id}/bulletin", data={**answer, "csrf_token": token, "confirmed": "1"})
        assert receipt.status_code == 200
        text = receipt.get_data(as_text=True)
        assert "@@booth-" not in text and "Quitter l'isoloir" in text
        codes.add(RECEIPT.search(text).group(0))
        sizes.update({len(page.get_data()), len(receipt.get_data())})
    assert len(tokens) == len(emails) and len(codes) == len(emails)
    assert len(sizes) == 1  # every page of the flow has the poll's one size
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Participation)) == len(emails)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ballot)) == len(emails)


def test_answers_shown_again_are_never_kept_for_the_next_member(client, database):
    bn, emails, convention = _world(2)
    poll = operations.create_poll(bn, convention, _data())
    assert operations.open_poll(bn, poll)
    poll_id = poll.id
    yes_no, single = poll.questions
    db.session.commit()
    switch_user(client, emails[0])
    refused = client.post(f"/vote/{poll_id}/bulletin", data={f"q{yes_no.id}": "abstain", "confirmed": ""})
    assert refused.status_code == 422
    assert re.search(r'value="abstain" checked', refused.get_data(as_text=True))
    switch_user(client, emails[1])
    page = client.get(f"/vote/{poll_id}").get_data(as_text=True)
    assert " checked" not in page


def test_the_cast_takes_a_handful_of_statements_and_the_booth_never_reloads_after_the_commit(client, database):
    bn, emails, convention = _world(1)
    poll = operations.create_poll(bn, convention, _data())
    assert operations.open_poll(bn, poll)
    poll_id = poll.id
    yes_no, single = poll.questions
    db.session.commit()
    switch_user(client, emails[0])
    data = {f"q{yes_no.id}": "yes", f"q{single.id}": "blank", "confirmed": "1"}
    client.get(f"/vote/{poll_id}")
    with Statements() as sql:
        receipt = client.post(f"/vote/{poll_id}/bulletin", data=data)
    assert receipt.status_code == 200 and RECEIPT.search(receipt.get_data(as_text=True))
    selects = [s for s in sql.seen if s.lstrip().upper().startswith("SELECT")]
    # The account, the convention, the poll, the lock on the poll, the roll line with the émargement.
    assert len(selects) <= 5, selects
    assert len(sql.touching("participation")) <= 2 and sql.touching("poll_question") == []
