"""The demo's members' vote: the « vote militant » of the seeded convention, counted and proclaimed.

Run by ``flask seed --demo`` after the demo population is committed. The poll goes through the
real operations (create, schedule, open — which freezes the roll —, close, the tally job,
proclaim), dated on the convention's vote day. Only the ballots are written in bulk, since the
demo members have no accounts to vote with: a reproducible turnout and choice per federation.
The vote is in the past, so its notifications are not kept (nobody is told of a 2025 vote today).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from convention.core.db import db
from convention.domain.phases import PhaseKind
from convention.domain.polls import PollState
from convention.jobs import runner
from convention.members.models import User
from convention.notifications.models import Notification
from convention.votes import operations
from convention.votes.models import (
    Ballot,
    Participation,
    Poll,
    RollEntry,
    hash_receipt_code,
    new_ballot_id,
    new_receipt_code,
)

PARIS = ZoneInfo("Europe/Paris")
TITLE = "Vote militant sur le texte de la convention"
QUESTION = "Approuvez-vous le texte de la Convention nationale sur la sécurité et la prévention de la délinquance ?"
CHUNK = 5000


@dataclass
class DemoVoteReport:
    created: bool = False
    voters: int = 0
    registered: int = 0
    proclaimed: bool = False
    skipped: str = ""

    def lines(self) -> list[str]:
        if self.skipped:
            return [f"Vote de démonstration ignoré : {self.skipped}"]
        if not self.created:
            return ["Vote de démonstration déjà présent : rien n'a changé."]
        state = "proclamé" if self.proclaimed else "dépouillé, à proclamer"
        return [f"Vote de démonstration : {self.voters} votant·es sur {self.registered} inscrit·es ({state})."]


def _forget_notifications(poll: Poll) -> None:
    db.session.execute(sa.delete(Notification).where(Notification.url == operations.poll_url(poll)))


def _cast_demo_ballots(poll: Poll, rng: random.Random, voted_between: tuple[dt.datetime, dt.datetime]) -> int:
    """Émargements and ballots for a reproducible share of each federation's roll."""
    options = sorted(poll.options, key=lambda option: option.position)
    start, end = voted_between
    seconds = int((end - start).total_seconds()) - 1
    entries = db.session.execute(
        sa.select(RollEntry.member_id, RollEntry.federation_id)
        .where(RollEntry.poll_id == poll.id)
        .order_by(RollEntry.federation_id, RollEntry.member_id)
    ).all()
    by_federation: dict[int, list[int]] = {}
    for member_id, federation_id in entries:
        by_federation.setdefault(federation_id, []).append(member_id)
    participations, ballots = [], []
    for federation_id, members in by_federation.items():
        turnout = rng.uniform(0.45, 0.8)
        yes = rng.uniform(0.6, 0.9)
        no = rng.uniform(0.05, 1 - yes)
        weights = [yes, no, max(0.0, 1 - yes - no)][: len(options)]
        for member_id in members:
            if rng.random() >= turnout:
                continue
            participations.append(
                {
                    "poll_id": poll.id,
                    "member_id": member_id,
                    "voted_dt": start + dt.timedelta(seconds=rng.randint(0, seconds)),
                }
            )
            option = rng.choices(options, weights=weights)[0]
            ballots.append(
                {
                    "id": new_ballot_id(),
                    "poll_id": poll.id,
                    "option_id": option.id,
                    "federation_id": federation_id,
                    "receipt_hash": hash_receipt_code(new_receipt_code()),
                }
            )
    rng.shuffle(ballots)  # the box holds no order
    for start_index in range(0, len(participations), CHUNK):
        db.session.execute(sa.insert(Participation), participations[start_index : start_index + CHUNK])
        db.session.execute(sa.insert(Ballot), ballots[start_index : start_index + CHUNK])
    return len(participations)


def seed_demo_vote(convention, seed_value: int = 2025) -> DemoVoteReport:
    """Create, run, count and proclaim the demo vote once (commits: it goes through the tally job)."""
    report = DemoVoteReport()
    if db.session.scalar(sa.select(Poll.id).where(Poll.convention_id == convention.id, Poll.title == TITLE)):
        return report
    phase = convention.phase(PhaseKind.MEMBERS_VOTE)
    bureau = db.session.scalar(sa.select(User).where(User.email == "demo.bn@exemple.fr"))
    if phase is None or phase.starts_on is None or bureau is None:
        report.skipped = "la convention n'a pas de date de vote militant ou le compte du Bureau national manque."
        return report
    day = phase.starts_on
    opens_at = dt.datetime.combine(day, dt.time(8, 0), PARIS).astimezone(dt.UTC)
    closes_at = dt.datetime.combine(phase.ends_on or day, dt.time(20, 0), PARIS).astimezone(dt.UTC)
    poll = operations.create_poll(
        bureau,
        convention,
        operations.PollData(title=TITLE, question=QUESTION, opens_at=opens_at, closes_at=closes_at, roll_cutoff=day),
    )
    operations.schedule_poll(bureau, poll, now=opens_at - dt.timedelta(days=7))
    operations.open_poll(None, poll, now=opens_at)
    report.voters = _cast_demo_ballots(poll, random.Random(seed_value), (opens_at, closes_at))
    report.registered = poll.roll_size
    job = operations.close_poll(None, poll, now=closes_at)
    _forget_notifications(poll)
    db.session.commit()  # the tally job runs now (inline), or in a worker with a broker
    report.created = True
    runner.run(job.id)  # counted here if no worker got to it first (claimed once either way)
    db.session.expire_all()
    poll = db.session.get(Poll, poll.id)
    if poll.state == PollState.TALLIED:
        report.proclaimed = operations.proclaim(bureau, poll, now=closes_at + dt.timedelta(hours=1))
        _forget_notifications(poll)
        db.session.commit()
    return report
