"""Members' vote operations: polls, the frozen roll, secret ballots, double votes, the window.

The builders at the top (``VoteWorld``, ``make_vote_world``, ``make_poll``, ``open_now``) are
shared with the tally, scheduling and page tests of the vote.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from convention.conventions.models import Convention
from convention.core.audit import AuditEntry
from convention.core.db import utcnow
from convention.core.permissions import PermissionDenied
from convention.domain.errors import IllegalTransition
from convention.domain.polls import MajorityBase, PollState, QuestionMethod
from convention.domain.roles import Role
from convention.extensions import db
from convention.members.models import Federation, Member, User
from convention.notifications.models import Notification, NotificationKind
from convention.votes import operations, queries
from convention.votes.models import Ballot, Participation, Poll, PollOption, RollEntry, normalise_receipt_code
from convention.votes.operations import PollData, PollError, QuestionData, VoteRefused
from tests.auth_fixtures import make_convention, make_federation, make_member, make_section, make_user

CUTOFF = dt.date(2030, 1, 1)


@dataclass
class VoteWorld:
    convention: Convention
    isere: Federation
    rhone: Federation
    users: dict[str, User]
    # Members on the roll with an account, by key; ``extra`` members on the roll without account.
    unpaid: Member
    extra: list[Member]


def make_vote_world() -> VoteWorld:
    """Two federations; accounts for the permission matrix; members with and without dues paid."""
    convention = make_convention()
    isere = make_federation("38", "Isère")
    rhone = make_federation("69", "Rhône")
    grenoble = make_section(isere, "Grenoble")
    lyon = make_section(rhone, "Lyon 1er")

    def account(key: str, section, roles=(), dues=dt.date(2099, 12, 31)) -> User:
        member = make_member(section, first_name=key.capitalize(), email=f"{key}@example.org", dues_paid_until=dues)
        return make_user(member=member, roles=roles)

    users = {
        "militant": account("militant", grenoble),
        "voter2": account("voter2", grenoble),
        "lyonnais": account("lyonnais", lyon),
        "secretary": account("secretary", grenoble, [(Role.SECTION_SECRETARY, grenoble)]),
        "bn": make_user("bn@example.org", roles=[(Role.NATIONAL_BUREAU, None)], display_name="Bureau national"),
        "unpaid": account("unpaid", grenoble, dues=CUTOFF - dt.timedelta(days=1)),
    }
    unpaid = make_member(lyon, dues_paid_until=None)
    extra = [make_member(lyon), make_member(grenoble, dues_paid_until=CUTOFF)]
    return VoteWorld(convention, isere, rhone, users, unpaid, extra)


def poll_data(**changes) -> PollData:
    now = utcnow()
    values = {
        "title": "Adoption du texte de la convention",
        "question": "Approuvez-vous le texte adopté par le Bureau national ?",
        "opens_at": now - dt.timedelta(hours=1),
        "closes_at": now + dt.timedelta(days=2),
        "roll_cutoff": CUTOFF,
        "description": "Le **texte** soumis au vote.",
    }
    values.update(changes)
    return PollData(**values)


def make_poll(world: VoteWorld, **changes) -> Poll:
    return operations.create_poll(world.users["bn"], world.convention, poll_data(**changes))


def open_now(world: VoteWorld, **changes) -> Poll:
    poll = make_poll(world, **changes)
    assert operations.open_poll(world.users["bn"], poll)
    return poll


def option(poll: Poll, label: str) -> PollOption:
    return next(o for o in poll.options if o.label == label)


def answer(poll: Poll, label: str) -> dict[str, str | int]:
    """The choices of a ballot answering the poll's first question with the option ``label``."""
    chosen = option(poll, label)
    return {str(chosen.question_id): chosen.choice if chosen.code else chosen.id}


def count(model, *conditions) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*conditions)) or 0


# --- creating and editing -----------------------------------------------------------------


