"""The demo convention's polls: a past consultation counted and proclaimed, the members' vote on the
text scheduled on its day, and an open demo vote to try at once.

Run by ``flask seed --demo`` after the demo population is committed, on the demo convention (the
archive gets none of it). The polls go through the real operations (create, schedule, open —
which freezes the roll —, close, the tally job, proclaim). The past consultation is dated a few
days before the demo's contributions phase ends, with the Grenoble section voting on paper
(minutes validated by the Isère federation); the members' vote on the text is scheduled on the
demo's vote day (it opens by itself); the open demo vote runs from yesterday for two weeks. Only
the ballots are written in bulk, since the demo members have no accounts to vote with: a
reproducible turnout and choice per federation. Past votes keep no notification. Each poll is
found again by its title: re-seeding changes nothing and moves nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from convention.core.db import db
from convention.domain.ballots import GRADES
from convention.domain.phases import PhaseKind
from convention.domain.polls import PollState, QuestionMethod, RollChangeKind, VoteChannel
from convention.jobs import runner
from convention.members.models import Member, User
from convention.notifications.models import Notification
from convention.votes import operations, paper, roll
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
# The contested proposal, offered in alternative wordings (majority judgment).
WORDINGS_TITLE = "Police de proximité : quelle rédaction retenir ?"
WORDINGS_CONTEXT = (
    "La proposition sur la police de proximité a fait l'objet d'amendements concurrents. Le Bureau national soumet "
    "aux adhérent·es les rédactions en présence : donnez une mention à chacune."
)
WORDINGS = [
    (
        "Rédaction A — partenariat",
        "Expérimenter une police de proximité nationale, sans transfert de missions vers la police municipale, "
        "dans un partenariat avec les maires.",
    ),
    (
        "Rédaction B — polices municipales",
        "Confier aux polices municipales volontaires des missions de proximité, sous l'autorité du maire et en "
        "coordination avec la police nationale.",
    ),
    (
        "Rédaction C — généralisation",
        "Généraliser dès le prochain quinquennat une police de proximité nationale dans chaque quartier prioritaire.",
    ),
]
# The consultation held before the amendments (counted and proclaimed).
PAST_TITLE = "Consultation militante : la place de la police de proximité"
PAST_QUESTION = "La convention doit-elle faire de la police de proximité sa première proposition ?"
# The open demo vote, on which a newcomer votes at once with a demo account.
OPEN_TITLE = "Vote de démonstration : essayez le vote militant"
OPEN_QUESTION = "Ce scrutin de démonstration reste ouvert : votez avec un compte de démonstration."


def demo_questions(first: str = QUESTION) -> list[operations.QuestionData]:
    """The text (Pour / Contre / Abstention, more than half of the expressed votes) and the wordings."""
    return [
        operations.QuestionData(title=first),
        operations.QuestionData(
            title=WORDINGS_TITLE,
            method=QuestionMethod.MAJORITY_JUDGMENT,
            description=WORDINGS_CONTEXT,
            options=WORDINGS,
        ),
    ]


@dataclass
class DemoVoteReport:
    created: bool = False
    voters: int = 0
    registered: int = 0
    proclaimed: bool = False
    skipped: str = ""

    open_created: bool = False
    open_voters: int = 0
    text_vote_created: bool = False
    text_vote_day: dt.date | None = None

    def lines(self) -> list[str]:
        if self.skipped:
            return [f"Vote de démonstration ignoré : {self.skipped}"]
        lines = []
        if not self.created:
            lines.append("Consultation militante de la démonstration déjà présente : rien n'a changé.")
        else:
            state = "proclamée" if self.proclaimed else "dépouillée, à proclamer"
            lines.append(
                f"Consultation militante : {self.voters} votant·es sur {self.registered} inscrit·es ({state})."
            )
        if self.text_vote_created:
            lines.append(f"Vote militant sur le texte programmé le {self.text_vote_day:%d/%m/%Y}.")
        if self.open_created:
            lines.append(f"Vote de démonstration ouvert : {self.open_voters} votant·es déjà ; votez avec un compte.")
        return lines


def _forget_notifications(poll: Poll) -> None:
    url = operations.poll_url(poll)
    db.session.execute(
        sa.delete(Notification).where(sa.or_(Notification.url == url, Notification.url.like(f"{url}/%")))
    )


def _demo_answers(poll: Poll, rng: random.Random, leaning: tuple[float, float]) -> dict[str, object]:
    """One member's answers: the text by the federation's leaning, the wordings graded around a profile."""
    yes, no = leaning
    answers: dict[str, object] = {}
    for question in poll.questions:
        if question.method == QuestionMethod.YES_NO_ABSTAIN:
            answers[question.key] = rng.choices(["yes", "no", "abstain"], weights=[yes, no, max(0.0, 1 - yes - no)])[0]
        else:
            # Wording A is liked (grades around « Bien »), B divides, C is seen as unrealistic.
            centres = [1.3, 2.6, 3.4]
            answers[question.key] = {
                str(option.id): min(len(GRADES) - 1, max(0, round(rng.gauss(centres[i % 3], 1.2))))
                for i, option in enumerate(question.options)
            }
    return answers


def _cast_demo_ballots(
    poll: Poll, rng: random.Random, voted_between: tuple[dt.datetime, dt.datetime], turnout_range=(0.45, 0.8)
) -> int:
    """Émargements and ballots for a reproducible share of each federation's roll."""
    start, end = voted_between
    seconds = max(1, int((end - start).total_seconds()) - 1)
    entries = db.session.execute(
        sa.select(RollEntry.member_id, RollEntry.federation_id, RollEntry.section_id)
        .where(RollEntry.poll_id == poll.id)
        .order_by(RollEntry.federation_id, RollEntry.member_id)
    ).all()
    voted = set(db.session.scalars(sa.select(Participation.member_id).where(Participation.poll_id == poll.id)))
    accounts = set(db.session.scalars(sa.select(User.member_id).where(User.member_id.is_not(None))))
    by_federation: dict[int, list[tuple[int, int]]] = {}
    for member_id, federation_id, section_id in entries:
        by_federation.setdefault(federation_id, []).append((member_id, section_id))
    participations, ballots = [], []
    for federation_id, members in by_federation.items():
        turnout = rng.uniform(*turnout_range)
        yes = rng.uniform(0.6, 0.9)
        no = rng.uniform(0.05, 1 - yes)
        for member_id, section_id in members:
            # Demo accounts keep their vote for the newcomer trying them.
            if rng.random() >= turnout or member_id in voted or member_id in accounts:
                continue
            participations.append(
                {
                    "poll_id": poll.id,
                    "member_id": member_id,
                    "voted_dt": start + dt.timedelta(seconds=rng.randint(0, seconds)),
                    "channel": VoteChannel.ONLINE.value,
                }
            )
            ballots.append(
                {
                    "id": new_ballot_id(),
                    "poll_id": poll.id,
                    "choices": json.dumps(_demo_answers(poll, rng, (yes, no)), separators=(",", ":"), sort_keys=True),
                    "federation_id": federation_id,
                    "section_id": section_id,
                    "receipt_hash": hash_receipt_code(new_receipt_code()),
                }
            )
    rng.shuffle(ballots)  # the box holds no order
    for start_index in range(0, len(participations), CHUNK):
        db.session.execute(sa.insert(Participation), participations[start_index : start_index + CHUNK])
        db.session.execute(sa.insert(Ballot), ballots[start_index : start_index + CHUNK])
    return len(participations)


