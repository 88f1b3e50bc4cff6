"""Paper and online at once: 50 parallel attempts for one member (online casts and paper marks) → one participation.

Each attempt runs in its own thread, application context, session and database connection, and
commits like a request. PostgreSQL only: it is the production engine, and the one where the
attempts really run in parallel (SQLite serialises every writer on one file lock).
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
import sqlalchemy as sa

from convention.domain.errors import DomainError
from convention.domain.polls import VoteChannel
from convention.extensions import db
from convention.members.models import User
from convention.votes import operations, paper
from convention.votes.models import Ballot, Participation, Poll, SectionReport
from tests.integration.test_vote_operations import answer, count, open_now
from tests.integration.test_vote_paper import paper_world

ATTEMPTS = 50
CLEAR_REFUSALS = ("déjà voté", "émargé·e", "a voté en ligne")


def _attempt(app, barrier, kind: str, ids: dict, outcomes: list, index: int) -> None:
    with app.app_context():
        try:
            barrier.wait(timeout=60)
            poll = db.session.get(Poll, ids["poll"])
            if kind == "online":
                voter = db.session.get(User, ids["voter"])
                operations.cast_ballot(voter, poll, ids["choices"])
            else:
                secretary = db.session.get(User, ids["secretary"])
                report = db.session.get(SectionReport, ids["report"])
                paper.mark_voter(secretary, report, ids["member"])
            db.session.commit()
            outcomes[index] = (kind, "ok")
        except DomainError as error:
            db.session.rollback()
            outcomes[index] = (kind, str(error))
        except Exception as error:  # noqa: BLE001 - anything else is a failure the test reports
            db.session.rollback()
            outcomes[index] = (kind, f"UNEXPECTED {type(error).__name__}: {error}")
        finally:
            db.session.remove()


def test_fifty_parallel_online_casts_and_paper_marks_leave_exactly_one_participation(app, database):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (TEST_DATABASE_URL=postgresql://…): SQLite runs one writer at a time")
    world = paper_world()
    poll = open_now(world.vote)
    report = paper.open_report(world.users["secretary"], poll, world.grenoble)
    voter = world.users["militant"]
    ids = {
        "poll": poll.id,
        "report": report.id,
        "voter": voter.id,
        "member": voter.member_id,
        "secretary": world.users["secretary"].id,
        "choices": answer(poll, "Pour"),
    }
    db.session.commit()

    barrier = threading.Barrier(ATTEMPTS)
    outcomes: list = [None] * ATTEMPTS
    threads = [
        threading.Thread(
            target=_attempt, args=(app, barrier, "online" if i % 2 else "paper", ids, outcomes, i), daemon=True
        )
        for i in range(ATTEMPTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads)

    db.session.expire_all()
    rows = db.session.execute(
        sa.select(Participation.channel, Participation.report_id).where(Participation.member_id == ids["member"])
    ).all()
    assert len(rows) == 1, rows
    successes = [kind for kind, result in outcomes if result == "ok"]
    assert len(successes) == 1, Counter(result for _, result in outcomes)
    refusals = [result for _, result in outcomes if result != "ok"]
    unclear = [result for result in refusals if not any(fragment in result for fragment in CLEAR_REFUSALS)]
    assert unclear == [], unclear
    (channel, report_id) = rows[0]
    if successes[0] == "online":
        assert channel == VoteChannel.ONLINE and report_id is None
        assert count(Ballot) == 1
    else:
        assert channel == VoteChannel.PAPER and report_id == ids["report"]
        assert count(Ballot) == 0
