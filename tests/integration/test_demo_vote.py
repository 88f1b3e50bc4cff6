"""The demo's polls: a past consultation run through the real operations (a section voting on
paper), counted by the tally job and proclaimed; the members' vote on the text scheduled on its
day; and the open demo vote to try."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from convention.core.db import db
from convention.domain.counting import Tally
from convention.domain.phases import PhaseKind
from convention.domain.polls import PollState, QuestionMethod, ReportState, VoteChannel
from convention.jobs.models import Job, JobState
from convention.members.models import Member, User
from convention.notifications.models import Notification
from convention.votes.models import (
    Ballot,
    Participation,
    Poll,
    PollTurnout,
    QuestionTally,
    RollChange,
    RollEntry,
    SectionReport,
)
from seed.demo import seed_demo
from seed.demo_convention import days_to_open
from seed.demo_vote import OPEN_TITLE, PAST_TITLE, TITLE, seed_demo_vote
from tests.auth_fixtures import make_convention

PARIS = ZoneInfo("Europe/Paris")


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def test_demo_vote_is_counted_and_proclaimed_once_and_a_demo_vote_is_open(database):
    today = dt.date.today()
    convention = make_convention()
    # Placed as the demo convention is: the amendment phase open today, the vote to come.
    delta = dt.timedelta(days=days_to_open(convention.phases, PhaseKind.AMENDMENTS, today))
    for phase in convention.phases:
        phase.starts_on += delta
        phase.ends_on = phase.ends_on + delta if phase.ends_on else None
    seed_demo(members=300)
    db.session.commit()
    convention_id = convention.id

    report = seed_demo_vote(convention, today=today)
    db.session.expire_all()
    convention = db.session.get(type(convention), convention_id)
    poll = db.session.scalar(sa.select(Poll).where(Poll.title == PAST_TITLE))
    assert report.created and report.proclaimed and poll.state == PollState.PROCLAIMED
    # Held before the contributions closed, in the past.
    assert poll.closes_at.date() <= convention.phase(PhaseKind.CONTRIBUTIONS).ends_on < today
    # The members' vote on the text: scheduled on the convention's vote day.
    text_vote = db.session.scalar(sa.select(Poll).where(Poll.title == TITLE))
    vote_day = convention.phase(PhaseKind.MEMBERS_VOTE).starts_on
    assert report.text_vote_created and text_vote.state == PollState.SCHEDULED
    assert text_vote.opens_at.astimezone(PARIS).date() == vote_day > today
    assert [q.method for q in poll.questions] == [QuestionMethod.YES_NO_ABSTAIN, QuestionMethod.MAJORITY_JUDGMENT]
    cutoff = poll.roll_cutoff
    eligible = count(Member, Member.dues_paid_until >= cutoff, Member.section_id.is_not(None))
    assert report.registered == poll.roll_size == count(RollEntry, RollEntry.poll_id == poll.id) == eligible > 0
    # Grenoble voted on paper: its minutes validated by the federation; the others online.
    paper = count(Participation, Participation.poll_id == poll.id, Participation.channel == VoteChannel.PAPER)
    online = count(Participation, Participation.poll_id == poll.id, Participation.channel == VoteChannel.ONLINE)
    assert paper > 0 and online == count(Ballot, Ballot.poll_id == poll.id)
    assert 0 < report.voters == paper + online < report.registered
    (sheet,) = db.session.scalars(sa.select(SectionReport).where(SectionReport.poll_id == poll.id)).all()
    assert sheet.state == ReportState.VALIDATED and sheet.validated_revision.voters == paper
    # The national count holds every voter, online and paper.
    text = poll.questions[0]
    national = db.session.scalar(
        sa.select(QuestionTally.tally).where(
            QuestionTally.question_id == text.id,
            QuestionTally.federation_id.is_(None),
            QuestionTally.section_id.is_(None),
        )
    )
    assert Tally.from_json(json.loads(national)).ballots == report.voters
    total = db.session.scalar(
        sa.select(PollTurnout).where(
            PollTurnout.poll_id == poll.id, PollTurnout.federation_id.is_(None), PollTurnout.section_id.is_(None)
        )
    )
    assert (total.registered, total.voters, total.paper_voters) == (report.registered, report.voters, paper)
    assert db.session.scalar(sa.select(Job.state)) == JobState.SUCCEEDED
    assert poll.export_hash and poll.roll_hash
    # Every émargement falls inside the voting window; nobody is told today of a past vote.
    outside = sa.or_(Participation.voted_dt < poll.opens_at, Participation.voted_dt >= poll.closes_at)
    assert count(Participation, Participation.poll_id == poll.id, outside) == 0

    # The open demo vote: open today for two weeks, some ballots in, no demo account has voted.
    demo = db.session.scalar(sa.select(Poll).where(Poll.title == OPEN_TITLE))
    assert report.open_created and demo.state == PollState.OPEN and len(demo.questions) == 2
    assert demo.accepts_ballots(dt.datetime.now(dt.UTC))
    assert report.open_voters == count(Ballot, Ballot.poll_id == demo.id) > 0
    accounts = sa.select(User.member_id).where(User.email.like("demo.%"))
    assert count(Participation, Participation.poll_id == demo.id, Participation.member_id.in_(accounts)) == 0
    # The roll's public log: one member added (approved by the second member of the Bureau national), one refused.
    states = sorted(
        c.state.value for c in db.session.scalars(sa.select(RollChange).where(RollChange.poll_id == demo.id))
    )
    assert states == ["approved", "refused"]
    assert demo.roll_size == count(RollEntry, RollEntry.poll_id == demo.id)
    assert count(Notification) == 0

    again = seed_demo_vote(db.session.get(type(convention), convention_id), today=today + dt.timedelta(days=14))
    assert not again.created and not again.open_created and not again.text_vote_created
    assert again.lines() == ["Consultation militante de la démonstration déjà présente : rien n'a changé."]
    assert count(Poll) == 3 and count(Ballot) == report.voters - paper + report.open_voters
