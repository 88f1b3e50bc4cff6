"""The demo's members' vote: run through the real operations, counted by the tally job, proclaimed."""

from __future__ import annotations

import sqlalchemy as sa

from convention.core.db import db
from convention.domain.polls import PollState
from convention.jobs.models import Job, JobState
from convention.members.models import Member
from convention.notifications.models import Notification
from convention.votes.models import Ballot, Participation, Poll, PollResult, PollTurnout, RollEntry
from seed.demo import seed_demo
from seed.demo_vote import seed_demo_vote
from tests.auth_fixtures import make_convention


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def test_demo_vote_is_counted_and_proclaimed_once(database):
    convention = make_convention()
    seed_demo(members=120)
    db.session.commit()
    convention_id = convention.id

    report = seed_demo_vote(convention)
    db.session.expire_all()
    poll = db.session.scalar(sa.select(Poll))
    assert report.created and report.proclaimed and poll.state == PollState.PROCLAIMED
    vote_day = poll.roll_cutoff
    eligible = count(Member, Member.dues_paid_until >= vote_day, Member.section_id.is_not(None))
    assert report.registered == poll.roll_size == count(RollEntry) == eligible > 0
    assert 0 < report.voters == count(Participation) == count(Ballot) < report.registered
    national = db.session.scalars(sa.select(PollResult.votes).where(PollResult.federation_id.is_(None))).all()
    per_federation = db.session.scalars(
        sa.select(PollResult.votes).where(PollResult.federation_id.is_not(None))
    ).all()
    assert sum(national) == sum(per_federation) == report.voters
    total = db.session.scalar(sa.select(PollTurnout).where(PollTurnout.federation_id.is_(None)))
    assert (total.registered, total.voters) == (report.registered, report.voters)
    assert db.session.scalar(sa.select(Job.state)) == JobState.SUCCEEDED
    # Every émargement falls inside the voting window; nobody is told today of a past vote.
    assert count(Participation, sa.or_(Participation.voted_dt < poll.opens_at, Participation.voted_dt >= poll.closes_at)) == 0
    assert count(Notification) == 0

    again = seed_demo_vote(db.session.get(type(convention), convention_id))
    assert not again.created and again.lines() == ["Vote de démonstration déjà présent : rien n'a changé."]
    assert count(Poll) == 1 and count(Ballot) == report.voters
