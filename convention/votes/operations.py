"""Writing the members' vote: polls, their transitions, the roll, ballots, proclamation.

Every function takes the actor (a ``User``, or None for the scheduler), checks the
permission again, flushes, writes an audit entry and never commits. Each transition is a
single UPDATE guarded by the current state: when two processes (two beat schedulers, two
clicks) run the same transition, the second one changes nothing and gets False.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from convention.core.audit import AUDIT_INSERT, audit, audit_values
from convention.core.db import db, execute_core, utcnow
from convention.core.links import path_for
from convention.core.permissions import ensure, is_national_bureau
from convention.domain.ballots import ChoiceError, normalise_choices
from convention.domain.counting import RESERVED_NAMES
from convention.domain.errors import DomainError, IllegalTransition
from convention.domain.polls import (
    EDITABLE_STATES,
    TALLY_STATES,
    MajorityBase,
    PollState,
    QuestionMethod,
    VoteChannel,
    check_poll_transition,
)
from convention.jobs.models import Job, JobKind
from convention.jobs.operations import resume_silent_job, start_job
from convention.members.models import Member, Section, User
from convention.notifications.models import NotificationKind
from convention.notifications.operations import notify_many
from convention.votes.models import (
    Ballot,
    Participation,
    Poll,
    PollOption,
    PollQuestion,
    RollEntry,
    hash_receipt_code,
    new_ballot_id,
    new_receipt_code,
)

YES_NO_OPTIONS = (("yes", "Pour"), ("no", "Contre"), ("abstain", "Abstention"))
STATUS_QUO_LABEL = "Aucune de ces rédactions (statu quo)"
MAX_OPTIONS = 12
MAX_QUESTIONS = 6
_BN_ONLY = "Seul le Bureau national organise les scrutins."


class VoteRefused(DomainError):
    """A ballot cannot be cast (not on the roll, outside the window, already voted, bad choice)."""


class PollError(DomainError):
    """The poll's data or state refuses the change."""


@dataclass
class QuestionData:
    """One question as the poll form gives it.

    ``options``: (label, description) pairs (ignored for yes/no/abstain: Pour, Contre, Abstention).
    ``threshold``/``quorum``: exact fractions as text (« 1/2 », « 2/3 »; quorum « » = none).
    """

    title: str
    method: QuestionMethod = QuestionMethod.YES_NO_ABSTAIN
    description: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)
    seats: int | None = None
    base: MajorityBase = MajorityBase.YES_NO
    threshold: str = "1/2"
    strict: bool = True
    quorum: str = ""
    status_quo: bool = False  # Schulze: add « Aucune de ces rédactions (statu quo) »


@dataclass
class PollData:
    """What the poll form gives (times already converted to aware UTC datetimes).

    With no ``questions``, the poll has one: ``question``, answered Pour / Contre / Abstention,
    adopted by more than half of the expressed votes.
    """

    title: str
    question: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    roll_cutoff: dt.date
    description: str = ""
    text_version_id: int | None = None
    questions: list[QuestionData] = field(default_factory=list)
    allows_paper: bool = True
    secrecy_threshold: int = 10

    def effective_questions(self) -> list[QuestionData]:
        return self.questions or [QuestionData(title=self.question.strip()[:300] or self.title.strip()[:300])]


def poll_url(poll: Poll) -> str:
    return path_for("votes.show", poll_id=poll.id)


# « 1/2 », « 0.25 »: small numbers only (no exponent: « 1e-5000 » would not print, « 1e-999999999 » never ends).
_FRACTION = re.compile(r"[0-9]{1,6}(?:/[0-9]{1,6}|\.[0-9]{1,6})?")


def parse_fraction(text: str, what: str, *, allow_empty: bool = False) -> Fraction | None:
    """« 1/2 », « 2/3 », « 0,25 » → an exact fraction in ]0, 1]; PollError naming ``what`` otherwise."""
    raw = (text or "").strip().replace(",", ".").replace(" ", "")
    if not raw:
        if allow_empty:
            return None
        raise PollError(f"{what} : indiquez une fraction, par exemple 1/2 ou 2/3.")
    if not _FRACTION.fullmatch(raw):
        raise PollError(f"{what} : « {text} » n'est pas une fraction (écrivez par exemple 1/2 ou 2/3).")
    try:
        value = Fraction(raw)
    except ZeroDivisionError:
        raise PollError(f"{what} : « {text} » n'est pas une fraction (écrivez par exemple 1/2 ou 2/3).") from None
    if not 0 < value <= 1:
        raise PollError(f"{what} : la fraction doit être comprise entre 0 (exclu) et 1.")
    return value