def _demo_user(key: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == f"demo.{key}@exemple.fr"))


def _split(total: int, weights: list[float], rng: random.Random) -> list[int]:
    """``total`` spread over ``weights`` in whole numbers (the last share takes the rest)."""
    shares = [int(total * w / sum(weights)) for w in weights[:-1]]
    shares.append(total - sum(shares))
    return shares


def _paper_vote_in_grenoble(poll: Poll, rng: random.Random, meeting: dt.datetime) -> int:
    """The Grenoble section votes on paper in its meeting: émargement, minutes, validation by the federation.

    Through the operations, with the demo section secretary and the Isère federation secretary.
    Returns the paper voters (0 if the demo accounts are missing).
    """
    secretary, federation = _demo_user("section"), _demo_user("federation")
    if secretary is None or federation is None:
        return 0
    section = next(
        (role.section for role in secretary.roles if role.section is not None),
        None,
    )
    if section is None:
        return 0
    members = list(
        db.session.scalars(
            sa.select(RollEntry.member_id)
            .where(RollEntry.poll_id == poll.id, RollEntry.section_id == section.id)
            .order_by(RollEntry.member_id)
        )
    )
    voters = members[: max(1, int(len(members) * 0.6))]
    if not voters:
        return 0
    sheet = paper.open_report(secretary, poll, section, now=meeting)
    for member_id in voters:
        paper.mark_voter(secretary, sheet, member_id, now=meeting)
    count = len(voters)
    figures: dict[str, dict] = {}
    for question in poll.questions:
        if question.method == QuestionMethod.YES_NO_ABSTAIN:
            yes, no, abstain, blank = _split(count, [0.7, 0.18, 0.08, 0.04], rng)
            figures[question.key] = {"yes": yes, "no": no, "abstain": abstain, "blank": blank, "void": 0}
        else:
            valid = count - 1
            figures[question.key] = {"blank": 1, "void": 0}
            for index, option in enumerate(question.options):
                weights = [[3, 5, 3, 1, 1, 0.5], [1, 2, 3, 3, 2, 1], [0.5, 1, 2, 3, 4, 3]][index % 3]
                figures[question.key][str(option.id)] = _split(valid, weights, rng)
    registered = paper.section_roll_count(poll.id, section.id)
    paper.submit_minutes(
        secretary,
        sheet,
        paper.MinutesData(
            meeting_date=meeting.astimezone(PARIS).date(),
            bureau_names="Présidence : Julien Roux ; assesseur·es : Léa Marchetti, Yacine Haddad",
            registered=registered,
            voters=count,
            figures=figures,
        ),
        now=meeting + dt.timedelta(hours=2),
    )
    paper.validate_report(federation, sheet, now=meeting + dt.timedelta(hours=20))
    return count


