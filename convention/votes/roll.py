"""The electoral roll (liste électorale) after its freeze: what is published, « suis-je inscrit·e ? »,
and the changes made to it afterwards.

Opening a poll freezes its roll (``operations.freeze_roll``) and publishes its SHA-256
(``operations.roll_hash``). A member wrongly left out (or wrongly in) is added (or removed)
only through a ``RollChange``: asked by one member of the Bureau national with a reason,
approved or refused by ANOTHER member of the Bureau national; both steps are audited, and an
approval recomputes the roll's size and hash. The public log shows when, what kind and why,
never whom.

Queries (``federation_counts``, ``roll_numbers``, ``roll_status``, ``list_changes``) only read;
operations take the actor, check the permission, flush, audit and never commit.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from convention.core.audit import audit
from convention.core.db import db, utcnow
from convention.core.permissions import ensure, is_national_bureau
from convention.domain.errors import DomainError
from convention.domain.polls import PollState, RollChangeKind, RollChangeState
from convention.members.models import Federation, Member, Section, User
from convention.notifications.models import NotificationKind
from convention.notifications.operations import notify_many
from convention.votes.models import Participation, Poll, RollChange, RollEntry
from convention.votes.operations import poll_url, roll_hash

# States in which the roll is frozen (it was written when the poll opened).
FROZEN_STATES = frozenset({PollState.OPEN, PollState.CLOSED, PollState.TALLIED, PollState.PROCLAIMED})
REASON_MIN, REASON_MAX = 10, 2000
_BN_ONLY = "Seul le Bureau national modifie une liste électorale figée."


class RollChangeError(DomainError):
    """A change to the frozen roll is refused (French message for the Bureau national)."""


def is_frozen(poll: Poll) -> bool:
    """True once the poll has opened: its roll is written and its hash published."""
    return poll.state in FROZEN_STATES and poll.roll_hash is not None


# --- what is published -------------------------------------------------------------------------


@dataclass(frozen=True)
class FederationCount:
    federation_id: int
    code: str
    name: str
    registered: int


def federation_counts(poll: Poll) -> list[FederationCount]:
    """Registered members per federation (by federation code), as frozen and changed since."""
    rows = db.session.execute(
        sa.select(Federation.id, Federation.code, Federation.name, sa.func.count(RollEntry.id))
        .join(RollEntry, RollEntry.federation_id == Federation.id)
        .where(RollEntry.poll_id == poll.id)
        .group_by(Federation.id, Federation.code, Federation.name)
        .order_by(Federation.code)
    ).all()
    return [FederationCount(fid, code, name, count) for fid, code, name, count in rows]


def roll_numbers(poll: Poll) -> list[str]:
    """The roll's membership numbers, sorted as ``operations.roll_hash_of`` sorts them (code points)."""
    numbers = db.session.scalars(
        sa.select(Member.membership_number)
        .join(RollEntry, RollEntry.member_id == Member.id)
        .where(RollEntry.poll_id == poll.id)
    )
    return sorted(numbers)


def roll_numbers_text(poll: Poll) -> str:
    """The file whose SHA-256 is ``poll.roll_hash``: one number per line, final newline."""
    return "".join(f"{number}\n" for number in roll_numbers(poll))


# --- « suis-je inscrit·e ? » ----------------------------------------------------------------------


class RollStatusCode(enum.StrEnum):
    NO_MEMBER = "no_member"  # the account is linked to no member
    NOT_FROZEN_ELIGIBLE = "not_frozen_eligible"  # before the opening: would be on it
    NOT_FROZEN_DUES = "not_frozen_dues"  # before the opening: dues not paid up to the cutoff
    ON_ROLL = "on_roll"
    ADDED = "added"  # on the roll through an approved change
    PENDING_ADD = "pending_add"  # not on it; an addition awaits a second member of the Bureau national
    PENDING_REMOVE = "pending_remove"  # on it; a removal awaits approval
    REMOVED = "removed"  # taken off through an approved change
    JOINED_AFTER = "joined_after"  # joined after the roll was frozen
    DUES = "dues"  # dues not paid up to the cutoff when the roll was frozen
    PAID_AFTER = "paid_after"  # dues recorded as paid only after the freeze