def test_create_poll_has_default_options_and_is_a_draft(database):
    world = make_vote_world()
    poll = make_poll(world)
    assert poll.state == PollState.DRAFT
    assert [(o.label, o.code) for o in poll.options] == [("Pour", "yes"), ("Contre", "no"), ("Abstention", "abstain")]
    (question,) = poll.questions
    assert (question.method, question.base, question.threshold, question.strict) == (
        QuestionMethod.YES_NO_ABSTAIN,
        MajorityBase.YES_NO,
        "1/2",
        True,
    )
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "poll.create")) is not None


@pytest.mark.parametrize("role", ["militant", "secretary"])
def test_only_the_national_bureau_creates_polls(database, role):
    world = make_vote_world()
    with pytest.raises(PermissionDenied):
        operations.create_poll(world.users[role], world.convention, poll_data())
    assert count(Poll) == 0


def test_poll_data_is_validated(database):
    world = make_vote_world()
    now = utcnow()
    with pytest.raises(PollError):
        make_poll(world, closes_at=now - dt.timedelta(days=1), opens_at=now)
    with pytest.raises(PollError):
        make_poll(world, questions=[QuestionData("Choix", QuestionMethod.SINGLE, options=[("Pour", "")])])
    with pytest.raises(PollError):
        make_poll(world, questions=[QuestionData("Choix", QuestionMethod.SINGLE, options=[("Pour", ""), ("pour", "")])])
    with pytest.raises(PollError):
        make_poll(world, questions=[QuestionData("Texte", threshold="3/2")])
    for quorum in ("1e-5000", "1e-999999999", "²/3"):  # no exponent: it would not print, or never end
        with pytest.raises(PollError, match="n'est pas une fraction"):
            make_poll(world, questions=[QuestionData("Texte", quorum=quorum)])
    with pytest.raises(PollError, match="mot réservé"):
        make_poll(world, questions=[QuestionData("Choix", QuestionMethod.SINGLE, options=[("blank", ""), ("B", "")])])


def test_update_only_before_the_opening(database):
    world = make_vote_world()
    poll = make_poll(world)
    single = QuestionData("Rédaction", QuestionMethod.SINGLE, options=[("Oui", ""), ("Non", "")])
    operations.update_poll(world.users["bn"], poll, poll_data(title="Nouveau titre", questions=[single]))
    assert poll.title == "Nouveau titre"
    assert [o.label for o in poll.options] == ["Oui", "Non"]
    assert operations.open_poll(world.users["bn"], poll)
    with pytest.raises(PollError):
        operations.update_poll(world.users["bn"], poll, poll_data(title="Trop tard"))


# --- opening: the roll ----------------------------------------------------------------------


def test_open_freezes_the_roll_of_members_with_dues_paid_at_the_cutoff(database):
    world = make_vote_world()
    poll = make_poll(world)
    assert operations.open_poll(world.users["bn"], poll)
    assert poll.state == PollState.OPEN and poll.opened_dt is not None
    on_roll = set(db.session.scalars(sa.select(RollEntry.member_id).where(RollEntry.poll_id == poll.id)))
    paid = {u.member_id for k, u in world.users.items() if k not in ("bn", "unpaid")} | {m.id for m in world.extra}
    assert on_roll == paid
    assert poll.roll_size == len(paid)
    entry = db.session.scalar(sa.select(RollEntry).where(RollEntry.member_id == world.users["lyonnais"].member_id))
    assert entry.federation_id == world.rhone.id
    # Everyone on the roll with an account is told; nobody else.
    told = set(db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == NotificationKind.POLL)))
    assert told == {u.id for k, u in world.users.items() if k not in ("bn", "unpaid")}
    # Frozen: paying one's dues afterwards does not put one on the roll.
    world.users["unpaid"].member.dues_paid_until = dt.date(2099, 1, 1)
    db.session.flush()
    assert not queries.is_on_roll(poll.id, world.users["unpaid"].member_id)


def test_opening_twice_does_nothing_the_second_time(database):
    world = make_vote_world()
    poll = make_poll(world)
    assert operations.schedule_poll(world.users["bn"], poll)
    # Another process opens the poll behind this session's back: this object still says "scheduled".
    db.session.execute(
        sa.update(Poll)
        .where(Poll.id == poll.id)
        .values(state=PollState.OPEN)
        .execution_options(synchronize_session=False)
    )
    assert poll.state == PollState.SCHEDULED
    assert operations.open_poll(world.users["bn"], poll) is False
    assert count(RollEntry) == 0 and count(Notification) == 0
    # With the poll as it is now, the transition is illegal.
    with pytest.raises(IllegalTransition):
        operations.open_poll(world.users["bn"], poll)


