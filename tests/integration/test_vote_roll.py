"""The electoral roll after its freeze (issue 11 §2): what is published, « suis-je inscrit·e ? » and why not,
and the changes asked by one member of the Bureau national and decided by another."""

from __future__ import annotations

import datetime as dt
import hashlib
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from convention.core.audit import AuditEntry
from convention.core.db import utcnow
from convention.core.permissions import PermissionDenied
from convention.domain.polls import RollChangeKind, RollChangeState
from convention.domain.roles import Role
from convention.extensions import db
from convention.members.models import Member
from convention.notifications.models import Notification
from convention.votes import operations, roll
from convention.votes.models import Poll, RollChange, RollEntry
from convention.votes.operations import VoteRefused
from convention.votes.roll import RollChangeError, RollStatusCode
from tests.auth_fixtures import make_member, make_user
from tests.integration.test_vote_operations import CUTOFF, answer, count, make_poll, make_vote_world, open_now

REASON = "Cotisation réglée avant la date, saisie en retard par la fédération."


def second_bureau():
    return make_user("bn2@example.org", roles=[(Role.NATIONAL_BUREAU, None)], display_name="Second membre du BN")


def numbers_hash(poll: Poll) -> str:
    numbers = db.session.scalars(
        sa.select(Member.membership_number)
        .join(RollEntry, RollEntry.member_id == Member.id)
        .where(RollEntry.poll_id == poll.id)
    )
    return hashlib.sha256("".join(f"{n}\n" for n in sorted(numbers)).encode()).hexdigest()


# --- what is published -------------------------------------------------------------------------------------


def test_the_published_hash_is_the_sha256_of_the_numbers_file_and_counts_add_up(database):
    world = make_vote_world()
    poll = open_now(world)
    text = roll.roll_numbers_text(poll)
    assert hashlib.sha256(text.encode()).hexdigest() == poll.roll_hash == numbers_hash(poll)
    assert text.endswith("\n") and text.splitlines() == sorted(text.splitlines())
    counts = {c.name: c.registered for c in roll.federation_counts(poll)}
    # Isère: militant, voter2, secretary, one extra member; Rhône: lyonnais, one extra member.
    assert counts == {"Isère": 4, "Rhône": 2}
    assert sum(counts.values()) == poll.roll_size == len(text.splitlines())


# --- « suis-je inscrit·e ? » ----------------------------------------------------------------------------------


def test_each_member_sees_whether_they_are_on_the_roll_and_why_not(database):
    world = make_vote_world()
    users = world.users
    paid_later = make_user(
        member=make_member(users["militant"].member.section, email="later@example.org", dues_paid_until=None)
    )
    poll = make_poll(world)
    # Before the opening: what the roll would say today.
    assert roll.roll_status(poll, users["militant"]).code == RollStatusCode.NOT_FROZEN_ELIGIBLE
    assert roll.roll_status(poll, users["unpaid"]).code == RollStatusCode.NOT_FROZEN_DUES
    assert operations.open_poll(users["bn"], poll)
    # After the opening.
    assert roll.roll_status(poll, None) is None
    assert roll.roll_status(poll, SimpleNamespace(is_authenticated=False)) is None
    assert roll.roll_status(poll, users["bn"]).code == RollStatusCode.NO_MEMBER
    status = roll.roll_status(poll, users["lyonnais"])
    assert status.code == RollStatusCode.ON_ROLL and status.is_on_roll
    assert (status.section, status.federation) == ("Lyon 1er", "Fédération de Rhône")
    status = roll.roll_status(poll, users["unpaid"])
    assert status.code == RollStatusCode.DUES and status.dues_paid_until == CUTOFF - dt.timedelta(days=1)
    assert status.cutoff == CUTOFF and not status.is_on_roll
    # Joined after the freeze (even with dues paid).
    late = make_user(member=make_member(users["militant"].member.section, email="late@example.org"))
    assert late.member.created_dt > poll.opened_dt
    assert roll.roll_status(poll, late).code == RollStatusCode.JOINED_AFTER
    # Dues recorded as paid only after the freeze.
    paid_later.member.dues_paid_until = dt.date(2099, 1, 1)
    assert roll.roll_status(poll, paid_later).code == RollStatusCode.PAID_AFTER


