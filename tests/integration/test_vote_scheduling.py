"""The scheduler of the members' vote: polls opened, reminded and closed on time, each once."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from convention.core.db import utcnow
from convention.domain.polls import PollState
from convention.extensions import db
from convention.jobs.models import Job, JobKind, JobState
from convention.notifications.models import Notification
from convention.votes import operations
from convention.votes.models import Poll, RollEntry
from convention.votes.scheduling import run_due_polls
from tests.integration.test_vote_operations import answer, count, make_poll, make_vote_world

NOW = utcnow().replace(microsecond=0)


def _scheduled(world, opens_at, closes_at) -> int:
    poll = make_poll(world, opens_at=opens_at, closes_at=closes_at)
    assert operations.schedule_poll(world.users["bn"], poll, now=opens_at - dt.timedelta(days=1))
    db.session.commit()
    return poll.id


def _poll(poll_id) -> Poll:
    db.session.expire_all()
    return db.session.get(Poll, poll_id)


def test_a_scheduled_poll_opens_once(database):
    world = make_vote_world()
    poll_id = _scheduled(world, NOW + dt.timedelta(hours=1), NOW + dt.timedelta(days=3))
    assert run_due_polls(NOW) == {"opened": [], "reminded": [], "closed": []}
    assert _poll(poll_id).state == PollState.SCHEDULED
    later = NOW + dt.timedelta(hours=1)
    assert run_due_polls(later)["opened"] == [poll_id]
    poll = _poll(poll_id)
    assert poll.state == PollState.OPEN and poll.opened_dt == later and poll.opens_at == later
    roll, told = count(RollEntry), count(Notification)
    assert roll == poll.roll_size > 0 and told > 0
    # A second run (or a second scheduler) does nothing.
    assert run_due_polls(later + dt.timedelta(minutes=1)) == {"opened": [], "reminded": [], "closed": []}
    assert (count(RollEntry), count(Notification)) == (roll, told)


def test_the_reminder_goes_once_and_only_to_members_who_have_not_voted(database):
    world = make_vote_world()
    poll_id = _scheduled(world, NOW, NOW + dt.timedelta(days=3))
    run_due_polls(NOW)
    poll = _poll(poll_id)
    operations.cast_ballot(world.users["militant"], poll, answer(poll, "Pour"), now=NOW + dt.timedelta(hours=1))
    db.session.commit()
    before = count(Notification)
    # More than 24 hours before the close: no reminder yet.
    assert run_due_polls(NOW + dt.timedelta(days=1))["reminded"] == []
    when = NOW + dt.timedelta(days=2, hours=1)
    assert run_due_polls(when)["reminded"] == [poll_id]
    reminders = db.session.scalars(sa.select(Notification).where(Notification.subject.startswith("Rappel"))).all()
    reminded = {n.user_id for n in reminders}
    expected = {u.id for k, u in world.users.items() if k in ("voter2", "lyonnais", "secretary")}
    assert reminded == expected
    assert all("pas encore voté" in n.body for n in reminders)
    assert all("Pour" not in n.body + n.subject and "Contre" not in n.body + n.subject for n in reminders)
    assert _poll(poll_id).reminder_sent_dt == when
    assert run_due_polls(when + dt.timedelta(hours=1))["reminded"] == []
    assert count(Notification) == before + len(expected)
    # Calling the operation directly again does nothing either.
    assert operations.send_reminder(_poll(poll_id), now=when) is None


def test_a_poll_closes_once_and_is_counted(database):
    world = make_vote_world()
    poll_id = _scheduled(world, NOW, NOW + dt.timedelta(days=1))
    run_due_polls(NOW)
    poll = _poll(poll_id)
    operations.cast_ballot(world.users["lyonnais"], poll, answer(poll, "Contre"), now=NOW)
    db.session.commit()
    after_close = NOW + dt.timedelta(days=1)
    result = run_due_polls(after_close)
    assert result["closed"] == [poll_id]
    poll = _poll(poll_id)
    assert poll.state == PollState.TALLIED and poll.closed_dt == after_close
    jobs = db.session.scalars(sa.select(Job).where(Job.kind == JobKind.TALLY)).all()
    assert len(jobs) == 1 and jobs[0].state == JobState.SUCCEEDED and jobs[0].created_by_id is None
    assert run_due_polls(after_close + dt.timedelta(minutes=1)) == {"opened": [], "reminded": [], "closed": []}
    assert count(Job) == 1


def test_a_short_poll_gets_no_reminder_and_a_missed_window_does_not_open(database):
    world = make_vote_world()
    short = _scheduled(world, NOW, NOW + dt.timedelta(hours=10))
    missed = _scheduled(world, NOW - dt.timedelta(days=3), NOW - dt.timedelta(days=2))
    result = run_due_polls(NOW + dt.timedelta(minutes=5))
    assert result["opened"] == [short] and result["reminded"] == []
    assert _poll(missed).state == PollState.SCHEDULED


def test_beat_s_tick_opens_and_closes_polls(database, app):
    """The beat task ``convention.scheduling.tick`` drives the polls (with the phases and reminders)."""
    from convention.scheduling.tick import run_tick

    world = make_vote_world()
    poll_id = _scheduled(world, NOW, NOW + dt.timedelta(hours=2))
    summary = run_tick(NOW + dt.timedelta(minutes=1))
    assert summary["failed"] == [] and summary["results"]["polls"]["opened"] == [poll_id]
    assert run_tick(NOW + dt.timedelta(minutes=2))["results"]["polls"]["opened"] == []
    closed = run_tick(NOW + dt.timedelta(hours=2, minutes=1))["results"]["polls"]["closed"]
    assert closed == [poll_id] and _poll(poll_id).state == PollState.TALLIED