def test_open_now_moves_the_opening_forward(database):
    world = make_vote_world()
    now = utcnow()
    poll = make_poll(world, opens_at=now + dt.timedelta(days=1), closes_at=now + dt.timedelta(days=3))
    assert operations.open_poll(world.users["bn"], poll, now=now)
    assert poll.opens_at == now
    assert poll.accepts_ballots(now + dt.timedelta(seconds=1))


# --- casting a ballot ----------------------------------------------------------------------------


def test_cast_ballot_writes_the_emargement_and_an_anonymous_ballot(database):
    world = make_vote_world()
    poll = open_now(world)
    user = world.users["lyonnais"]
    code = operations.cast_ballot(user, poll, answer(poll, "Pour"))
    participation = db.session.scalar(sa.select(Participation))
    assert participation.member_id == user.member_id and participation.voted_dt is not None
    ballot = db.session.scalar(sa.select(Ballot))
    assert json.loads(ballot.choices) == answer(poll, "Pour") == {str(poll.questions[0].id): "yes"}
    assert ballot.section_id == user.member.section_id
    assert ballot.federation_id == world.rhone.id
    assert ballot.receipt_hash == hashlib.sha256(normalise_receipt_code(code).encode()).hexdigest()
    assert code not in ballot.receipt_hash
    assert len(normalise_receipt_code(code)) == 20
    assert queries.ballot_exists(poll.id, code.lower().replace("-", " "))
    assert not queries.ballot_exists(poll.id, "AAAAA-BBBBB-CCCCC-DDDDD")


def test_ballot_table_holds_no_member_and_no_time(database):
    columns = {c.name: c for c in Ballot.__table__.columns}
    assert set(columns) == {"id", "poll_id", "choices", "federation_id", "section_id", "receipt_hash"}
    assert not any(isinstance(c.type, sa.DateTime) or "Date" in type(c.type).__name__ for c in columns.values())
    referred = {fk.column.table.name for fk in Ballot.__table__.foreign_keys}
    assert referred == {"poll", "federation", "section"}
    # The id is random (not a sequence that would give the order of the votes).
    world = make_vote_world()
    poll = open_now(world)
    for key in ("militant", "voter2", "lyonnais"):
        operations.cast_ballot(world.users[key], poll, answer(poll, "Contre"))
    ids = list(db.session.scalars(sa.select(Ballot.id)))
    assert len(set(ids)) == 3 and all(len(i) == 36 for i in ids)
    # The audit log records that someone voted, never what.
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "poll.vote")).all()
    assert len(entries) == 3
    assert all(entry.data == {} for entry in entries)


def test_a_second_vote_is_refused_and_changes_nothing(database):
    world = make_vote_world()
    poll = open_now(world)
    user = world.users["militant"]
    operations.cast_ballot(user, poll, answer(poll, "Pour"))
    with pytest.raises(VoteRefused, match="déjà voté"):
        operations.cast_ballot(user, poll, answer(poll, "Contre"))
    assert count(Participation) == 1 and count(Ballot) == 1
    assert json.loads(db.session.scalar(sa.select(Ballot.choices))) == answer(poll, "Pour")


def test_the_unique_constraint_is_the_last_guard(database, monkeypatch):
    world = make_vote_world()
    poll = open_now(world)
    user = world.users["militant"]
    operations.cast_ballot(user, poll, answer(poll, "Pour"))
    # Two submissions racing: both pass the "has voted?" check; the constraint refuses the second.
    monkeypatch.setattr(operations, "has_voted", lambda poll, member_id: False)
    with pytest.raises(VoteRefused, match="déjà voté"):
        operations.cast_ballot(user, poll, answer(poll, "Contre"))
    assert count(Participation) == 1 and count(Ballot) == 1
    # And directly, without the operation.
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(Participation(poll_id=poll.id, member_id=user.member_id))
        db.session.flush()