def _validate_question(index: int, question: QuestionData) -> None:
    where = f"Question {index}"
    if not question.title.strip():
        raise PollError(f"{where} : l'intitulé est obligatoire.")
    if question.method == QuestionMethod.YES_NO_ABSTAIN:
        parse_fraction(question.threshold, f"{where}, seuil d'adoption")
        parse_fraction(question.quorum, f"{where}, quorum", allow_empty=True)
        return
    labels = [label.strip() for label, _ in question.options if label.strip()]
    if len(labels) < 2:
        raise PollError(f"{where} : proposez au moins deux réponses.")
    if len(labels) > MAX_OPTIONS:
        raise PollError(f"{where} : au plus {MAX_OPTIONS} réponses.")
    reserved = [label for label in labels if label.casefold() in RESERVED_NAMES]
    if reserved:
        raise PollError(
            f"{where} : « {reserved[0]} » est un mot réservé au dépouillement ; choisissez un autre libellé."
        )
    every = [label.casefold() for label in labels]
    if question.status_quo:
        every.append(STATUS_QUO_LABEL.casefold())
    if len(set(every)) != len(every):
        raise PollError(f"{where} : deux réponses portent le même libellé.")
    if question.seats is not None:
        if question.method != QuestionMethod.APPROVAL:
            raise PollError(f"{where} : un nombre de sièges n'a de sens que pour un vote par approbation.")
        if not 1 <= question.seats < len(labels):
            raise PollError(f"{where} : le nombre de sièges doit être compris entre 1 et {len(labels) - 1}.")
    if question.status_quo and question.method != QuestionMethod.SCHULZE:
        raise PollError(f"{where} : le statu quo ne s'emploie qu'avec un classement (méthode de Schulze).")


def _validate(data: PollData) -> None:
    if not data.title.strip():
        raise PollError("Le titre est obligatoire.")
    if not data.question.strip():
        raise PollError("La question posée est obligatoire.")
    if data.opens_at.tzinfo is None or data.closes_at.tzinfo is None:
        raise ValueError("poll times must be timezone-aware")
    if data.closes_at <= data.opens_at:
        raise PollError("La clôture doit suivre l'ouverture.")
    if not 1 <= data.secrecy_threshold <= 1000:
        raise PollError("Le seuil de publication des résultats doit être compris entre 1 et 1 000 bulletins.")
    questions = data.effective_questions()
    if len(questions) > MAX_QUESTIONS:
        raise PollError(f"Un scrutin pose au plus {MAX_QUESTIONS} questions.")
    for index, question in enumerate(questions, start=1):
        _validate_question(index, question)


def _set_questions(poll: Poll, data: PollData) -> None:
    poll.questions.clear()
    db.session.flush()
    for position, qdata in enumerate(data.effective_questions()):
        yes_no = qdata.method == QuestionMethod.YES_NO_ABSTAIN
        question = PollQuestion(
            position=position,
            title=qdata.title.strip()[:300],
            description=qdata.description.strip(),
            method=qdata.method,
            seats=qdata.seats if qdata.method == QuestionMethod.APPROVAL else None,
            base=qdata.base if yes_no else None,
            threshold=str(parse_fraction(qdata.threshold, "Seuil")) if yes_no else "1/2",
            strict=qdata.strict if yes_no else True,
            quorum=str(parse_fraction(qdata.quorum, "Quorum", allow_empty=True) or "") or None if yes_no else None,
        )
        poll.questions.append(question)
        if yes_no:
            options = [(label, "", code, False) for code, label in YES_NO_OPTIONS]
        else:
            options = [(label.strip()[:200], desc.strip(), "", False) for label, desc in qdata.options if label.strip()]
            if qdata.status_quo:
                options.append((STATUS_QUO_LABEL, "", "", True))
        for index, (label, description, code, status_quo) in enumerate(options):
            question.options.append(
                PollOption(
                    poll_id=poll.id, label=label, description=description, position=index, code=code,
                    is_status_quo=status_quo,
                )
            )  # fmt: skip
    db.session.flush()
    db.session.expire(poll, ["options"])