def seed_demo_vote(convention, seed_value: int = 2025, today: dt.date | None = None) -> DemoVoteReport:
    """The convention's vote (created, counted and proclaimed once) and the open demo vote (commits)."""
    report = DemoVoteReport()
    if not db.session.scalar(sa.select(Poll.id).where(Poll.convention_id == convention.id, Poll.title == PAST_TITLE)):
        _seed_past_vote(convention, seed_value, report)
    if not report.skipped:
        _seed_text_vote(convention, report)
        _seed_open_vote(convention, seed_value, report, today or dt.datetime.now(PARIS).date())
    return report


def _seed_text_vote(convention, report: DemoVoteReport) -> None:
    """The members' vote on the text, scheduled on the demo's vote day (it opens by itself)."""
    if db.session.scalar(sa.select(Poll.id).where(Poll.convention_id == convention.id, Poll.title == TITLE)):
        return
    phase = convention.phase(PhaseKind.MEMBERS_VOTE)
    bureau = _demo_user("bn")
    if phase is None or bureau is None:
        return
    day = phase.starts_on
    closes_at = dt.datetime.combine(phase.ends_on or day, dt.time(20, 0), PARIS).astimezone(dt.UTC)
    if closes_at <= dt.datetime.now(dt.UTC):
        return  # the vote day is past: nothing to schedule
    poll = operations.create_poll(
        bureau,
        convention,
        operations.PollData(
            title=TITLE,
            question=QUESTION,
            opens_at=dt.datetime.combine(day, dt.time(8, 0), PARIS).astimezone(dt.UTC),
            closes_at=closes_at,
            roll_cutoff=day - dt.timedelta(days=7),
            questions=demo_questions(),
        ),
    )
    operations.schedule_poll(bureau, poll)
    report.text_vote_created, report.text_vote_day = True, day
    db.session.commit()


def _seed_open_vote(convention, seed_value: int, report: DemoVoteReport, today: dt.date) -> None:
    """A vote open from yesterday for two weeks, with a part of the roll already voted online.

    Re-seeding on a later day changes nothing (found by its title); the demo accounts have not voted.
    """
    if db.session.scalar(sa.select(Poll.id).where(Poll.convention_id == convention.id, Poll.title == OPEN_TITLE)):
        return
    bureau = db.session.scalar(sa.select(User).where(User.email == "demo.bn@exemple.fr"))
    opens_at = dt.datetime.combine(today - dt.timedelta(days=1), dt.time(8, 0), PARIS).astimezone(dt.UTC)
    closes_at = dt.datetime.combine(today + dt.timedelta(days=14), dt.time(20, 0), PARIS).astimezone(dt.UTC)
    poll = operations.create_poll(
        bureau,
        convention,
        operations.PollData(
            title=OPEN_TITLE,
            question=OPEN_QUESTION,
            description=(
                "Un scrutin **de démonstration**, ouvert pour essayer : le vote en ligne avec ses deux questions, "
                "l'émargement d'une section qui vote sur papier (compte « secrétaire de section »), la validation du "
                "procès-verbal (compte « première secrétaire fédérale »), puis la clôture et la proclamation "
                "(compte « Bureau national »)."
            ),
            opens_at=opens_at,
            closes_at=closes_at,
            roll_cutoff=today - dt.timedelta(days=2),
            questions=demo_questions(),
        ),
    )
    operations.open_poll(bureau, poll, now=opens_at)
    _roll_changes(poll, bureau)
    _forget_notifications(poll)
    now = dt.datetime.now(dt.UTC)
    report.open_voters = _cast_demo_ballots(poll, random.Random(seed_value + 1), (opens_at, now), (0.15, 0.3))
    report.open_created = True
    db.session.commit()