def test_votes_outside_the_window_are_refused(database):
    world = make_vote_world()
    now = utcnow()
    poll = open_now(world)
    user = world.users["militant"]
    with pytest.raises(VoteRefused, match="pas ouvert"):
        operations.cast_ballot(user, poll, answer(poll, "Pour"), now=poll.opens_at - dt.timedelta(seconds=1))
    with pytest.raises(VoteRefused, match="pas ouvert"):
        operations.cast_ballot(user, poll, answer(poll, "Pour"), now=poll.closes_at)
    draft = make_poll(world, title="Brouillon")
    with pytest.raises(VoteRefused, match="pas ouvert"):
        operations.cast_ballot(user, draft, answer(draft, "Pour"), now=now)
    assert count(Participation) == 0 and count(Ballot) == 0


def test_not_on_the_roll_no_member_or_forged_option_are_refused(database):
    world = make_vote_world()
    poll = open_now(world)
    other = make_poll(world, title="Autre scrutin")
    with pytest.raises(VoteRefused, match="liste électorale"):
        operations.cast_ballot(world.users["unpaid"], poll, answer(poll, "Pour"))
    with pytest.raises(VoteRefused, match="aucun·e adhérent·e"):
        operations.cast_ballot(world.users["bn"], poll, answer(poll, "Pour"))
    question = str(poll.questions[0].id)
    for forged, message in (
        (answer(other, "Pour"), "ne fait pas partie"),
        ({question: "peut-être"}, "Pour, Contre ou Abstention"),
        ({question: other.options[0].id}, "Pour, Contre ou Abstention"),
        (999_999, "illisible"),
        ({}, "répondez à cette question"),
    ):
        with pytest.raises(VoteRefused, match=message):
            operations.cast_ballot(world.users["militant"], poll, forged)
    assert count(Participation) == 0 and count(Ballot) == 0


# --- closing, counting, proclaiming ---------------------------------------------------------------


def test_close_starts_the_count_and_proclaim_tells_the_roll(database):
    world = make_vote_world()
    poll = open_now(world)
    operations.cast_ballot(world.users["militant"], poll, answer(poll, "Pour"))
    with pytest.raises(PermissionDenied):
        operations.close_poll(world.users["militant"], poll)
    before_close = count(Notification)
    job = operations.close_poll(world.users["bn"], poll)
    assert count(Notification) - before_close == poll.roll_size - len(world.extra)  # the roll is told
    assert job is not None and poll.state == PollState.CLOSED and poll.tally_job_id == job.id
    assert poll.closes_at <= utcnow()
    poll_id = poll.id
    db.session.commit()  # the count runs once this commits (inline in tests)
    db.session.expire_all()
    poll = db.session.get(Poll, poll_id)
    assert poll.state == PollState.TALLIED
    closing_notices = count(Notification)
    assert operations.close_poll(world.users["bn"], _stale(poll, PollState.OPEN)) is None
    assert count(Notification) == closing_notices  # a second close tells nobody again
    db.session.expire_all()
    poll = db.session.get(Poll, poll_id)
    with pytest.raises(PermissionDenied):
        operations.proclaim(world.users["secretary"], poll)
    before = count(Notification)
    assert operations.proclaim(world.users["bn"], poll)
    assert poll.state == PollState.PROCLAIMED and poll.proclaimed_dt is not None
    assert count(Notification) - before == poll.roll_size - len(world.extra)
    with pytest.raises(IllegalTransition):
        operations.proclaim(world.users["bn"], poll)


def _stale(poll: Poll, state: PollState) -> Poll:
    """Make the session's object believe the poll is still in ``state`` (another process moved it)."""
    sa.orm.attributes.set_committed_value(poll, "state", state)
    return poll


def test_a_ballot_rolled_back_with_its_unit_of_work_leaves_nothing(database):
    """The savepoint around the émargement and the ballot belongs to the request's transaction
    (on SQLite too, where a SAVEPOINT outside a transaction would commit on its own)."""
    world = make_vote_world()
    poll = open_now(world)
    db.session.commit()
    operations.cast_ballot(world.users["militant"], poll, answer(poll, "Pour"))
    db.session.rollback()
    assert count(Participation) == 0 and count(Ballot) == 0