def _check_text_version(convention_id: int, text_version_id: int | None) -> None:
    """The text put to the vote is one of this convention's (never another convention's)."""
    if text_version_id is None:
        return
    from convention.texts.models import Text, TextVersion

    found = db.session.scalar(
        sa.select(TextVersion.id)
        .join(Text, Text.id == TextVersion.text_id)
        .where(TextVersion.id == text_version_id, Text.convention_id == convention_id)
    )
    if found is None:
        raise PollError("Le texte soumis au vote doit être une version du texte de cette convention.")


def create_poll(actor: Any, convention: Any, data: PollData) -> Poll:
    """A draft poll (Bureau national), with its options (by default Pour, Contre and Abstention as blank)."""
    ensure(is_national_bureau(actor), _BN_ONLY)
    _validate(data)
    _check_text_version(convention.id, data.text_version_id)
    poll = Poll(
        convention_id=convention.id,
        title=data.title.strip(),
        question=data.question.strip(),
        description=data.description.strip(),
        text_version_id=data.text_version_id,
        opens_at=data.opens_at,
        closes_at=data.closes_at,
        roll_cutoff=data.roll_cutoff,
        allows_paper=data.allows_paper,
        secrecy_threshold=data.secrecy_threshold,
        created_by_id=actor.id,
        state=PollState.DRAFT,
    )
    db.session.add(poll)
    _set_questions(poll, data)
    db.session.flush()
    audit(actor, "poll.create", poll, title=poll.title)
    return poll


def update_poll(actor: Any, poll: Poll, data: PollData) -> Poll:
    """Change the wording, dates, cutoff or options (Bureau national; only before the opening)."""
    ensure(poll.can_manage(actor), _BN_ONLY)
    _lock(poll)
    if poll.state not in EDITABLE_STATES:
        raise PollError("Ce scrutin est ouvert ou clos : il ne peut plus être modifié.")
    _validate(data)
    _check_text_version(poll.convention_id, data.text_version_id)
    poll.title = data.title.strip()
    poll.question = data.question.strip()
    poll.description = data.description.strip()
    poll.text_version_id = data.text_version_id
    poll.opens_at = data.opens_at
    poll.closes_at = data.closes_at
    poll.roll_cutoff = data.roll_cutoff
    poll.allows_paper = data.allows_paper
    poll.secrecy_threshold = data.secrecy_threshold
    _set_questions(poll, data)
    db.session.flush()
    audit(actor, "poll.update", poll, title=poll.title)
    return poll


def _lock(poll: Poll) -> None:
    """Reload the poll's row (locked until the end of the transaction on PostgreSQL)."""
    db.session.execute(sa.select(Poll.id).where(Poll.id == poll.id).with_for_update())
    db.session.refresh(poll)


