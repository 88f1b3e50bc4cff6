"""Roll changes under concurrency (PostgreSQL): a removal approved while the member votes, and two members
of the Bureau national deciding the same change at once.

Each attempt runs in its own thread, application context, session and connection, and commits like
a request. PostgreSQL only: SQLite runs one writer at a time.
"""

from __future__ import annotations

import hashlib
import threading

import pytest
import sqlalchemy as sa

from convention.domain.errors import DomainError
from convention.domain.polls import RollChangeKind, RollChangeState
from convention.domain.roles import Role
from convention.extensions import db
from convention.members.models import User
from convention.votes import operations, roll
from convention.votes.models import Participation, Poll, RollChange, RollEntry
from tests.auth_fixtures import make_member, make_user
from tests.integration.test_vote_operations import answer, make_vote_world, open_now

MEMBERS = 12
REASON = "Inscrit·e par erreur : adhésion annulée avant la date."


def _run(app, barrier, outcomes, key, fn) -> None:
    with app.app_context():
        try:
            barrier.wait(timeout=60)
            fn()
            db.session.commit()
            outcomes[key] = "ok"
        except DomainError as error:
            db.session.rollback()
            outcomes[key] = str(error)
        except Exception as error:  # noqa: BLE001 - reported by the test
            db.session.rollback()
            outcomes[key] = f"UNEXPECTED {type(error).__name__}: {error}"
        finally:
            db.session.remove()


def _threads(app, work: dict) -> dict:
    barrier = threading.Barrier(len(work))
    outcomes: dict = {}
    threads = [
        threading.Thread(target=_run, args=(app, barrier, outcomes, key, fn), daemon=True) for key, fn in work.items()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


@pytest.fixture()
def postgres_only():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (TEST_DATABASE_URL=postgresql://…): SQLite runs one writer at a time")


def test_a_removal_approved_while_the_member_votes_lets_exactly_one_through(app, database, postgres_only):
    world = make_vote_world()
    bn2 = make_user("bn2@example.org", roles=[(Role.NATIONAL_BUREAU, None)])
    section = world.users["militant"].member.section
    voters = [make_user(member=make_member(section, email=f"course{i}@example.org")) for i in range(MEMBERS)]
    poll = open_now(world)
    changes = [
        roll.request_roll_change(world.users["bn"], poll, voter.member.membership_number, RollChangeKind.REMOVE, REASON)
        for voter in voters
    ]
    ids = {"poll": poll.id, "bn2": bn2.id, "choices": answer(poll, "Pour")}
    pairs = [(voter.id, voter.member_id, change.id) for voter, change in zip(voters, changes, strict=True)]
    db.session.commit()

    def cast(user_id):
        return lambda: operations.cast_ballot(
            db.session.get(User, user_id), db.session.get(Poll, ids["poll"]), ids["choices"]
        )

    def approve(change_id):
        return lambda: roll.approve_roll_change(db.session.get(User, ids["bn2"]), db.session.get(RollChange, change_id))

    work = {}
    for user_id, _member_id, change_id in pairs:
        work[("cast", user_id)] = cast(user_id)
        work[("approve", change_id)] = approve(change_id)
    outcomes = _threads(app, work)

    db.session.expire_all()
    poll = db.session.get(Poll, ids["poll"])
    for user_id, member_id, change_id in pairs:
        voted = db.session.scalar(sa.select(Participation.id).where(Participation.member_id == member_id))
        on_roll = db.session.scalar(sa.select(RollEntry.id).where(RollEntry.member_id == member_id))
        state = db.session.get(RollChange, change_id).state
        cast_result, approve_result = outcomes[("cast", user_id)], outcomes[("approve", change_id)]
        if voted:  # the vote went first: the removal was refused, the member stays on the roll
            assert cast_result == "ok" and "a déjà voté" in approve_result
            assert on_roll and state == RollChangeState.PENDING
        else:  # the removal went first: the vote was refused
            assert approve_result == "ok" and "liste électorale" in cast_result, (cast_result, approve_result)
            assert not on_roll and state == RollChangeState.APPROVED
    assert poll.roll_size == db.session.scalar(sa.select(sa.func.count()).where(RollEntry.poll_id == poll.id))
    assert poll.roll_hash == hashlib.sha256(roll.roll_numbers_text(poll).encode()).hexdigest()


def test_two_members_deciding_the_same_change_at_once_make_one_decision(app, database, postgres_only):
    world = make_vote_world()
    deciders = [make_user(f"bn{i}@example.org", roles=[(Role.NATIONAL_BUREAU, None)]) for i in range(2, 8)]
    poll = open_now(world)
    change = roll.request_roll_change(
        world.users["bn"], poll, world.users["unpaid"].member.membership_number, RollChangeKind.ADD, REASON
    )
    ids = {"change": change.id, "size": poll.roll_size}
    db.session.commit()

    def decide(user_id, approve):
        def run():
            user, target = db.session.get(User, user_id), db.session.get(RollChange, ids["change"])
            if approve:
                roll.approve_roll_change(user, target)
            else:
                roll.refuse_roll_change(user, target, "Refus concurrent d'un autre membre.")

        return run

    outcomes = _threads(app, {(u.id, i % 2 == 0): decide(u.id, i % 2 == 0) for i, u in enumerate(deciders)})
    assert sum(result == "ok" for result in outcomes.values()) == 1, outcomes
    assert all(result == "ok" or "déjà été tranchée" in result for result in outcomes.values()), outcomes
    db.session.expire_all()
    change = db.session.get(RollChange, ids["change"])
    poll = db.session.get(Poll, poll.id)
    entries = db.session.scalar(sa.select(sa.func.count()).where(RollEntry.poll_id == poll.id))
    if change.state == RollChangeState.APPROVED:
        assert entries == poll.roll_size == ids["size"] + 1
    else:
        assert change.state == RollChangeState.REFUSED and entries == poll.roll_size == ids["size"]
