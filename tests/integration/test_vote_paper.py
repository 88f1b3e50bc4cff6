"""Section paper votes: the émargement list, the minutes and their checks, versions, validation, one voter one vote.

The builders at the top (``PaperWorld``, ``paper_world``, ``five_questions``, ``minutes``) are shared
with the functional and browser tests of the paper vote.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from convention.core.audit import AuditEntry
from convention.core.db import utcnow
from convention.core.permissions import PermissionDenied
from convention.domain.counting import Tally
from convention.domain.polls import PollState, QuestionMethod, ReportState, VoteChannel
from convention.domain.roles import Role
from convention.extensions import db
from convention.members.models import Member, Section, User
from convention.notifications.models import Notification
from convention.votes import operations, paper
from convention.votes.counting import question_of
from convention.votes.models import (
    Ballot,
    Participation,
    Poll,
    SectionReport,
    SectionReportRevision,
)
from convention.votes.operations import QuestionData, VoteRefused
from convention.votes.paper import MinutesData, MinutesError, PaperVoteError
from tests.auth_fixtures import make_section, make_user
from tests.integration.test_vote_operations import VoteWorld, answer, count, make_vote_world, open_now, poll_data

PARIS = paper.PARIS


@dataclass
class PaperWorld:
    """``make_vote_world`` (Isère: Grenoble; Rhône: Lyon 1er) plus the secretaries of the paper vote.

    ``users``: militant, voter2, secretary (section of Grenoble), lyonnais, bn, unpaid (from the vote
    world), fed_isere and fed_rhone (federation secretaries), sec_lyon (section of Lyon 1er),
    sec_voiron (a second section of Isère).
    """

    vote: VoteWorld
    grenoble: Section
    lyon: Section
    voiron: Section
    users: dict[str, User]


def paper_world() -> PaperWorld:
    vote = make_vote_world()
    grenoble = db.session.scalar(sa.select(Section).where(Section.name == "Grenoble"))
    lyon = db.session.scalar(sa.select(Section).where(Section.name == "Lyon 1er"))
    voiron = make_section(vote.isere, "Voiron")
    users = dict(vote.users)
    users["fed_isere"] = make_user("fed.isere@example.org", roles=[(Role.FEDERATION_SECRETARY, vote.isere)])
    users["fed_rhone"] = make_user("fed.rhone@example.org", roles=[(Role.FEDERATION_SECRETARY, vote.rhone)])
    users["sec_lyon"] = make_user("sec.lyon@example.org", roles=[(Role.SECTION_SECRETARY, lyon)])
    users["sec_voiron"] = make_user("sec.voiron@example.org", roles=[(Role.SECTION_SECRETARY, voiron)])
    return PaperWorld(vote, grenoble, lyon, voiron, users)


def five_questions() -> list[QuestionData]:
    """One question of each method."""
    return [
        QuestionData("Le texte"),
        QuestionData("La date", QuestionMethod.SINGLE, options=[("Printemps", ""), ("Automne", "")]),
        QuestionData(
            "Les thèmes", QuestionMethod.APPROVAL, options=[("Police", ""), ("Prévention", ""), ("Justice", "")]
        ),
        QuestionData(
            "La rédaction", QuestionMethod.MAJORITY_JUDGMENT, options=[("Rédaction A", ""), ("Rédaction B", "")]
        ),
        QuestionData("Le classement", QuestionMethod.SCHULZE, options=[("X", ""), ("Y", "")], status_quo=True),
    ]


def grenoble_roll(world: PaperWorld, poll: Poll) -> list[int]:
    return [line.member_id for line in paper.section_roll(poll.id, world.grenoble.id)]


def member_id(world: PaperWorld, key: str) -> int:
    return world.users[key].member_id


def today_paris() -> dt.date:
    return utcnow().astimezone(PARIS).date()


def minutes(poll: Poll, voters: int, registered: int, **overrides) -> MinutesData:
    """Minutes that add up: every voter votes the first answer of each question (Schulze: ranks every option)."""
    figures: dict[str, dict] = {}
    for question in poll.questions:
        options = question.options
        if question.method == QuestionMethod.YES_NO_ABSTAIN:
            data = {"yes": voters, "no": 0, "abstain": 0}
        elif question.method in (QuestionMethod.SINGLE, QuestionMethod.APPROVAL):
            data = {str(o.id): (voters if i == 0 else 0) for i, o in enumerate(options)}
        elif question.method == QuestionMethod.MAJORITY_JUDGMENT:
            data = {str(o.id): [voters, 0, 0, 0, 0, 0] for o in options}
        else:
            data = {"rankings": [{"count": voters, "ranking": [[o.id] for o in options]}] if voters else []}
        figures[question.key] = {**data, "blank": 0, "void": 0}
    values = {
        "meeting_date": today_paris(),
        "bureau_names": "Présidente : Anne Martin ; assesseurs : Paul Roux, Lina Diaz",
        "registered": registered,
        "voters": voters,
        "figures": figures,
    }
    values.update(overrides)
    return MinutesData(**values)


def open_grenoble(world: PaperWorld, **poll_changes) -> tuple[Poll, SectionReport]:
    poll = open_now(world.vote, **poll_changes)
    report = paper.open_report(world.users["secretary"], poll, world.grenoble)
    return poll, report


def submitted(world: PaperWorld, poll: Poll, report: SectionReport, keys=("militant", "voter2")):
    for key in keys:
        paper.mark_voter(world.users["secretary"], report, member_id(world, key))
    registered = paper.section_roll_count(poll.id, world.grenoble.id)
    return paper.submit_minutes(world.users["secretary"], report, minutes(poll, len(keys), registered))


# --- opening the list ----------------------------------------------------------------------------


def test_the_section_secretary_opens_the_list_once(database):
    world = paper_world()
    poll = open_now(world.vote)
    report = paper.open_report(world.users["secretary"], poll, world.grenoble)
    assert (report.state, report.section_id, report.federation_id) == (
        ReportState.OPEN,
        world.grenoble.id,
        world.vote.isere.id,
    )
    assert paper.open_report(world.users["secretary"], poll, world.grenoble).id == report.id  # a double click
    assert count(SectionReport) == 1
    assert count(AuditEntry, AuditEntry.action == paper.AUDIT_OPEN) == 1


@pytest.mark.parametrize("key", ["sec_lyon", "sec_voiron", "fed_isere", "militant", "bn"])
def test_only_the_section_s_secretary_opens_its_list(database, key):
    world = paper_world()
    poll = open_now(world.vote)
    with pytest.raises(PermissionDenied):
        paper.open_report(world.users[key], poll, world.grenoble)
    assert count(SectionReport) == 0


def test_the_list_opens_only_while_the_poll_is_open_and_takes_paper(database):
    world = paper_world()
    draft = operations.create_poll(world.users["bn"], world.vote.convention, poll_data(title="Brouillon"))
    with pytest.raises(PaperVoteError, match="pendant le vote"):
        paper.open_report(world.users["secretary"], draft, world.grenoble)
    online_only = open_now(world.vote, title="En ligne seulement", allows_paper=False)
    with pytest.raises(PaperVoteError, match="uniquement en ligne"):
        paper.open_report(world.users["secretary"], online_only, world.grenoble)
    poll = open_now(world.vote)
    with pytest.raises(PaperVoteError, match="pendant le vote"):
        paper.open_report(world.users["secretary"], poll, world.grenoble, now=poll.closes_at)
    operations.close_poll(world.users["bn"], poll)
    with pytest.raises(PaperVoteError, match="pendant le vote"):
        paper.open_report(world.users["secretary"], poll, world.grenoble)
    assert count(SectionReport) == 0


# --- marking: one voter, one vote ------------------------------------------------------------------


def test_marking_writes_a_paper_emargement_and_nothing_else(database):
    world = paper_world()
    poll, report = open_grenoble(world)
    participation = paper.mark_voter(world.users["secretary"], report, member_id(world, "militant"))
    assert (participation.channel, participation.report_id, participation.marked_by_id) == (
        VoteChannel.PAPER,
        report.id,
        world.users["secretary"].id,
    )
    assert count(Ballot) == 0  # a paper vote puts no ballot in the online box
    assert paper.count_marks(report) == 1
    lines = {line.member_id: line for line in paper.section_roll(poll.id, world.grenoble.id)}
    assert lines[member_id(world, "militant")].is_marked
    assert paper.section_counts(list(lines.values()), report).paper == 1


def test_a_member_marked_on_paper_is_refused_online_with_a_clear_message(database):
    world = paper_world()
    poll, report = open_grenoble(world)
    paper.mark_voter(world.users["secretary"], report, member_id(world, "militant"))
    with pytest.raises(VoteRefused, match="émargé·e sur la liste de votre section"):
        operations.cast_ballot(world.users["militant"], poll, answer(poll, "Pour"))
    assert count(Participation) == 1 and count(Ballot) == 0


def test_a_member_who_voted_online_cannot_be_marked(database):
    world = paper_world()
    poll, report = open_grenoble(world)
    operations.cast_ballot(world.users["voter2"], poll, answer(poll, "Contre"))
    with pytest.raises(PaperVoteError, match="a voté en ligne"):
        paper.mark_voter(world.users["secretary"], report, member_id(world, "voter2"))
    assert count(Participation) == 1 and count(Participation, Participation.channel == VoteChannel.PAPER) == 0
    online = {line.member_id: line for line in paper.section_roll(poll.id, world.grenoble.id)}
    assert online[member_id(world, "voter2")].voted_online


def test_the_unique_constraint_is_the_last_guard_between_channels(database, monkeypatch):
    """Both checks passed at the same moment: the constraint refuses the second, with the clear message."""
    world = paper_world()
    poll, report = open_grenoble(world)
    operations.cast_ballot(world.users["voter2"], poll, answer(poll, "Pour"))
    real = paper._participation_refusal
    calls = []

    def first_says_nothing(report, member_id):
        calls.append(member_id)
        return None if len(calls) == 1 else real(report, member_id)

    monkeypatch.setattr(paper, "_participation_refusal", first_says_nothing)
    with pytest.raises(PaperVoteError, match="a voté en ligne"):
        paper.mark_voter(world.users["secretary"], report, member_id(world, "voter2"))
    assert count(Participation) == 1
    # The unit of work goes on after the refusal (only the savepoint was rolled back).
    paper.mark_voter(world.users["secretary"], report, member_id(world, "militant"))
    assert count(Participation) == 2


def test_marks_are_refused_outside_the_section_s_roll_and_twice(database):
    world = paper_world()
    poll, report = open_grenoble(world)
    secretary = world.users["secretary"]
    with pytest.raises(PaperVoteError, match="pas inscrit·e sur la liste électorale de la section"):
        paper.mark_voter(secretary, report, member_id(world, "lyonnais"))  # another section
    with pytest.raises(PaperVoteError, match="pas inscrit·e"):
        paper.mark_voter(secretary, report, member_id(world, "unpaid"))  # dues not paid at the cutoff
    newcomer = Member(
        membership_number="PS999999", first_name="Nouvelle", last_name="Adhérente", email="nouvelle@example.org",
        section_id=world.grenoble.id, dues_paid_until=dt.date(2099, 1, 1),
    )  # fmt: skip
    db.session.add(newcomer)
    db.session.flush()
    with pytest.raises(PaperVoteError, match="pas inscrit·e"):
        paper.mark_voter(secretary, report, newcomer.id)  # joined after the roll was frozen
    paper.mark_voter(secretary, report, member_id(world, "militant"))
    with pytest.raises(PaperVoteError, match="déjà émargé·e"):
        paper.mark_voter(secretary, report, member_id(world, "militant"))
    assert count(Participation) == 1


@pytest.mark.parametrize("key", ["sec_lyon", "fed_isere", "fed_rhone", "militant", "bn"])
def test_only_the_section_s_secretary_marks_and_unmarks(database, key):
    world = paper_world()
    poll, report = open_grenoble(world)
    with pytest.raises(PermissionDenied):
        paper.mark_voter(world.users[key], report, member_id(world, "militant"))
    paper.mark_voter(world.users["secretary"], report, member_id(world, "militant"))
    with pytest.raises(PermissionDenied):
        paper.unmark_voter(world.users[key], report, member_id(world, "militant"))
    assert count(Participation) == 1


def test_a_mark_can_be_taken_back_while_the_list_is_open(database):
    world = paper_world()
    poll, report = open_grenoble(world)
    secretary = world.users["secretary"]
    paper.mark_voter(secretary, report, member_id(world, "militant"))
    paper.unmark_voter(secretary, report, member_id(world, "militant"))
    assert count(Participation) == 0
    with pytest.raises(PaperVoteError, match="n'est pas émargé·e"):
        paper.unmark_voter(secretary, report, member_id(world, "militant"))
    # Taken back, the member may vote online again.
    operations.cast_ballot(world.users["militant"], poll, answer(poll, "Pour"))
    with pytest.raises(PaperVoteError, match="n'est pas émargé·e"):  # an online vote is not a mark to take back
        paper.unmark_voter(secretary, report, member_id(world, "militant"))
    assert count(Participation, Participation.channel == VoteChannel.ONLINE) == 1


# --- the minutes: every check ---------------------------------------------------------------------


def _assert_refused(world, report, data, *fragments):
    with pytest.raises(MinutesError) as caught:
        paper.submit_minutes(world.users["secretary"], report, data)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, message
    assert count(SectionReportRevision) == 0
    assert report.state == ReportState.OPEN
    return caught.value


def test_minutes_that_add_up_are_transmitted_as_version_1(database):
    world = paper_world()
    poll, report = open_grenoble(world, questions=five_questions())
    revision = submitted(world, poll, report)
    assert (revision.number, revision.voters, revision.registered) == (1, 2, 4)
    assert report.state == ReportState.SUBMITTED
    figures = json.loads(revision.figures)
    assert set(figures) == {q.key for q in poll.questions}
    assert figures[poll.questions[0].key] == {"yes": 2, "no": 0, "abstain": 0, "blank": 0, "void": 0}
    # The federation's first secretary is told.
    told = db.session.scalars(sa.select(Notification.user_id).where(Notification.subject.contains("à valider"))).all()
    assert told == [world.users["fed_isere"].id]


def test_the_meeting_date_must_fall_within_the_vote_and_not_in_the_future(database):
    world = paper_world()
    poll, report = open_grenoble(world)
    paper.mark_voter(world.users["secretary"], report, member_id(world, "militant"))
    registered = paper.section_roll_count(poll.id, world.grenoble.id)
    first, last = paper.poll_window(poll)
    _assert_refused(world, report, minutes(poll, 1, registered, meeting_date=None), "date de la réunion")
    _assert_refused(
        world, report, minutes(poll, 1, registered, meeting_date=first - dt.timedelta(days=1)), "pendant le vote"
    )
    _assert_refused(
        world, report, minutes(poll, 1, registered, meeting_date=today_paris() + dt.timedelta(days=1)), "futur"
    )
    assert last > today_paris()  # (so the future check is the one that refused)


def test_the_bureau_s_names_are_required(database):
    world = paper_world()
    poll, report = open_grenoble(world)
    registered = paper.section_roll_count(poll.id, world.grenoble.id)
    error = _assert_refused(world, report, minutes(poll, 0, registered, bureau_names="  "), "bureau de vote")
    assert error.messages("bureau_names")


def test_registered_must_be_the_section_s_roll(database):
    world = paper_world()
    poll, report = open_grenoble(world)
    error = _assert_refused(
        world, report, minutes(poll, 0, 5), "Inscrit·es : le procès-verbal en indique 5", "en compte 4"
    )
    assert error.messages("registered") and not error.messages("voters")


def test_voters_must_be_the_marks_on_the_list(database):
    world = paper_world()
    poll, report = open_grenoble(world)
    paper.mark_voter(world.users["secretary"], report, member_id(world, "militant"))
    error = _assert_refused(
        world, report, minutes(poll, 2, 4), "Votant·es : le procès-verbal en indique 2", "1 adhérent·e est émargé·e"
    )
    assert error.messages("voters")


def _figures_refused(world, poll, report, question_index, figures, *fragments):
    data = minutes(poll, 3, 4)
    question = poll.questions[question_index]
    data.figures[question.key] = figures
    error = _assert_refused(world, report, data, f"« {question.title} »", *fragments)
    assert error.messages(f"q{question.id}")
    return error


def _three_marked(world, **changes):
    poll, report = open_grenoble(world, **changes)
    for key in ("militant", "voter2", "secretary"):
        paper.mark_voter(world.users["secretary"], report, member_id(world, key))
    return poll, report


def test_yes_no_answers_blank_and_void_must_make_the_voters(database):
    world = paper_world()
    poll, report = _three_marked(world, questions=five_questions())
    _figures_refused(
        world, poll, report, 0, {"yes": 1, "no": 1, "abstain": 0, "blank": 0, "void": 0},
        "Pour 1 + Contre 1 + Abstention 0 + blancs 0 + nuls 0 = 2", "3 votant·es sont émargé·es",
    )  # fmt: skip
    _figures_refused(world, poll, report, 0, {"yes": 1, "no": 1, "abstain": 1, "blank": 1, "void": 0}, "= 4")


def test_single_choice_must_make_the_voters(database):
    world = paper_world()
    poll, report = _three_marked(world, questions=five_questions())
    spring, autumn = poll.questions[1].options
    _figures_refused(
        world, poll, report, 1, {str(spring.id): 2, str(autumn.id): 2, "blank": 0, "void": 0},
        "Printemps 2 + Automne 2", "= 4",
    )  # fmt: skip


def test_approvals_cannot_exceed_the_valid_ballots(database):
    world = paper_world()
    poll, report = _three_marked(world, questions=five_questions())
    police, prevention, justice = poll.questions[2].options
    _figures_refused(
        world, poll, report, 2, {str(police.id): 3, str(prevention.id): 2, str(justice.id): 0, "blank": 1, "void": 0},
        "« Police » a 3 approbations", "2 bulletins valables",
    )  # fmt: skip
    # A valid ballot approves something: fewer approvals than valid ballots do not add up either.
    _figures_refused(
        world, poll, report, 2, {str(police.id): 1, str(prevention.id): 0, str(justice.id): 0, "blank": 0, "void": 0},
        "1 approbation", "3 bulletins valables",
    )  # fmt: skip


def test_majority_judgment_grades_must_make_the_valid_ballots(database):
    world = paper_world()
    poll, report = _three_marked(world, questions=five_questions())
    a, b = poll.questions[3].options
    _figures_refused(
        world, poll, report, 3, {str(a.id): [1, 1, 0, 0, 0, 0], str(b.id): [3, 0, 0, 0, 0, 0], "blank": 0, "void": 1},
        "« Rédaction B » totalisent 3", "2 bulletins valables",
    )  # fmt: skip
    _figures_refused(
        world, poll, report, 3, {str(a.id): [1, 1], str(b.id): [2, 0, 0, 0, 0, 0], "blank": 1}, "un nombre par mention"
    )


def test_schulze_rankings_blank_and_void_must_make_the_voters(database):
    world = paper_world()
    poll, report = _three_marked(world, questions=five_questions())
    x, y, quo = poll.questions[4].options
    _figures_refused(
        world, poll, report, 4, {"rankings": [{"count": 1, "ranking": [[x.id], [y.id, quo.id]]}], "blank": 1, "void": 0},
        "les classements comptent 1 bulletin", "2 bulletins",
    )  # fmt: skip
    _figures_refused(
        world, poll, report, 4, {"rankings": [{"count": 3, "ranking": [[x.id], [x.id]]}], "blank": 0, "void": 0},
        "classement n° 1", "illisible",
    )  # fmt: skip


def test_blank_and_void_cannot_exceed_the_voters_and_figures_are_numbers(database):
    world = paper_world()
    poll, report = _three_marked(world, questions=five_questions())
    _figures_refused(
        world, poll, report, 0, {"yes": 0, "no": 0, "abstain": 0, "blank": 3, "void": 1}, "plus que les 3 votant·es"
    )
    _figures_refused(
        world,
        poll,
        report,
        0,
        {"yes": "-1", "no": 4, "abstain": 0, "blank": 0, "void": 0},
        "« Pour » doit être un nombre",
    )
    _figures_refused(world, poll, report, 0, {"yes": 3, "peut-être": 1, "blank": 0, "void": 0}, "réponse inconnue")


def test_every_problem_is_reported_at_once(database):
    world = paper_world()
    poll, report = open_grenoble(world, questions=five_questions())
    paper.mark_voter(world.users["secretary"], report, member_id(world, "militant"))
    data = minutes(poll, 1, 9, bureau_names="", meeting_date=None)
    data.figures[poll.questions[0].key] = {"yes": 5, "no": 0, "abstain": 0, "blank": 0, "void": 0}
    error = _assert_refused(world, report, data)
    assert {key for key, _ in error.errors} == {
        "meeting_date",
        "bureau_names",
        "registered",
        f"q{poll.questions[0].id}",
    }


# --- versions, validation, sending back ------------------------------------------------------------


def test_returned_corrected_and_validated(database):
    world = paper_world()
    poll, report = open_grenoble(world)
    secretary, federation = world.users["secretary"], world.users["fed_isere"]
    first = submitted(world, poll, report)
    with pytest.raises(PaperVoteError, match="transmis à la fédération"):  # the list is locked once transmitted
        paper.mark_voter(secretary, report, member_id(world, "secretary"))
    with pytest.raises(PaperVoteError, match="motif"):
        paper.return_report(federation, report, "   ")
    paper.return_report(federation, report, "Il manque le vote de la secrétaire.")
    assert report.state == ReportState.RETURNED and report.return_reason.startswith("Il manque")
    told = db.session.scalars(sa.select(Notification).where(Notification.subject.contains("renvoyé"))).all()
    assert [n.user_id for n in told] == [secretary.id] and "Il manque le vote" in told[0].body
    # The section corrects: one more mark, new minutes: version 2.
    paper.mark_voter(secretary, report, member_id(world, "secretary"))
    data = minutes(poll, 3, 4)
    data.figures[poll.questions[0].key] = {"yes": 2, "no": 1, "abstain": 0, "blank": 0, "void": 0}
    second = paper.submit_minutes(secretary, report, data)
    assert (first.number, second.number) == (1, 2)
    assert [r.number for r in report.revisions] == [1, 2]
    assert report.return_reason == ""
    assert paper.paper_tallies(poll) == {}  # nothing counted before the validation
    validated = paper.validate_report(federation, report)
    assert validated.id == second.id
    assert (report.state, report.validated_revision_id, report.validated_by_id) == (
        ReportState.VALIDATED,
        second.id,
        federation.id,
    )
    with pytest.raises(PaperVoteError, match="déjà validé"):
        paper.validate_report(federation, report)
    with pytest.raises(PaperVoteError, match="validé par la fédération"):
        paper.unmark_voter(secretary, report, member_id(world, "secretary"))
    # Counted: the validated version only.
    tally = paper.paper_tallies(poll)[world.grenoble.id][poll.questions[0].id]
    assert (tally.ballots, tally.votes) == (3, {"yes": 2, "no": 1, "abstain": 0})
    assert paper.paper_turnout(poll) == {world.grenoble.id: 3}
    actions = [event.action for event in paper.report_history(report)]
    assert actions == ["paper.open", "paper.submit", "paper.return", "paper.submit", "paper.validate"]


def test_a_validated_report_sent_back_is_no_longer_counted(database):
    world = paper_world()
    poll, report = open_grenoble(world)
    submitted(world, poll, report)
    paper.validate_report(world.users["bn"], report)  # the Bureau national may validate too
    assert world.grenoble.id in paper.paper_tallies(poll)
    paper.return_report(world.users["fed_isere"], report, "Erreur de recopie sur les abstentions.")
    assert report.validated_revision_id is None and paper.paper_tallies(poll) == {}
    assert [r.id for r in paper.pending_reports(poll)] == [report.id]


@pytest.mark.parametrize("key", ["fed_rhone", "secretary", "sec_voiron", "militant"])
def test_only_the_federation_s_first_secretary_or_the_bureau_validates(database, key):
    world = paper_world()
    poll, report = open_grenoble(world)
    submitted(world, poll, report)
    with pytest.raises(PermissionDenied):
        paper.validate_report(world.users[key], report)
    with pytest.raises(PermissionDenied):
        paper.return_report(world.users[key], report, "Non.")
    assert report.state == ReportState.SUBMITTED


def test_nothing_to_validate_before_the_minutes_are_transmitted(database):
    world = paper_world()
    poll, report = open_grenoble(world)
    with pytest.raises(PaperVoteError, match="pas transmis"):
        paper.validate_report(world.users["fed_isere"], report)
    with pytest.raises(PaperVoteError, match="pas transmis"):
        paper.return_report(world.users["fed_isere"], report, "Rien à renvoyer.")


def test_minutes_are_transmitted_and_validated_after_the_close_until_the_proclamation(database):
    world = paper_world()
    poll, report = open_grenoble(world)
    for key in ("militant", "voter2"):
        paper.mark_voter(world.users["secretary"], report, member_id(world, key))
    operations.close_poll(world.users["bn"], poll)  # (its count runs only if this commits)
    assert poll.state == PollState.CLOSED
    paper.submit_minutes(world.users["secretary"], report, minutes(poll, 2, 4))
    paper.validate_report(world.users["fed_isere"], report)
    db.session.execute(sa.update(Poll).where(Poll.id == poll.id).values(state=PollState.PROCLAIMED))
    with pytest.raises(PaperVoteError, match="proclamés"):
        paper.return_report(world.users["fed_isere"], report, "Trop tard.")
    assert report.state == ReportState.VALIDATED


# --- for the count ---------------------------------------------------------------------------------


def test_paper_tallies_of_every_method_come_from_the_validated_figures(database):
    world = paper_world()
    poll, report = _three_marked(world, questions=five_questions())
    yes_no, single, approval, judgment, ranking = poll.questions
    spring, autumn = single.options
    police, prevention, justice = approval.options
    a, b = judgment.options
    x, y, quo = ranking.options
    data = minutes(poll, 3, 4, note="Réunion à la Maison des associations.")
    data.figures = {
        yes_no.key: {"yes": 1, "no": 1, "abstain": 0, "blank": 1, "void": 0},
        single.key: {str(spring.id): 2, str(autumn.id): 0, "blank": 0, "void": 1},
        approval.key: {str(police.id): 2, str(prevention.id): 3, str(justice.id): 0, "blank": 0, "void": 0},
        judgment.key: {str(a.id): [1, 1, 0, 0, 0, 0], str(b.id): [0, 0, 0, 0, 1, 1], "blank": 1, "void": 0},
        ranking.key: {
            "rankings": [
                {"count": 2, "ranking": [[x.id], [y.id], [quo.id]]},
                {"count": 1, "ranking": {str(y.id): "1", str(x.id): "2", str(quo.id): ""}},
            ],
            "blank": 0,
            "void": 0,
        },
    }
    paper.submit_minutes(world.users["secretary"], report, data)
    paper.validate_report(world.users["fed_isere"], report)
    tallies = paper.paper_tallies(poll)[world.grenoble.id]
    assert all(
        isinstance(t, Tally) and t.matches(question_of(q))
        for q, t in zip(poll.questions, tallies.values(), strict=True)
    )
    assert all(t.ballots == 3 for t in tallies.values())
    assert tallies[yes_no.id].votes == {"yes": 1, "no": 1, "abstain": 0} and tallies[yes_no.id].blank == 1
    assert tallies[single.id].votes == {"Printemps": 2, "Automne": 0} and tallies[single.id].void == 1
    assert tallies[approval.id].votes == {"Police": 2, "Prévention": 3, "Justice": 0}
    assert tallies[judgment.id].grade_votes == {"Rédaction A": [1, 1, 0, 0, 0, 0], "Rédaction B": [0, 0, 0, 0, 1, 1]}
    assert sum(tallies[ranking.id].rankings.values()) == 3
    # The minutes as the verification export prints them.
    (exported,) = paper.validated_minutes(poll)
    assert {k: exported[k] for k in ("section", "federation", "registered", "voters", "revision")} == {
        "section": "Grenoble",
        "federation": "Fédération de Isère",
        "registered": 4,
        "voters": 3,
        "revision": 1,
    }
    assert exported["meeting_date"] == today_paris().isoformat()
    by_question = {item["question_id"]: item for item in exported["figures"]}
    assert by_question[single.id]["votes"] == {"Printemps": 2, "Automne": 0}
    assert by_question[ranking.id]["rankings"][1] == {"count": 1, "ranking": [["Y"], ["X"]]}
    assert by_question[judgment.id]["grades"]["Rédaction B"] == [0, 0, 0, 0, 1, 1]
    json.dumps(exported)  # plain data


def test_pending_reports_are_the_ones_not_validated(database):
    world = paper_world()
    poll, grenoble = open_grenoble(world)
    lyon = paper.open_report(world.users["sec_lyon"], poll, world.lyon)
    voiron = paper.open_report(world.users["sec_voiron"], poll, world.voiron)
    submitted(world, poll, grenoble)
    paper.validate_report(world.users["fed_isere"], grenoble)
    paper.submit_minutes(world.users["sec_voiron"], voiron, minutes(poll, 0, 0))
    assert {r.id for r in paper.pending_reports(poll)} == {lyon.id, voiron.id}
    assert paper.paper_turnout(poll) == {world.grenoble.id: 2}


# --- secrecy ----------------------------------------------------------------------------------------


def test_no_paper_voter_s_choice_is_stored_anywhere(database):
    """The émargement holds no answer, the minutes are per section only, the audit says who was marked, never what."""
    participation_columns = set(Participation.__table__.columns.keys())
    assert participation_columns == {"id", "poll_id", "member_id", "voted_dt", "channel", "report_id", "marked_by_id"}
    revision_refs = {fk.column.table.name for fk in SectionReportRevision.__table__.foreign_keys}
    assert revision_refs == {"section_report", "users"}  # the report (a section) and who submitted: no member
    report_refs = {fk.column.table.name for fk in SectionReport.__table__.foreign_keys}
    assert "member" not in report_refs

    world = paper_world()
    poll, report = _three_marked(world, questions=five_questions())
    data = minutes(poll, 3, 4)
    paper.submit_minutes(world.users["secretary"], report, data)
    paper.validate_report(world.users["fed_isere"], report)
    assert count(Ballot) == 0
    marked = set(db.session.scalars(sa.select(Participation.member_id).where(Participation.report_id == report.id)))
    revision = report.latest
    # The minutes' figures name questions and options, never members.
    stored = json.loads(revision.figures)
    numbers_in_minutes = set(json.dumps(stored).replace("[", " ").replace("]", " ").replace(",", " ").split())
    member_numbers = {m.membership_number for m in db.session.scalars(sa.select(Member).where(Member.id.in_(marked)))}
    assert not numbers_in_minutes & member_numbers
    assert set(stored) == {q.key for q in poll.questions}
    # The audit of the marks records the member only.
    for entry in db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == paper.AUDIT_MARK)):
        assert set(entry.data) == {"member_id"}
    for entry in db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action.like("paper.%"))):
        assert not {"choice", "choices", "figures"} & set(entry.data)
