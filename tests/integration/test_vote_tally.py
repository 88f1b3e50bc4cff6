"""The count (TALLY job): every question per section, per federation and nationally, online ballots and
validated paper minutes together; idempotent; a bad box writes nothing.

The builders at the top (``ResultsWorld``, ``make_results_world``, ``vote``, ``add_minutes``,
``close_and_count``) are shared with the results, export and API tests of the vote.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa

from convention.conventions.models import Convention
from convention.core.db import utcnow
from convention.domain.counting import Tally, count_spec
from convention.domain.polls import PollState, QuestionMethod, ReportState, VoteChannel
from convention.domain.roles import Role
from convention.extensions import db
from convention.jobs.models import Job, JobFileRole, JobKind, JobState
from convention.jobs.operations import file_of, start_job
from convention.jobs.runner import run
from convention.members.models import Federation, Member, Section, User
from convention.votes import export, operations
from convention.votes.counting import question_of
from convention.votes.models import (
    Ballot,
    Participation,
    Poll,
    PollQuestion,
    PollTurnout,
    QuestionTally,
    SectionReport,
    SectionReportRevision,
)
from convention.votes.operations import PollData, QuestionData
from convention.votes.results import question_result
from tests.auth_fixtures import make_convention, make_federation, make_member, make_section, make_user

CUTOFF = dt.date(2030, 1, 1)
TEXT = "Le texte de la convention"
WORDING = "La rédaction de la proposition 12"
A, B = "Rédaction A", "Rédaction B"


class Voter:
    """What ``cast_ballot`` reads of an account: its member (an account per voter is not needed)."""

    is_authenticated = True
    id = None

    def __init__(self, member: Member) -> None:
        self.member_id = member.id


@dataclass
class ResultsWorld:
    convention: Convention
    bn: User
    federations: dict[str, Federation]
    sections: dict[str, Section]
    members: dict[str, list[Member]] = field(default_factory=dict)  # per section name


# Online voters per section: (yes/no/abstain answer, grade of A, grade of B) for each ballot.
ONLINE: dict[str, list[tuple[str, int, int]]] = {
    "Grenoble": [("yes", 1, i % 6) for i in range(7)] + [("no", 1, 2)] * 4 + [("abstain", 1, 0)],
    "Voiron": [("yes", 0, 5)] * 3,
    "Lyon 1er": [("yes", 2, i % 3) for i in range(5)] + [("no", 2, 1)] * 6,
    "Ajaccio": [("no", 5, 5)] * 2,
}
# Échirolles votes on paper: 10 voters, one blank ballot for both questions.
PAPER_VOTERS = 10
PAPER_YES_NO = {"yes": 6, "no": 2, "abstain": 1, "blank": 1, "void": 0}
PAPER_GRADES = {A: [2, 2, 2, 1, 1, 1], B: [0, 1, 2, 3, 2, 1]}


def make_results_world(extra_registered: int = 2) -> ResultsWorld:
    """Three federations, five sections; enough members in each section for ``ONLINE`` and the paper vote,
    plus ``extra_registered`` members on the roll who do not vote in every section."""
    convention = make_convention()
    bn = make_user("bn@example.org", roles=[(Role.NATIONAL_BUREAU, None)], display_name="Bureau national")
    isere, rhone, corse = make_federation("38", "Isère"), make_federation("69", "Rhône"), make_federation("2A", "Corse")
    sections = {
        "Grenoble": make_section(isere, "Grenoble"),
        "Voiron": make_section(isere, "Voiron"),
        "Échirolles": make_section(isere, "Échirolles"),
        "Lyon 1er": make_section(rhone, "Lyon 1er"),
        "Ajaccio": make_section(corse, "Ajaccio"),
    }
    world = ResultsWorld(convention, bn, {"38": isere, "69": rhone, "2A": corse}, sections)
    for name, section in sections.items():
        voters = PAPER_VOTERS if name == "Échirolles" else len(ONLINE[name])
        world.members[name] = [make_member(section) for _ in range(voters + extra_registered)]
    make_member(sections["Grenoble"], dues_paid_until=CUTOFF - dt.timedelta(days=1))  # not on the roll
    return world


def two_questions(**changes) -> PollData:
    now = utcnow()
    values = {
        "title": "Adoption du texte de la convention",
        "question": "Approuvez-vous le texte ?",
        "opens_at": now - dt.timedelta(hours=1),
        "closes_at": now + dt.timedelta(days=2),
        "roll_cutoff": CUTOFF,
        "questions": [
            QuestionData(TEXT, QuestionMethod.YES_NO_ABSTAIN),
            QuestionData(WORDING, QuestionMethod.MAJORITY_JUDGMENT, options=[(A, ""), (B, "")]),
        ],
    }
    values.update(changes)
    return PollData(**values)


def open_poll(world: ResultsWorld, **changes) -> Poll:
    poll = operations.create_poll(world.bn, world.convention, two_questions(**changes))
    assert operations.open_poll(world.bn, poll)
    return poll


def questions(poll: Poll) -> tuple[PollQuestion, PollQuestion]:
    first, second = poll.questions
    return first, second


def option_id(question: PollQuestion, label: str) -> int:
    return next(o.id for o in question.options if o.label == label)


def vote(poll: Poll, member: Member, answer: str, grade_a: int, grade_b: int) -> str:
    text, wording = questions(poll)
    choices = {
        text.key: answer,
        wording.key: {str(option_id(wording, A)): grade_a, str(option_id(wording, B)): grade_b},
    }
    return operations.cast_ballot(Voter(member), poll, choices)


def vote_online(world: ResultsWorld, poll: Poll) -> list[str]:
    """Every ``ONLINE`` ballot; returns the receipt codes."""
    codes = []
    for name, ballots in ONLINE.items():
        for member, ballot in zip(world.members[name], ballots, strict=False):
            codes.append(vote(poll, member, *ballot))
    return codes


def add_minutes(
    poll: Poll,
    section: Section,
    members: list[Member],
    figures: dict[str, dict],
    *,
    state: ReportState = ReportState.VALIDATED,
    registered: int | None = None,
) -> SectionReport:
    """A section's paper vote as rows: the émargement marks, the minutes (one revision), validated or not.

    ``figures``: per question key, in ``SectionReportRevision.figures``'s format.
    """
    report = SectionReport(poll_id=poll.id, section_id=section.id, federation_id=section.federation_id, state=state)
    db.session.add(report)
    db.session.flush()
    for member in members:
        db.session.add(
            Participation(poll_id=poll.id, member_id=member.id, channel=VoteChannel.PAPER, report_id=report.id)
        )
    revision = SectionReportRevision(
        report_id=report.id,
        number=1,
        meeting_date=utcnow().date(),
        bureau_names="Présidente : Ada ; assesseur : Louis",
        registered=registered if registered is not None else len(members),
        voters=len(members),
        figures=json.dumps(figures),
    )
    db.session.add(revision)
    db.session.flush()
    if state == ReportState.VALIDATED:
        report.validated_revision_id = revision.id
    db.session.flush()
    return report


def paper_figures(poll: Poll) -> dict[str, dict]:
    text, wording = questions(poll)
    return {
        text.key: dict(PAPER_YES_NO),
        wording.key: {
            str(option_id(wording, A)): PAPER_GRADES[A],
            str(option_id(wording, B)): PAPER_GRADES[B],
            "blank": 1,
            "void": 0,
        },
    }


def vote_on_paper(world: ResultsWorld, poll: Poll, *, state: ReportState = ReportState.VALIDATED) -> SectionReport:
    section = world.sections["Échirolles"]
    return add_minutes(poll, section, world.members["Échirolles"][:PAPER_VOTERS], paper_figures(poll), state=state)


def close_and_count(world: ResultsWorld, poll: Poll) -> tuple[Poll, Job]:
    job = operations.close_poll(world.bn, poll)
    ids = poll.id, job.id
    db.session.commit()  # the count runs now (inline in tests)
    db.session.expire_all()
    return db.session.get(Poll, ids[0]), db.session.get(Job, ids[1])


def counted_world(*, paper: bool = True, **changes) -> tuple[ResultsWorld, Poll, Job]:
    world = make_results_world()
    poll = open_poll(world, **changes)
    vote_online(world, poll)
    if paper:
        vote_on_paper(world, poll)
    poll, job = close_and_count(world, poll)
    assert job.state == JobState.SUCCEEDED, (job.error, job.error_details)
    return world, poll, job


def expected_spec(with_paper: bool = True) -> tuple[dict, dict]:
    """The two questions as ``flask polls count`` files, written independently of the platform."""
    ballots = [b for section in ONLINE.values() for b in section]
    yes_no = Counter(answer for answer, _, _ in ballots)
    text = {"method": "yes_no_abstain", "ballots": [{"count": n, "choice": c} for c, n in yes_no.items()]}
    grades = ("Très bien", "Bien", "Assez bien", "Passable", "Insuffisant", "À rejeter")
    wording = {
        "method": "majority_judgment",
        "options": [A, B],
        "ballots": [{"grades": {A: grades[a], B: grades[b]}} for _, a, b in ballots],
    }
    if with_paper:
        text["ballots"] += [{"count": n, "choice": c} for c, n in PAPER_YES_NO.items() if n]
        wording["tallies"] = {**PAPER_GRADES, "blank": 1}
    return text, wording


def count(model, *conditions) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*conditions)) or 0


def stored(poll: Poll, question: PollQuestion, federation: Federation | None = None, section: Section | None = None):
    text = db.session.scalar(
        sa.select(QuestionTally.tally).where(
            QuestionTally.poll_id == poll.id,
            QuestionTally.question_id == question.id,
            QuestionTally.federation_id.is_(None)
            if federation is None
            else QuestionTally.federation_id == federation.id,
            QuestionTally.section_id.is_(None) if section is None else QuestionTally.section_id == section.id,
        )
    )
    assert text is not None, "no stored tally"
    return Tally.from_json(text)


def turnout(poll: Poll, federation: Federation | None = None, section: Section | None = None) -> tuple[int, int, int]:
    row = db.session.scalar(
        sa.select(PollTurnout).where(
            PollTurnout.poll_id == poll.id,
            PollTurnout.federation_id.is_(None) if federation is None else PollTurnout.federation_id == federation.id,
            PollTurnout.section_id.is_(None) if section is None else PollTurnout.section_id == section.id,
        )
    )
    return row.registered, row.voters, row.paper_voters


# --- the tests --------------------------------------------------------------------------------------


def test_the_count_adds_online_ballots_and_validated_minutes_at_every_level(database):
    world, poll, job = counted_world()
    assert poll.state == PollState.TALLIED and poll.tallied_dt is not None
    text, wording = questions(poll)
    online = sum(len(b) for b in ONLINE.values())
    assert job.result["ballots"] == online and job.result["paper_voters"] == PAPER_VOTERS
    # National: exactly what `flask polls count` gives on the same ballots and minutes.
    expected_text, expected_wording = expected_spec()
    national_text = stored(poll, text)
    assert national_text.votes == {"yes": 15 + 6, "no": 12 + 2, "abstain": 1 + 1}
    assert (national_text.ballots, national_text.blank) == (online + PAPER_VOTERS, 1)
    assert count_spec(expected_text)["scores"] == {"yes": 21, "no": 14, "abstain": 2}
    national_wording = stored(poll, wording)
    recount = count_spec(expected_wording)
    assert {o: list(r) for o, r in national_wording.grade_votes.items()} == recount["scores"]
    assert national_wording.blank == 1 and national_wording.ballots == online + PAPER_VOTERS
    # Sections → federations → national: every figure adds up.
    isere = world.federations["38"]
    grenoble, echirolles = world.sections["Grenoble"], world.sections["Échirolles"]
    assert stored(poll, text, isere, grenoble).votes == {"yes": 7, "no": 4, "abstain": 1}
    assert stored(poll, text, isere, echirolles).votes == {"yes": 6, "no": 2, "abstain": 1}
    for question in (text, wording):
        by_federation = [stored(poll, question, f) for f in world.federations.values()]
        assert sum(by_federation, Tally.empty(_q(question))) == stored(poll, question)
        for federation in world.federations.values():
            sections = [s for s in world.sections.values() if s.federation_id == federation.id]
            total = sum((stored(poll, question, federation, s) for s in sections), Tally.empty(_q(question)))
            assert total == stored(poll, question, federation)
    # Turnout with the channel: registered, voters, of which on paper.
    assert turnout(poll, isere, echirolles) == (PAPER_VOTERS + 2, PAPER_VOTERS, PAPER_VOTERS)
    assert turnout(poll, isere, grenoble) == (12 + 2, 12, 0)
    assert turnout(poll, isere) == (14 + 5 + 12, 12 + 3 + PAPER_VOTERS, PAPER_VOTERS)
    assert turnout(poll) == (poll.roll_size, online + PAPER_VOTERS, PAPER_VOTERS)
    # The export's hash is stored, and the file kept with the job is those bytes.
    stored_file = file_of(job.id, JobFileRole.OUTPUT)
    assert poll.export_hash == hashlib.sha256(stored_file.data).hexdigest()
    assert export.export_bytes(poll) == stored_file.data
    assert any(poll.export_hash in line for line in job.result["lines"])


def _q(question: PollQuestion):
    return question_of(question)


def test_minutes_not_validated_are_not_counted(database):
    world = make_results_world()
    poll = open_poll(world)
    vote_online(world, poll)
    vote_on_paper(world, poll, state=ReportState.SUBMITTED)
    poll, job = close_and_count(world, poll)
    assert job.state == JobState.SUCCEEDED, job.error
    text, _ = questions(poll)
    online = sum(len(b) for b in ONLINE.values())
    assert stored(poll, text).ballots == online
    assert turnout(poll)[1:] == (online, 0)
    assert turnout(poll, world.federations["38"], world.sections["Échirolles"]) == (PAPER_VOTERS + 2, 0, 0)


def test_the_count_is_idempotent(database):
    world, poll, _ = counted_world()
    before = _rows()
    digest = poll.export_hash
    job = operations.relaunch_tally(world.bn, poll)
    job_id = job.id
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Job, job_id).state == JobState.SUCCEEDED
    # A second delivery of the same job does not run it again.
    assert run(job_id) == "succeeded"
    assert _rows() == before
    poll = db.session.get(Poll, poll.id)
    assert poll.state == PollState.TALLIED and poll.export_hash == digest


def test_a_box_that_disagrees_with_the_emargement_stops_the_count(database):
    world = make_results_world()
    poll = open_poll(world)
    vote_online(world, poll)
    text, wording = questions(poll)
    # A ballot nobody signed for (stuffing the box).
    db.session.add(
        Ballot(
            poll_id=poll.id,
            choices=json.dumps({text.key: "yes", wording.key: "blank"}),
            federation_id=world.federations["38"].id,
            section_id=world.sections["Grenoble"].id,
            receipt_hash="0" * 64,
        )
    )
    poll, job = close_and_count(world, poll)
    online = sum(len(b) for b in ONLINE.values())
    assert job.state == JobState.FAILED
    assert f"{online + 1} bulletin(s)" in job.error and f"{online} votant(s) en ligne" in job.error
    assert poll.state == PollState.CLOSED and poll.export_hash is None
    assert count(QuestionTally) == 0 and count(PollTurnout) == 0


def test_validated_minutes_that_disagree_with_their_voters_stop_the_count(database):
    world = make_results_world()
    poll = open_poll(world)
    vote_online(world, poll)
    figures = paper_figures(poll)
    text, _ = questions(poll)
    figures[text.key]["yes"] += 1  # 11 ballots in the minutes for 10 voters
    add_minutes(poll, world.sections["Échirolles"], world.members["Échirolles"][:PAPER_VOTERS], figures)
    poll, job = close_and_count(world, poll)
    assert job.state == JobState.FAILED and "procès-verbal" in job.error
    assert any("Échirolles" in detail for detail in job.error_details), job.error_details
    assert count(QuestionTally) == 0 and poll.export_hash is None


def test_a_poll_that_is_not_closed_is_not_counted(database):
    world = make_results_world()
    poll = open_poll(world)
    job = start_job(world.bn, JobKind.TALLY, {"poll_id": poll.id})
    job_id = job.id
    db.session.commit()
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    assert job.state == JobState.FAILED and "clos" in job.error
    assert count(QuestionTally) == 0


@pytest.mark.parametrize(
    ("method", "options", "answers", "extra"),
    [
        (QuestionMethod.SINGLE, ["Oui", "Non", "Peut-être"], ["Oui", "Oui", "Non", "blank"], {}),
        (QuestionMethod.APPROVAL, ["A", "B", "C"], [["A", "B"], ["B"], [], ["B", "C"]], {"seats": 2}),
        (QuestionMethod.SCHULZE, ["A", "B"], [[["A"], ["B"]], [["B"]], [], [["A"]]], {"status_quo": True}),
    ],
)
def test_every_method_is_counted_as_flask_polls_count_counts_it(database, method, options, answers, extra):
    world = make_results_world()
    question = QuestionData("Choix", method, options=[(o, "") for o in options], **extra)
    poll = open_poll(world, questions=[question])
    (stored_question,) = poll.questions
    ids = {o.label: o.id for o in stored_question.options}

    def canonical(answer):
        if answer == "blank":
            return "blank"
        if method == QuestionMethod.SINGLE:
            return ids[answer]
        if method == QuestionMethod.APPROVAL:
            return [ids[a] for a in answer]
        return [[ids[a] for a in group] for group in answer]

    members = [m for name in ("Grenoble", "Lyon 1er") for m in world.members[name]]
    for member, answer in zip(members, answers * 3, strict=False):
        operations.cast_ballot(Voter(member), poll, {stored_question.key: canonical(answer)})
    poll, job = close_and_count(world, poll)
    assert job.state == JobState.SUCCEEDED, job.error
    (stored_question,) = poll.questions
    national = stored(poll, stored_question)
    result = question_result(stored_question, national, poll.roll_size).result
    spec = export.question_spec(_q(stored_question))
    spec.pop("rule")
    ballots = []
    for answer in answers * 3:
        if answer == "blank" or answer == []:
            ballots.append({"choice": "blank"})
        elif method == QuestionMethod.SINGLE:
            ballots.append({"choice": answer})
        elif method == QuestionMethod.APPROVAL:
            ballots.append({"approves": answer})
        else:
            ballots.append({"ranking": answer})
    expected = count_spec({**spec, "ballots": ballots, "registered": poll.roll_size})
    expected.pop("decision")
    assert result == expected


def test_many_voters_in_many_federations(database):
    """A bigger box: the per-federation sums still give the national total, for the turnout too."""
    world = make_results_world(extra_registered=20)
    poll = open_poll(world)
    voters = [m for members in world.members.values() for m in members]
    answers = ["yes", "no", "abstain"]
    for i, member in enumerate(voters):
        vote(poll, member, answers[(i * 7) % 3], i % 6, (i * 5) % 6)
    poll, job = close_and_count(world, poll)
    assert job.state == JobState.SUCCEEDED
    text, _ = questions(poll)
    assert stored(poll, text).ballots == len(voters)
    rows = [turnout(poll, f) for f in world.federations.values()]
    assert sum(r[0] for r in rows) == turnout(poll)[0] == poll.roll_size
    assert sum(r[1] for r in rows) == turnout(poll)[1] == len(voters)


def _rows() -> list[tuple]:
    tallies = db.session.execute(
        sa.select(QuestionTally.question_id, QuestionTally.federation_id, QuestionTally.section_id, QuestionTally.tally)
    ).all()
    turnouts = db.session.execute(
        sa.select(PollTurnout.federation_id, PollTurnout.section_id, PollTurnout.registered, PollTurnout.voters)
    ).all()
    key = lambda row: tuple(-1 if v is None else v for v in row)  # noqa: E731
    return sorted(tallies, key=key) + sorted(turnouts, key=key)