def test_a_change_shows_in_the_member_s_status(database):
    world = make_vote_world()
    bn, bn2 = world.users["bn"], second_bureau()
    poll = open_now(world)
    unpaid, lyonnais = world.users["unpaid"], world.users["lyonnais"]
    add = roll.request_roll_change(bn, poll, unpaid.member.membership_number, RollChangeKind.ADD, REASON)
    remove = roll.request_roll_change(bn, poll, lyonnais.member.membership_number, RollChangeKind.REMOVE, REASON)
    assert roll.roll_status(poll, unpaid).code == RollStatusCode.PENDING_ADD
    assert roll.roll_status(poll, lyonnais).code == RollStatusCode.PENDING_REMOVE
    assert roll.roll_status(poll, lyonnais).is_on_roll
    roll.approve_roll_change(bn2, add)
    roll.approve_roll_change(bn2, remove)
    status = roll.roll_status(poll, unpaid)
    assert status.code == RollStatusCode.ADDED and status.change.id == add.id and status.is_on_roll
    status = roll.roll_status(poll, lyonnais)
    assert status.code == RollStatusCode.REMOVED and status.change.reason == REASON


# --- changes: asked by one, decided by another ------------------------------------------------------------------


def test_an_addition_approved_by_a_second_member_changes_the_roll_its_size_and_hash(database):
    world = make_vote_world()
    bn, bn2 = world.users["bn"], second_bureau()
    poll = open_now(world)
    unpaid = world.users["unpaid"]
    size, digest = poll.roll_size, poll.roll_hash
    change = roll.request_roll_change(bn, poll, " " + unpaid.member.membership_number.lower() + " ", "add", REASON)
    assert change.state == RollChangeState.PENDING and change.member_id == unpaid.member_id
    assert (poll.roll_size, poll.roll_hash) == (size, digest)  # nothing changes before the approval
    with pytest.raises(VoteRefused, match="liste électorale"):
        operations.cast_ballot(unpaid, poll, answer(poll, "Pour"))
    # The one who asked cannot approve.
    with pytest.raises(PermissionDenied, match="autre membre du Bureau national"):
        roll.approve_roll_change(bn, change)
    assert change.state == RollChangeState.PENDING
    before = count(Notification)
    roll.approve_roll_change(bn2, change, "Vérifié avec la fédération.")
    assert change.state == RollChangeState.APPROVED and change.decided_by_id == bn2.id
    assert change.decision_reason == "Vérifié avec la fédération."
    assert poll.roll_size == size + 1 and poll.roll_hash != digest and poll.roll_hash == numbers_hash(poll)
    assert count(Notification) == before + 1  # the member is told
    actions = list(
        db.session.scalars(
            sa.select(AuditEntry.action).where(AuditEntry.action.like("poll.roll_change%")).order_by(AuditEntry.id)
        )
    )
    assert actions == ["poll.roll_change.request", "poll.roll_change.approve"]
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "poll.roll_change.approve"))
    assert entry.actor_id == bn2.id and entry.data["previous_roll_hash"] == digest
    assert entry.data["roll_hash"] == poll.roll_hash and entry.data["requested_by_id"] == bn.id
    # Now on the roll: the member votes.
    operations.cast_ballot(unpaid, poll, answer(poll, "Pour"))
    # Deciding again changes nothing.
    with pytest.raises(RollChangeError, match="déjà été tranchée"):
        roll.refuse_roll_change(bn2, change, "Trop tard pour refuser.")


def test_a_removal_is_refused_once_the_member_has_voted(database):
    world = make_vote_world()
    bn, bn2 = world.users["bn"], second_bureau()
    poll = open_now(world)
    militant, voter2 = world.users["militant"], world.users["voter2"]
    operations.cast_ballot(militant, poll, answer(poll, "Contre"))
    with pytest.raises(RollChangeError, match="a déjà voté"):
        roll.request_roll_change(bn, poll, militant.member.membership_number, RollChangeKind.REMOVE, REASON)
    # Asked before the vote, approved after it: refused too, nothing changes.
    change = roll.request_roll_change(bn, poll, voter2.member.membership_number, RollChangeKind.REMOVE, REASON)
    operations.cast_ballot(voter2, poll, answer(poll, "Pour"))
    size, digest = poll.roll_size, poll.roll_hash
    with pytest.raises(RollChangeError, match="a déjà voté"):
        roll.approve_roll_change(bn2, change)
    db.session.refresh(change)
    assert change.state == RollChangeState.PENDING and (poll.roll_size, poll.roll_hash) == (size, digest)


def test_an_approved_removal_takes_the_member_off_the_roll(database):
    world = make_vote_world()
    bn, bn2 = world.users["bn"], second_bureau()
    poll = open_now(world)
    lyonnais = world.users["lyonnais"]
    change = roll.request_roll_change(bn, poll, lyonnais.member.membership_number, RollChangeKind.REMOVE, REASON)
    roll.approve_roll_change(bn2, change)
    assert not roll._is_on_roll(poll, lyonnais.member_id)
    assert poll.roll_hash == numbers_hash(poll)
    assert {c.name: c.registered for c in roll.federation_counts(poll)} == {"Isère": 4, "Rhône": 1}
    with pytest.raises(VoteRefused, match="liste électorale"):
        operations.cast_ballot(lyonnais, poll, answer(poll, "Pour"))