@dataclass(frozen=True)
class RollStatus:
    """Where a member stands with respect to a poll's roll, and why."""

    code: RollStatusCode
    cutoff: dt.date
    frozen_dt: dt.datetime | None = None
    dues_paid_until: dt.date | None = None
    joined_dt: dt.datetime | None = None
    section: str = ""
    federation: str = ""
    change: RollChange | None = None

    @property
    def is_on_roll(self) -> bool:
        return self.code in (RollStatusCode.ON_ROLL, RollStatusCode.ADDED, RollStatusCode.PENDING_REMOVE)


def roll_status(poll: Poll, user: Any) -> RollStatus | None:
    """The signed-in ``user``'s situation on ``poll``'s roll (None for an anonymous visitor)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    member: Member | None = getattr(user, "member", None)
    if member is None:
        return RollStatus(RollStatusCode.NO_MEMBER, poll.roll_cutoff)
    common: dict[str, Any] = {
        "cutoff": poll.roll_cutoff,
        "frozen_dt": poll.opened_dt,
        "dues_paid_until": member.dues_paid_until,
        "joined_dt": member.created_dt,
        "section": member.section.name if member.section else "",
        "federation": member.section.federation.title if member.section else "",
    }
    if not is_frozen(poll):
        eligible = member.is_dues_paid(poll.roll_cutoff)
        return RollStatus(RollStatusCode.NOT_FROZEN_ELIGIBLE if eligible else RollStatusCode.NOT_FROZEN_DUES, **common)
    entry = db.session.scalar(
        sa.select(RollEntry).where(RollEntry.poll_id == poll.id, RollEntry.member_id == member.id)
    )
    changes = list(
        db.session.scalars(
            sa.select(RollChange)
            .where(RollChange.poll_id == poll.id, RollChange.member_id == member.id)
            .order_by(RollChange.requested_dt.desc(), RollChange.id.desc())
        )
    )
    pending = next((c for c in changes if c.state == RollChangeState.PENDING), None)
    approved = next((c for c in changes if c.state == RollChangeState.APPROVED), None)
    if entry is not None:
        section = db.session.get(Section, entry.section_id)  # where the member votes: as frozen
        if section is not None:
            common["section"] = section.name
            common["federation"] = section.federation.title
        if pending is not None and pending.kind == RollChangeKind.REMOVE:
            return RollStatus(RollStatusCode.PENDING_REMOVE, change=pending, **common)
        if approved is not None and approved.kind == RollChangeKind.ADD:
            return RollStatus(RollStatusCode.ADDED, change=approved, **common)
        return RollStatus(RollStatusCode.ON_ROLL, **common)
    if pending is not None and pending.kind == RollChangeKind.ADD:
        return RollStatus(RollStatusCode.PENDING_ADD, change=pending, **common)
    if approved is not None and approved.kind == RollChangeKind.REMOVE:
        return RollStatus(RollStatusCode.REMOVED, change=approved, **common)
    if poll.opened_dt is not None and member.created_dt is not None and member.created_dt > poll.opened_dt:
        return RollStatus(RollStatusCode.JOINED_AFTER, **common)
    if not member.is_dues_paid(poll.roll_cutoff):
        return RollStatus(RollStatusCode.DUES, **common)
    return RollStatus(RollStatusCode.PAID_AFTER, **common)


# --- the changes -----------------------------------------------------------------------------------


def list_changes(poll: Poll) -> list[RollChange]:
    """Every change asked for this poll's roll, the oldest first."""
    return list(
        db.session.scalars(
            sa.select(RollChange).where(RollChange.poll_id == poll.id).order_by(RollChange.requested_dt, RollChange.id)
        )
    )


def get_change(poll: Poll, change_id: int) -> RollChange | None:
    return db.session.scalar(sa.select(RollChange).where(RollChange.id == change_id, RollChange.poll_id == poll.id))


def count_pending(poll: Poll) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(RollChange)
            .where(RollChange.poll_id == poll.id, RollChange.state == RollChangeState.PENDING)
        )
        or 0
    )


def normalise_membership_number(text: str) -> str:
    """« ps 000123 » → « PS000123 » (the numbers are stored in capitals, without spaces)."""
    return "".join((text or "").split()).upper()