def refresh_open_vote(convention, today: dt.date, seed_value: int = 2025) -> str | None:
    """After ``flask demo shift``: a newcomer can still try the vote (commits).

    The shift moves the open demo vote's window with every other date, but not its state: a vote
    the scheduler closed in the meantime would sit « clos » over a window that contains today.
    Such a vote keeps its ballots and results under a dated title, and a fresh one is opened.
    """
    poll = db.session.scalar(
        sa.select(Poll).where(Poll.convention_id == convention.id, Poll.title == OPEN_TITLE)
    )
    now = dt.datetime.combine(today, dt.datetime.now(PARIS).time(), PARIS).astimezone(dt.UTC)
    if poll is not None and poll.state == PollState.OPEN and poll.opens_at <= now < poll.closes_at:
        return None
    if poll is not None:
        poll.title = f"{OPEN_TITLE} (précédent, ouvert le {poll.opens_at.astimezone(PARIS):%d/%m/%Y})"
        db.session.flush()
    _seed_open_vote(convention, seed_value, DemoVoteReport(), today)
    return (
        f"Vote de démonstration : l'ancien (« {poll.title} ») est gardé, un nouveau est ouvert jusqu'au "
        f"{(today + dt.timedelta(days=14)):%d/%m/%Y}."
        if poll is not None
        else "Vote de démonstration ouvert."
    )


def _roll_changes(poll: Poll, bureau: User) -> None:
    """The roll's public log: one member added (approved by a second member of the Bureau national),
    one request refused; both through the operations."""
    second = _demo_user("bn2")
    if second is None:
        return
    on_roll = sa.select(RollEntry.member_id).where(RollEntry.poll_id == poll.id)
    left_out = db.session.scalars(
        sa.select(Member.membership_number).where(Member.id.not_in(on_roll)).order_by(Member.id).limit(2)
    ).all()
    if len(left_out) < 2:
        return
    added = roll.request_roll_change(
        bureau, poll, left_out[0], RollChangeKind.ADD,
        "Cotisation réglée avant la date d'arrêt, enregistrée en retard par la fédération (reçu produit).",
    )  # fmt: skip
    roll.approve_roll_change(second, added, "Reçu vérifié avec la trésorerie fédérale.")
    refused = roll.request_roll_change(
        bureau, poll, left_out[1], RollChangeKind.ADD, "Demande d'inscription transmise par la section."
    )
    roll.refuse_roll_change(second, refused, "Adhésion postérieure à la date d'arrêt de la liste.")


def _seed_past_vote(convention, seed_value: int, report: DemoVoteReport) -> None:
    """The consultation, ten days before the contributions phase ends: paper and online, counted, proclaimed."""
    phase = convention.phase(PhaseKind.CONTRIBUTIONS)
    bureau = db.session.scalar(sa.select(User).where(User.email == "demo.bn@exemple.fr"))
    if phase is None or phase.ends_on is None or bureau is None:
        report.skipped = (
            "la convention n'a pas de phase des contributions datée ou le compte du Bureau national manque."
        )
        return
    day = max(phase.starts_on, phase.ends_on - dt.timedelta(days=10))
    opens_at = dt.datetime.combine(day, dt.time(8, 0), PARIS).astimezone(dt.UTC)
    closes_at = dt.datetime.combine(day, dt.time(20, 0), PARIS).astimezone(dt.UTC)
    poll = operations.create_poll(
        bureau,
        convention,
        operations.PollData(
            title=PAST_TITLE,
            question=PAST_QUESTION,
            opens_at=opens_at,
            closes_at=closes_at,
            roll_cutoff=day,
            questions=demo_questions(PAST_QUESTION),
        ),
    )
    operations.schedule_poll(bureau, poll, now=opens_at - dt.timedelta(days=7))
    operations.open_poll(None, poll, now=opens_at)
    paper = _paper_vote_in_grenoble(poll, random.Random(seed_value), opens_at + dt.timedelta(hours=11))
    report.voters = paper + _cast_demo_ballots(poll, random.Random(seed_value), (opens_at, closes_at))
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