def _advance(poll: Poll, target: PollState, sources: set[PollState] | None = None, **values: Any) -> bool:
    """Move ``poll`` to ``target`` with one UPDATE guarded by its current state.

    Raises IllegalTransition if the poll (as loaded) cannot go there; returns False if another
    process moved it first (the UPDATE matched no row), True if this call did it.
    """
    check_poll_transition(poll.state, target)
    allowed = sources or {poll.state}
    result = db.session.execute(
        sa.update(Poll)
        .where(Poll.id == poll.id, Poll.state.in_(list(allowed)))
        .values(state=target, updated_dt=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(poll)
    return (result.rowcount or 0) == 1


def schedule_poll(actor: Any, poll: Poll, now: dt.datetime | None = None) -> bool:
    """Draft → scheduled: the poll will open by itself at ``opens_at``."""
    ensure(poll.can_manage(actor), _BN_ONLY)
    now = now or utcnow()
    if poll.closes_at <= now:
        raise PollError("La date de clôture est déjà passée : modifiez les dates avant de programmer le scrutin.")
    done = _advance(poll, PollState.SCHEDULED, scheduled_dt=now)
    if done:
        audit(actor, "poll.schedule", poll, opens_at=poll.opens_at, closes_at=poll.closes_at)
    return done


def unschedule_poll(actor: Any, poll: Poll) -> bool:
    """Scheduled → draft: the poll will not open by itself."""
    ensure(poll.can_manage(actor), _BN_ONLY)
    done = _advance(poll, PollState.DRAFT, scheduled_dt=None)
    if done:
        audit(actor, "poll.unschedule", poll)
    return done


def open_poll(actor: Any, poll: Poll, now: dt.datetime | None = None) -> bool:
    """Open the poll: freeze the roll in one INSERT … SELECT, then tell the roll.

    ``actor`` is the Bureau national (« ouvrir maintenant »: the opening time becomes now) or
    None (the scheduler, once ``opens_at`` has passed).
    """
    if actor is not None:
        ensure(poll.can_manage(actor), _BN_ONLY)
    now = now or utcnow()
    if poll.closes_at <= now:
        raise PollError("La date de clôture est déjà passée : modifiez les dates avant d'ouvrir le scrutin.")
    if not poll.questions or any(len(q.options) < 2 for q in poll.questions):
        raise PollError("Ce scrutin n'a aucune question avec ses réponses.")
    values: dict[str, Any] = {"opened_dt": now}
    if poll.opens_at > now:
        values["opens_at"] = now
    if not _advance(poll, PollState.OPEN, **values):
        return False
    roll_size = freeze_roll(poll)
    poll.roll_size = roll_size
    poll.roll_hash = roll_hash(poll)
    db.session.flush()
    audit(actor, "poll.open", poll, roll_size=roll_size, roll_cutoff=poll.roll_cutoff, roll_hash=poll.roll_hash)
    user_ids = roll_user_ids(poll)
    notify_many(
        user_ids,
        NotificationKind.POLL,
        f"Le vote est ouvert : {poll.title}"[:300],
        "Vous êtes inscrit·e sur la liste électorale de ce scrutin. Vous pouvez voter en ligne jusqu'à la "
        "clôture. Votre vote est secret : seul le fait que vous avez voté est enregistré.",
        poll_url(poll),
    )
    return True


def freeze_roll(poll: Poll) -> int:
    """Write the roll: every member à jour de cotisation on ``roll_cutoff`` (set-based). Returns its size."""
    db.session.execute(sa.delete(RollEntry).where(RollEntry.poll_id == poll.id))
    eligible = (
        sa.select(
            sa.literal(poll.id, sa.Integer),
            Member.id,
            Section.federation_id,
            Member.section_id,
        )
        .join(Section, Section.id == Member.section_id)
        .where(Member.dues_paid_until.is_not(None), Member.dues_paid_until >= poll.roll_cutoff)
    )
    db.session.execute(
        sa.insert(RollEntry).from_select(
            [RollEntry.poll_id, RollEntry.member_id, RollEntry.federation_id, RollEntry.section_id], eligible
        )
    )
    return db.session.scalar(sa.select(sa.func.count()).where(RollEntry.poll_id == poll.id)) or 0


def roll_hash(poll: Poll) -> str:
    """SHA-256 (hex) of the roll's membership numbers, sorted as strings, one per line (UTF-8, final newline).

    Anyone with the list can recompute it: ``sort numbers.txt | sha256sum``.
    """
    numbers = db.session.scalars(
        sa.select(Member.membership_number)
        .join(RollEntry, RollEntry.member_id == Member.id)
        .where(RollEntry.poll_id == poll.id)
    )
    return roll_hash_of(numbers)


def roll_hash_of(numbers: Any) -> str:
    digest = hashlib.sha256()
    for number in sorted(numbers):
        digest.update(f"{number}\n".encode())
    return digest.hexdigest()


def roll_user_ids(poll: Poll, *, not_voted_only: bool = False) -> list[int]:
    """Ids of the enabled accounts of the members on the roll (optionally: who have not voted)."""
    query = (
        sa.select(User.id)
        .join(RollEntry, RollEntry.member_id == User.member_id)
        .where(RollEntry.poll_id == poll.id, User.is_enabled.is_(True))
    )
    if not_voted_only:
        voted = sa.select(Participation.id).where(
            Participation.poll_id == poll.id, Participation.member_id == RollEntry.member_id
        )
        query = query.where(~voted.exists())
    return list(db.session.scalars(query))


# The statements of the cast, built once (vote day runs them a few hundred times a second).
_BIND = {"poll_id": sa.bindparam("poll_id"), "member_id": sa.bindparam("member_id")}
_CAST_LOCK = (
    sa.select(Poll.state, Poll.opens_at, Poll.closes_at).where(Poll.id == _BIND["poll_id"]).with_for_update(read=True)
)
_CAST_VOTER = sa.select(
    RollEntry.federation_id,
    RollEntry.section_id,
    sa.select(Participation.channel)
    .where(Participation.poll_id == _BIND["poll_id"], Participation.member_id == _BIND["member_id"])
    .scalar_subquery()
    .label("channel"),
).where(RollEntry.poll_id == _BIND["poll_id"], RollEntry.member_id == _BIND["member_id"])
# Core inserts on the tables (no unit of work, no ORM bulk path); every column named, so the
# statement is the same each time.
_INSERT_PARTICIPATION = sa.insert(Participation.__table__).values(
    {name: sa.bindparam(name) for name in ("poll_id", "member_id", "voted_dt", "channel", "report_id")}
)
_INSERT_BALLOT = sa.insert(Ballot.__table__).values(
    id=sa.bindparam("ballot_id"),
    **{name: sa.bindparam(name) for name in ("poll_id", "choices", "federation_id", "section_id", "receipt_hash")},
)
# PostgreSQL: the three inserts as one statement (data-modifying CTEs), one round trip instead of three.
# A violated constraint (the émargement's unique (poll, member)) fails the whole statement.
_CAST_WRITES = AUDIT_INSERT.add_cte(
    _INSERT_PARTICIPATION.returning(Participation.__table__.c.id).cte("cast_participation"),
    _INSERT_BALLOT.returning(Ballot.__table__.c.id).cte("cast_ballot"),
)


def cast_ballot(
    user: Any,
    poll: Poll | Any,
    choices: Mapping[str, Any],
    now: dt.datetime | None = None,
    *,
    questions: Sequence[Any] | None = None,
    locked_state: tuple[PollState, dt.datetime, dt.datetime] | None = None,
) -> str:
    """Record that ``user``'s member voted and put their anonymous ballot in the box; returns the receipt code.

    ``choices``: one entry per question, as ``normalise_choices`` takes them. Refused
    (VoteRefused, nothing written) unless the poll is open and within its window, the member is
    on the roll, every question is answered correctly and the member has not voted yet (online,
    or on paper in their section). The émargement and the ballot are written together; the
    unique constraint on (poll, member) is the last guard against a double submission.
    ``questions``: the poll's questions when the caller has them already (the ballot flow's
    frozen copy, ``convention.votes.cache``), instead of loading ``poll.questions``; ``poll`` may
    then be the copy's ``PollHead`` (only its id is read: the state and window are read again here).
    ``locked_state``: the poll's (state, opens_at, closes_at) as the caller read them in this
    transaction under the same shared lock (``cache.cached_poll_head(lock=True)``): not read again.

    Vote day's hot path: one statement takes the shared lock and reads the poll's state, one reads
    the member's line of the roll with their émargement; the émargement and the ballot are
    inserted without the unit of work, as is the audit entry.

    A double submission that the unique (poll, member) refuses rolls the whole transaction back (the
    caller's pending changes with it) before raising VoteRefused: there is no savepoint to pay for on
    every ballot.
    """
    member_id = getattr(user, "member_id", None) if getattr(user, "is_authenticated", False) else None
    if member_id is None:
        raise VoteRefused("Votre compte n'est rattaché à aucun·e adhérent·e : vous ne pouvez pas voter.")
    now = now or utcnow()
    # A shared lock on the poll's row: closing the poll (an UPDATE) waits for the ballots being cast,
    # and a ballot cast after the close commits sees the poll closed (PostgreSQL; SQLite serialises).
    ids = {"poll_id": poll.id, "member_id": member_id}
    state, opens_at, closes_at = locked_state or execute_core(_CAST_LOCK, ids).one()
    if state != PollState.OPEN or not (opens_at <= now < closes_at):
        raise VoteRefused("Le vote n'est pas ouvert : votre bulletin n'a pas été enregistré.")
    try:
        content = normalise_choices(questions if questions is not None else poll.questions, choices)
    except ChoiceError as error:
        raise VoteRefused(f"{error} Votre bulletin n'a pas été enregistré.") from error
    # The member's line of the roll and their émargement, read once the lock is held (a statement of its
    # own: in READ COMMITTED it sees a roll change approved while this waited for the lock).
    row = execute_core(_CAST_VOTER, ids).one_or_none()
    if row is None:
        raise VoteRefused(
            "Vous n'êtes pas inscrit·e sur la liste électorale de ce scrutin (adhérent·es à jour de cotisation "
            "à la date arrêtée par le Bureau national)."
        )
    if row.channel is not None:
        raise VoteRefused(_PAPER_VOTED if row.channel == VoteChannel.PAPER else _ALREADY_VOTED)
    code = new_receipt_code()
    values = {
        **ids,
        "voted_dt": now,
        "channel": VoteChannel.ONLINE,
        "report_id": None,
        "ballot_id": new_ballot_id(),
        "choices": json.dumps(content, separators=(",", ":"), sort_keys=True),
        "federation_id": row.federation_id,
        "section_id": row.section_id,
        "receipt_hash": hash_receipt_code(code),
        # The audit says that this account voted (as the émargement does), never for what.
        **audit_values(user, "poll.vote", Poll, poll.id),
    }
    try:
        if db.session.get_bind().dialect.name == "postgresql":
            execute_core(_CAST_WRITES, values)  # the émargement, the ballot and the audit: one statement
        else:
            execute_core(_INSERT_PARTICIPATION, values)
            execute_core(_INSERT_BALLOT, values)
            execute_core(AUDIT_INSERT, values)
    except IntegrityError as error:
        # Another request for this member (a double submission, or their section's paper list) committed
        # its émargement first: the unique (poll, member) refused this one. Nothing of this transaction is
        # kept (PostgreSQL aborted it); which channel won is read in a new one.
        db.session.rollback()
        channel = db.session.scalar(
            sa.select(Participation.channel).where(
                Participation.poll_id == poll.id, Participation.member_id == member_id
            )
        )
        if channel is None:  # not the émargement's constraint: a real error
            raise
        raise VoteRefused(_PAPER_VOTED if channel == VoteChannel.PAPER else _ALREADY_VOTED) from error
    return code


_PAPER_VOTED = (
    "Vous avez été émargé·e sur la liste de votre section, qui vote sur papier : vous ne pouvez pas voter en "
    "ligne. Votre vote en section est le seul enregistré."
)
_ALREADY_VOTED = "Vous avez déjà voté à ce scrutin : votre premier vote reste le seul enregistré."


def has_voted(poll: Poll, member_id: int) -> bool:
    return (
        db.session.scalar(
            sa.select(Participation.id).where(Participation.poll_id == poll.id, Participation.member_id == member_id)
        )
        is not None
    )


def close_poll(actor: Any, poll: Poll, now: dt.datetime | None = None) -> Job | None:
    """Open → closed, then start the count (a TALLY job). None if another process closed it first.

    ``actor`` is the Bureau national (« clore maintenant »: the closing time becomes now) or None
    (the scheduler, once ``closes_at`` has passed).
    """
    if actor is not None:
        ensure(poll.can_manage(actor), _BN_ONLY)
    now = now or utcnow()
    if poll.state != PollState.OPEN:  # (tallied → closed is only for minutes changed after the count)
        raise IllegalTransition("poll", poll.state.value, PollState.CLOSED.value)
    values: dict[str, Any] = {"closed_dt": now}
    if poll.closes_at > now:
        values["closes_at"] = max(now, poll.opens_at + dt.timedelta(seconds=1))
    if not _advance(poll, PollState.CLOSED, {PollState.OPEN}, **values):
        return None
    from convention.votes.ballotbox import rewrite_ballot_box  # new ids, random order; compacted after commit

    rewrite_ballot_box(poll)
    audit(actor, "poll.close", poll)
    notify_many(
        roll_user_ids(poll),
        NotificationKind.POLL,
        f"Scrutin clos : {poll.title}"[:300],
        "Le vote est clos. Le dépouillement est en cours ; les résultats seront proclamés par le Bureau national.",
        poll_url(poll),
    )
    return _start_tally(actor, poll)


def _start_tally(actor: Any, poll: Poll) -> Job:
    job = start_job(actor, JobKind.TALLY, {"poll_id": poll.id}, obj=poll)
    db.session.execute(
        sa.update(Poll)
        .where(Poll.id == poll.id)
        .values(tally_job_id=job.id)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(poll)
    return job


def relaunch_tally(actor: Any, poll: Poll) -> Job:
    """Count again (Bureau national): after a failed count, or to check; the results are replaced."""
    ensure(poll.can_manage(actor), _BN_ONLY)
    _lock(poll)
    if poll.state not in TALLY_STATES:
        raise PollError("Le dépouillement n'est possible qu'une fois le scrutin clos et avant la proclamation.")
    job = poll.tally_job
    if job is not None and not job.is_finished:
        if not job.is_silent:
            raise PollError("Un dépouillement est déjà en cours : attendez qu'il se termine avant d'en relancer un.")
        # Its worker died (or its dispatch was lost): the same job is queued again, taken over at once.
        audit(actor, "poll.relaunch_tally", poll, resumed=job.id)
        return resume_silent_job(actor, job)
    audit(actor, "poll.relaunch_tally", poll)
    return _start_tally(actor, poll)


def mark_tallied(poll: Poll, now: dt.datetime | None = None) -> bool:
    """Closed → tallied (the count's last step); a recount of a tallied poll only updates the time."""
    now = now or utcnow()
    if poll.state == PollState.TALLIED:
        result = db.session.execute(
            sa.update(Poll)
            .where(Poll.id == poll.id, Poll.state == PollState.TALLIED)
            .values(tallied_dt=now)
            .execution_options(synchronize_session=False)
        )
        db.session.refresh(poll)
        return (result.rowcount or 0) == 1
    done = _advance(poll, PollState.TALLIED, tallied_dt=now)
    if done:
        audit(None, "poll.tallied", poll)
    return done


def count_out_of_date(actor: Any, poll_id: int, reason: str) -> bool:
    """Tallied → closed: section minutes changed after the count (validated, or sent back once
    counted), so the stored results no longer match them. The Bureau national counts again
    (« Relancer le dépouillement ») before proclaiming. False if the poll was not tallied."""
    poll = db.session.get(Poll, poll_id)
    if poll is None or poll.state != PollState.TALLIED:
        return False
    done = _advance(poll, PollState.CLOSED, {PollState.TALLIED}, tallied_dt=None)
    if done:
        audit(actor, "poll.count_out_of_date", poll, reason=reason)
    return done


def proclaim(actor: Any, poll: Poll, now: dt.datetime | None = None) -> bool:
    """Tallied → proclaimed (Bureau national): the results become public; the roll is told."""
    ensure(poll.can_manage(actor), _BN_ONLY)
    now = now or utcnow()
    if not _advance(poll, PollState.PROCLAIMED, proclaimed_dt=now):
        return False
    audit(actor, "poll.proclaim", poll)
    notify_many(
        roll_user_ids(poll),
        NotificationKind.POLL,
        f"Résultats proclamés : {poll.title}"[:300],
        "Le Bureau national a proclamé les résultats du scrutin : national et par fédération.",
        poll_url(poll),
    )
    return True


def send_reminder(poll: Poll, now: dt.datetime | None = None) -> int | None:
    """Remind the members of the roll who have not voted (once per poll). None if already sent.

    The message says only that they have not voted yet; ``reminder_sent_dt`` is set by a
    guarded UPDATE so that two schedulers never send it twice.
    """
    now = now or utcnow()
    result = db.session.execute(
        sa.update(Poll)
        .where(Poll.id == poll.id, Poll.state == PollState.OPEN, Poll.reminder_sent_dt.is_(None))
        .values(reminder_sent_dt=now)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(poll)
    if (result.rowcount or 0) != 1:
        return None
    count = notify_many(
        roll_user_ids(poll, not_voted_only=True),
        NotificationKind.POLL,
        f"Rappel : {poll.title}"[:300],
        "Vous n'avez pas encore voté. Le vote se clôt dans moins de 24 heures.",
        poll_url(poll),
    )
    audit(None, "poll.reminder", poll, sent=count)
    return count