def test_a_refusal_needs_a_reason_and_leaves_the_roll_as_it_is(database):
    world = make_vote_world()
    bn, bn2 = world.users["bn"], second_bureau()
    poll = open_now(world)
    change = roll.request_roll_change(bn, poll, world.users["unpaid"].member.membership_number, "add", REASON)
    size, digest = poll.roll_size, poll.roll_hash
    with pytest.raises(RollChangeError, match="Le motif du refus est obligatoire"):
        roll.refuse_roll_change(bn2, change, "non")
    with pytest.raises(PermissionDenied):
        roll.refuse_roll_change(bn, change, "Je me ravise finalement.")
    roll.refuse_roll_change(bn2, change, "La cotisation a été réglée après la date arrêtée.")
    assert change.state == RollChangeState.REFUSED and (poll.roll_size, poll.roll_hash) == (size, digest)
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "poll.roll_change.refuse")) is not None


@pytest.mark.parametrize("role", ["militant", "secretary"])
def test_only_the_national_bureau_asks_and_decides(database, role):
    world = make_vote_world()
    poll = open_now(world)
    number = world.users["unpaid"].member.membership_number
    with pytest.raises(PermissionDenied):
        roll.request_roll_change(world.users[role], poll, number, RollChangeKind.ADD, REASON)
    change = roll.request_roll_change(world.users["bn"], poll, number, RollChangeKind.ADD, REASON)
    with pytest.raises(PermissionDenied):
        roll.approve_roll_change(world.users[role], change)
    with pytest.raises(PermissionDenied):
        roll.refuse_roll_change(world.users[role], change, "Refusé par quelqu'un qui ne peut pas.")
    assert count(RollChange) == 1 and change.state == RollChangeState.PENDING


def test_bad_requests_are_refused_with_a_clear_message_and_nothing_written(database):
    world = make_vote_world()
    bn = world.users["bn"]
    draft = make_poll(world, title="Brouillon")
    unpaid = world.users["unpaid"].member.membership_number
    with pytest.raises(RollChangeError, match="que pendant le vote"):
        roll.request_roll_change(bn, draft, unpaid, RollChangeKind.ADD, REASON)
    poll = open_now(world)
    cases = [
        ("PS999999", RollChangeKind.ADD, REASON, "Aucun·e adhérent·e ne porte le numéro"),
        (world.users["militant"].member.membership_number, RollChangeKind.ADD, REASON, "déjà inscrit·e"),
        (unpaid, RollChangeKind.REMOVE, REASON, "n'est pas inscrit·e"),
        (unpaid, RollChangeKind.ADD, "court", "au moins 10 caractères"),
        (unpaid, RollChangeKind.ADD, "x" * 2001, "trop long"),
        ("", RollChangeKind.ADD, REASON, "Aucun·e adhérent·e"),
    ]
    for number, kind, reason, message in cases:
        with pytest.raises(RollChangeError, match=message):
            roll.request_roll_change(bn, poll, number, kind, reason)
    roll.request_roll_change(bn, poll, unpaid, RollChangeKind.ADD, REASON)
    with pytest.raises(RollChangeError, match="attend déjà une décision"):
        roll.request_roll_change(bn, poll, unpaid, RollChangeKind.ADD, REASON)
    assert count(RollChange) == 1


def test_no_change_once_the_poll_is_closed(database):
    world = make_vote_world()
    bn, bn2 = world.users["bn"], second_bureau()
    poll = open_now(world)
    change = roll.request_roll_change(bn, poll, world.users["unpaid"].member.membership_number, "add", REASON)
    operations.close_poll(bn, poll)
    with pytest.raises(RollChangeError, match="que pendant le vote"):
        roll.approve_roll_change(bn2, change)
    with pytest.raises(RollChangeError, match="que pendant le vote"):
        roll.request_roll_change(bn, poll, world.users["lyonnais"].member.membership_number, "remove", REASON)
    assert count(RollEntry, RollEntry.poll_id == poll.id) == poll.roll_size


def test_the_added_member_votes_in_the_section_frozen_for_them(database):
    """An added member is counted in their section and federation, like the others."""
    world = make_vote_world()
    bn, bn2 = world.users["bn"], second_bureau()
    poll = open_now(world, opens_at=utcnow() - dt.timedelta(hours=2))
    unpaid = world.users["unpaid"]
    roll.approve_roll_change(bn2, roll.request_roll_change(bn, poll, unpaid.member.membership_number, "add", REASON))
    entry = db.session.scalar(sa.select(RollEntry).where(RollEntry.member_id == unpaid.member_id))
    assert (entry.section_id, entry.federation_id) == (unpaid.member.section_id, world.isere.id)