def _lock_poll(poll: Poll) -> None:
    """Lock the poll's row until the end of the transaction (PostgreSQL): a ballot being cast holds a
    shared lock on it, so the roll does not change under a voter, and two decisions are serialised."""
    db.session.execute(sa.select(Poll.id).where(Poll.id == poll.id).with_for_update())
    db.session.refresh(poll)


def _check_open(poll: Poll) -> None:
    if poll.state != PollState.OPEN or poll.roll_hash is None:
        raise RollChangeError(
            "La liste électorale ne peut être modifiée que pendant le vote : elle est figée à l'ouverture et "
            "sert au dépouillement après la clôture."
        )


def _check_reason(reason: str, what: str = "Le motif") -> str:
    text = (reason or "").strip()
    if len(text) < REASON_MIN:
        raise RollChangeError(f"{what} est obligatoire (au moins {REASON_MIN} caractères) : il sera publié.")
    if len(text) > REASON_MAX:
        raise RollChangeError(f"{what} est trop long (au plus {REASON_MAX} caractères).")
    return text


def _is_on_roll(poll: Poll, member_id: int) -> bool:
    return (
        db.session.scalar(sa.select(RollEntry.id).where(RollEntry.poll_id == poll.id, RollEntry.member_id == member_id))
        is not None
    )


def _has_voted(poll: Poll, member_id: int) -> bool:
    return (
        db.session.scalar(
            sa.select(Participation.id).where(Participation.poll_id == poll.id, Participation.member_id == member_id)
        )
        is not None
    )


def _check_applicable(poll: Poll, member: Member, kind: RollChangeKind) -> None:
    on_roll = _is_on_roll(poll, member.id)
    if kind == RollChangeKind.ADD and on_roll:
        raise RollChangeError(f"L'adhérent·e n° {member.membership_number} est déjà inscrit·e sur la liste électorale.")
    if kind == RollChangeKind.REMOVE:
        if not on_roll:
            raise RollChangeError(
                f"L'adhérent·e n° {member.membership_number} n'est pas inscrit·e sur la liste électorale."
            )
        if _has_voted(poll, member.id):
            raise RollChangeError(
                f"L'adhérent·e n° {member.membership_number} a déjà voté : son inscription ne peut plus être retirée "
                "(son émargement et son bulletin sont enregistrés)."
            )


def request_roll_change(
    actor: Any, poll: Poll, membership_number: str, kind: RollChangeKind, reason: str
) -> RollChange:
    """Ask to add (or remove) a member to (or from) the frozen roll; another member of the Bureau national decides."""
    ensure(is_national_bureau(actor), _BN_ONLY)
    _lock_poll(poll)
    _check_open(poll)
    kind = RollChangeKind(kind)
    text = _check_reason(reason)
    number = normalise_membership_number(membership_number)
    member = db.session.scalar(sa.select(Member).where(Member.membership_number == number)) if number else None
    if member is None:
        raise RollChangeError(f"Aucun·e adhérent·e ne porte le numéro « {membership_number.strip()} ».")
    pending = db.session.scalar(
        sa.select(RollChange.id).where(
            RollChange.poll_id == poll.id,
            RollChange.member_id == member.id,
            RollChange.state == RollChangeState.PENDING,
        )
    )
    if pending is not None:
        raise RollChangeError(
            f"Une modification concernant l'adhérent·e n° {member.membership_number} attend déjà une décision."
        )
    _check_applicable(poll, member, kind)
    change = RollChange(
        poll_id=poll.id,
        member_id=member.id,
        kind=kind,
        reason=text,
        state=RollChangeState.PENDING,
        requested_by_id=actor.id,
        requested_dt=utcnow(),
    )
    db.session.add(change)
    db.session.flush()
    audit(actor, "poll.roll_change.request", poll, change_id=change.id, kind=kind, member_id=member.id, reason=text)
    return change