def test_closing_rewrites_the_ballot_box_so_no_ballot_keeps_its_voter_s_transaction(database):
    """The same ballots (every receipt still checks) under new ids, written by the closing transaction.

    What the database files keep is tested in tests/integration/test_vote_secrecy_storage.py."""
    world = make_vote_world()
    poll = open_now(world)
    db.session.commit()
    for key, label in (("militant", "Pour"), ("voter2", "Contre"), ("lyonnais", "Pour"), ("secretary", "Abstention")):
        operations.cast_ballot(world.users[key], poll, answer(poll, label))
        db.session.commit()  # one transaction per voter, as with real requests
    box = sa.select(Ballot.receipt_hash, Ballot.choices, Ballot.federation_id, Ballot.section_id).order_by(
        Ballot.receipt_hash
    )
    before = db.session.execute(box).all()
    old_ids = set(db.session.scalars(sa.select(Ballot.id)))
    postgres = db.engine.dialect.name == "postgresql"
    if postgres:  # the hidden transaction id ties each ballot to its émargement while the vote is open
        ballot_xmins = set(db.session.scalars(sa.text("SELECT xmin::text FROM ballot")))
        voter_xmins = set(db.session.scalars(sa.text("SELECT xmin::text FROM participation")))
        assert ballot_xmins == voter_xmins and len(ballot_xmins) == 4

    operations.close_poll(world.users["bn"], poll)
    db.session.commit()

    assert db.session.execute(box).all() == before  # the same ballots: receipts still check
    new_ids = set(db.session.scalars(sa.select(Ballot.id)))
    assert len(new_ids) == 4 and not new_ids & old_ids  # new random ids: the old index entries match nothing
    if postgres:
        ballot_xmins = set(db.session.scalars(sa.text("SELECT xmin::text FROM ballot")))
        assert len(ballot_xmins) == 1 and not ballot_xmins & voter_xmins


def test_a_count_cannot_be_relaunched_while_one_is_under_way(database):
    world = make_vote_world()
    poll = open_now(world)
    operations.cast_ballot(world.users["militant"], poll, answer(poll, "Pour"))
    job = operations.close_poll(world.users["bn"], poll)  # its count runs once this commits
    with pytest.raises(PollError, match="déjà en cours"):
        operations.relaunch_tally(world.users["bn"], poll)
    db.session.commit()
    db.session.expire_all()
    poll = db.session.get(Poll, poll.id)
    assert poll.state == PollState.TALLIED and poll.tally_job_id == job.id
    again = operations.relaunch_tally(world.users["bn"], poll)  # finished: a recount is allowed
    db.session.commit()
    assert again.id != job.id


def test_a_silent_count_is_taken_over_at_once_by_relaunch(database, app, monkeypatch):
    """The worker counting died: « Relancer le dépouillement » queues the same job again at once,
    instead of waiting for the broker's visibility timeout."""
    from convention.jobs.models import Job, JobState

    world = make_vote_world()
    poll = open_now(world)
    operations.cast_ballot(world.users["militant"], poll, answer(poll, "Pour"))
    monkeypatch.setitem(app.config, "CELERY_TASK_ALWAYS_EAGER", False)
    with monkeypatch.context() as patch:  # the job's dispatch is lost: nobody runs it
        patch.setattr("convention.jobs.operations.dispatch", lambda job_id: None)
        job = operations.close_poll(world.users["bn"], poll)
        db.session.commit()
    job = db.session.get(Job, job.id)
    assert job.state == JobState.QUEUED and not job.is_silent
    with pytest.raises(PollError, match="déjà en cours"):
        operations.relaunch_tally(world.users["bn"], poll)
    db.session.rollback()
    # Silent for longer than the threshold: the same job is resumed (and runs, inline here).
    job = db.session.get(Job, job.id)
    job.created_dt = utcnow() - dt.timedelta(minutes=5)
    db.session.commit()
    poll = db.session.get(Poll, poll.id)
    resumed = operations.relaunch_tally(world.users["bn"], poll)
    assert resumed.id == job.id
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Poll, poll.id).state == PollState.TALLIED
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "job.resume")) is not None
