"""The count (TALLY job): per-federation sums equal the national total, idempotent, refuses a bad box."""

from __future__ import annotations

import sqlalchemy as sa

from convention.domain.polls import PollState
from convention.extensions import db
from convention.jobs.models import Job, JobKind, JobState
from convention.jobs.operations import start_job
from convention.jobs.runner import run
from convention.members.models import Member
from convention.votes import operations, queries
from convention.votes.models import Ballot, Poll, PollResult, PollTurnout
from tests.auth_fixtures import make_federation, make_member, make_section, make_user
from tests.integration.test_vote_operations import count, make_vote_world, open_now, option

VOTES = {"militant": "Pour", "voter2": "Contre", "secretary": "Abstention", "lyonnais": "Pour"}


def _vote_and_close(world):
    poll = open_now(world)
    for key, label in VOTES.items():
        operations.cast_ballot(world.users[key], poll, option(poll, label).id)
    job = operations.close_poll(world.users["bn"], poll)
    ids = poll.id, job.id
    db.session.commit()  # the count runs now (inline in tests)
    db.session.expire_all()
    return db.session.get(Poll, ids[0]), db.session.get(Job, ids[1])


def test_tally_counts_per_federation_and_nationally(database):
    world = make_vote_world()
    poll, job = _vote_and_close(world)
    assert job.state == JobState.SUCCEEDED, job.error
    assert poll.state == PollState.TALLIED and poll.tallied_dt is not None
    assert any("4 bulletin(s)" in line for line in job.result["lines"])
    results = queries.get_results(poll)
    labels = {o.id: o.label for o in poll.options}
    national = {labels[o.option_id]: o.votes for o in results.national.summary.options}
    assert national == {"Pour": 2, "Contre": 1, "Abstention": 1}
    assert (results.national.summary.blank, results.national.summary.expressed) == (1, 3)
    assert (results.national.summary.registered, results.national.summary.voters) == (poll.roll_size, 4)
    by_fed = {u.federation_id: {labels[o.option_id]: o.votes for o in u.summary.options} for u in results.federations}
    assert by_fed[world.isere.id] == {"Pour": 1, "Contre": 1, "Abstention": 1}
    assert by_fed[world.rhone.id] == {"Pour": 1, "Contre": 0, "Abstention": 0}
    # Per-federation sums equal the national total, for every option and for the turnout.
    for option_id in labels:
        assert sum(o.votes for u in results.federations for o in u.summary.options if o.option_id == option_id) == next(
            o.votes for o in results.national.summary.options if o.option_id == option_id
        )
    assert sum(u.summary.registered for u in results.federations) == results.national.summary.registered
    assert sum(u.summary.voters for u in results.federations) == 4


def test_tally_is_idempotent(database):
    world = make_vote_world()
    poll, _ = _vote_and_close(world)
    before = _result_rows()
    rows = count(PollResult), count(PollTurnout)
    job = operations.relaunch_tally(world.users["bn"], poll)
    job_id = job.id
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Job, job_id).state == JobState.SUCCEEDED
    # A second delivery of the same job does not run it again.
    assert run(job_id) == "succeeded"
    after = _result_rows()
    assert after == before and (count(PollResult), count(PollTurnout)) == rows
    assert db.session.get(Poll, poll.id).state == PollState.TALLIED


def test_tally_fails_when_ballots_and_emargement_disagree(database):
    world = make_vote_world()
    poll = open_now(world)
    operations.cast_ballot(world.users["militant"], poll, option(poll, "Pour").id)
    # A ballot nobody signed for (stuffing the box).
    db.session.add(
        Ballot(
            poll_id=poll.id, option_id=option(poll, "Contre").id, federation_id=world.isere.id, receipt_hash="0" * 64
        )
    )
    job = operations.close_poll(world.users["bn"], poll)
    ids = poll.id, job.id
    db.session.commit()
    db.session.expire_all()
    job = db.session.get(Job, ids[1])
    assert job.state == JobState.FAILED
    assert "2 bulletin(s)" in job.error and "1 votant(s)" in job.error
    assert db.session.get(Poll, ids[0]).state == PollState.CLOSED
    assert count(PollResult) == 0 and count(PollTurnout) == 0


def test_tally_refuses_a_poll_that_is_not_closed(database):
    world = make_vote_world()
    poll = open_now(world)
    job = start_job(world.users["bn"], JobKind.TALLY, {"poll_id": poll.id})
    job_id = job.id
    db.session.commit()
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    assert job.state == JobState.FAILED and "clos" in job.error
    assert count(PollResult) == 0


def test_many_voters_in_many_federations(database):
    """A bigger box: 3 federations, 60 voters; the per-federation sums still give the national total."""
    world = make_vote_world()
    sections = [make_section(world.isere, "Voiron"), make_section(world.rhone, "Villeurbanne")]
    sections.append(make_section(make_federation("2A", "Corse-du-Sud"), "Ajaccio"))
    voters = [make_user(member=make_member(sections[i % 3])) for i in range(60)]
    poll = open_now(world)
    labels = ["Pour", "Contre", "Abstention"]
    for i, user in enumerate(voters):
        operations.cast_ballot(user, poll, option(poll, labels[(i * 7) % 3]).id)
    job = operations.close_poll(world.users["bn"], poll)
    ids = poll.id, job.id
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Job, ids[1]).state == JobState.SUCCEEDED
    results = queries.get_results(db.session.get(Poll, ids[0]))
    assert len(results.federations) == 3
    assert results.national.summary.ballots == 60
    assert sum(u.summary.ballots for u in results.federations) == 60
    assert results.national.summary.registered == db.session.scalar(
        sa.select(sa.func.count()).select_from(Member).where(Member.dues_paid_until >= poll.roll_cutoff)
    )


def _result_rows() -> list[tuple]:
    rows = db.session.execute(sa.select(PollResult.federation_id, PollResult.option_id, PollResult.votes)).all()
    return sorted((fid or 0, oid, votes) for fid, oid, votes in rows)