def _decide(actor: Any, change: RollChange, state: RollChangeState, reason: str) -> bool:
    """Move a pending change to ``state`` with one guarded UPDATE; False if it was already decided."""
    result = db.session.execute(
        sa.update(RollChange)
        .where(RollChange.id == change.id, RollChange.state == RollChangeState.PENDING)
        .values(state=state, decided_by_id=actor.id, decided_dt=utcnow(), decision_reason=reason)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(change)
    return (result.rowcount or 0) == 1


def _check_decider(actor: Any, change: RollChange) -> None:
    ensure(is_national_bureau(actor), _BN_ONLY)
    ensure(
        actor.id != change.requested_by_id,
        "Une modification de la liste électorale doit être approuvée par un autre membre du Bureau national que "
        "celui ou celle qui l'a demandée.",
    )


def _already_decided(change: RollChange) -> RollChangeError:
    return RollChangeError("Cette modification a déjà été tranchée : rien n'a été fait.")


def recompute_roll(poll: Poll) -> tuple[int, str]:
    """Set the roll's size and hash from its entries; returns them."""
    size = db.session.scalar(sa.select(sa.func.count()).select_from(RollEntry).where(RollEntry.poll_id == poll.id))
    digest = roll_hash(poll)
    db.session.execute(
        sa.update(Poll)
        .where(Poll.id == poll.id)
        .values(roll_size=size or 0, roll_hash=digest, updated_dt=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(poll)
    return size or 0, digest


def approve_roll_change(actor: Any, change: RollChange, reason: str = "") -> RollChange:
    """Approve a pending change (a second member of the Bureau national): the roll, its size and hash change."""
    _check_decider(actor, change)
    poll = db.session.get(Poll, change.poll_id)
    _lock_poll(poll)
    db.session.refresh(change)
    if change.state != RollChangeState.PENDING:
        raise _already_decided(change)
    _check_open(poll)
    member = db.session.get(Member, change.member_id)
    # Lock the member's line of the roll too: a paper mark (or a ballot) being written for them waits,
    # or this waits for it and then sees it.
    db.session.execute(
        sa.select(RollEntry.id).where(RollEntry.poll_id == poll.id, RollEntry.member_id == member.id).with_for_update()
    )
    _check_applicable(poll, member, change.kind)
    previous = poll.roll_hash
    if not _decide(actor, change, RollChangeState.APPROVED, (reason or "").strip()[:REASON_MAX]):
        raise _already_decided(change)
    if change.kind == RollChangeKind.ADD:
        section = db.session.get(Section, member.section_id)
        db.session.add(
            RollEntry(poll_id=poll.id, member_id=member.id, federation_id=section.federation_id, section_id=section.id)
        )
    else:
        db.session.execute(sa.delete(RollEntry).where(RollEntry.poll_id == poll.id, RollEntry.member_id == member.id))
    db.session.flush()
    size, digest = recompute_roll(poll)
    audit(
        actor,
        "poll.roll_change.approve",
        poll,
        change_id=change.id,
        kind=change.kind,
        member_id=member.id,
        requested_by_id=change.requested_by_id,
        roll_size=size,
        roll_hash=digest,
        previous_roll_hash=previous,
    )
    _tell_member(poll, member, change)
    return change


def refuse_roll_change(actor: Any, change: RollChange, reason: str) -> RollChange:
    """Refuse a pending change (a second member of the Bureau national), with a reason; the roll stays as it is."""
    _check_decider(actor, change)
    text = _check_reason(reason, "Le motif du refus")
    poll = db.session.get(Poll, change.poll_id)
    _lock_poll(poll)
    if not _decide(actor, change, RollChangeState.REFUSED, text):
        raise _already_decided(change)
    audit(actor, "poll.roll_change.refuse", poll, change_id=change.id, kind=change.kind, member_id=change.member_id)
    return change


def _tell_member(poll: Poll, member: Member, change: RollChange) -> None:
    user_ids = list(
        db.session.scalars(sa.select(User.id).where(User.member_id == member.id, User.is_enabled.is_(True)))
    )
    if not user_ids:
        return
    if change.kind == RollChangeKind.ADD:
        subject = f"Vous êtes inscrit·e sur la liste électorale : {poll.title}"
        body = "Le Bureau national vous a inscrit·e sur la liste électorale de ce scrutin. Motif : " + change.reason
    else:
        subject = f"Votre inscription sur la liste électorale est retirée : {poll.title}"
        body = "Le Bureau national a retiré votre inscription sur la liste électorale de ce scrutin. Motif : " + (
            change.reason
        )
    notify_many(user_ids, NotificationKind.POLL, subject[:300], body, poll_url(poll))
