"""The ballot flow's reads on vote day: the poll's frozen questions cached per process, the voter's situation.

Once a poll is open its questions, options, texts and rule cannot change any more
(``operations.update_poll`` refuses, and no transition leads back to a draft): every page of the
ballot flow of every member shows the same questions. ``frozen_poll(poll)`` therefore keeps, per
process, a plain copy of them (``FrozenPoll``: no ORM object, nothing to lazy-load, nothing a
commit expires) with what is computed from them (the Markdown rendered, the rules in words,
the padded size of ``convention.votes.padding``), and the ballot's markup once rendered per
language. The copy is taken only once the poll has been opened (``opened_dt`` set, state open
or later) and is keyed by the poll's id *and* its opening time: a draft or a scheduled poll,
which the Bureau national may still edit, is read from the database on every request, and a
poll id that comes back with another opening (a database rebuilt under a running process)
never meets the old copy.

``voter_status`` answers « on the roll? already voted, and how? » in one statement.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app
from markupsafe import Markup

from convention.core.db import db, execute_core
from convention.core.markdown import render_markdown
from convention.domain.polls import QUESTION_METHOD_LABELS, MajorityBase, PollState, QuestionMethod, VoteChannel
from convention.votes.models import Participation, Poll, RollEntry

EXTENSION_KEY = "convention.votes.cache"
MAX_POLLS = 32  # polls kept per process (a handful run at once; the oldest copy goes first)
# The states in which the questions are frozen: the poll has been opened.
FROZEN_STATES = frozenset({PollState.OPEN, PollState.CLOSED, PollState.TALLIED, PollState.PROCLAIMED})


@dataclass(frozen=True)
class FrozenOption:
    id: int
    label: str
    description: str
    position: int
    code: str
    is_status_quo: bool

    @property
    def is_abstention(self) -> bool:
        return self.code == "abstain"

    @property
    def choice(self) -> str:
        return self.code or str(self.id)


@dataclass(frozen=True)
class FrozenQuestion:
    """A question as ``normalise_choices``, ``rule_of``, the padding and the templates read it."""

    id: int
    position: int
    title: str
    description: str
    method: QuestionMethod
    seats: int | None
    base: MajorityBase | None
    threshold: str
    strict: bool
    quorum: str | None
    options: tuple[FrozenOption, ...]

    @property
    def key(self) -> str:
        return str(self.id)

    @property
    def method_label(self) -> str:
        return QUESTION_METHOD_LABELS[self.method]

    @property
    def status_quo(self) -> FrozenOption | None:
        return next((o for o in self.options if o.is_status_quo), None)


@dataclass
class FrozenPoll:
    """What the ballot flow shows of a poll and never changes once it is open."""

    id: int
    convention_id: int
    title: str
    question: str
    description: str
    opened_dt: dt.datetime | None
    questions: tuple[FrozenQuestion, ...]
    texts: dict[Any, Markup]  # the questions' (key: id) and options' (key: « o<id> ») Markdown, rendered
    rules: dict[int, str]  # yes/no/abstain questions: the rule of adoption in words
    description_html: Markup
    size: int  # the padded size of every response of the ballot flow
    cached: bool = False
    # Rendered once per language (and kind): the ballot's fieldsets, the in-page confirmation…
    fragments: dict[tuple[str, str], Markup] = field(default_factory=dict)

    def fragment(self, key: tuple[str, str], render: Callable[[], str]) -> Markup:
        """``render()``'s markup for ``key``, computed once if the poll is cached (every time otherwise)."""
        found = self.fragments.get(key)
        if found is None:
            found = Markup(render())
            if self.cached:
                self.fragments[key] = found
        return found


def _freeze(poll: Poll) -> FrozenPoll:
    from convention.votes.counting import rule_of
    from convention.votes.padding import ballot_flow_size

    questions = tuple(
        FrozenQuestion(
            id=q.id,
            position=q.position,
            title=q.title,
            description=q.description or "",
            method=q.method,
            seats=q.seats,
            base=q.base,
            threshold=q.threshold,
            strict=q.strict,
            quorum=q.quorum,
            options=tuple(
                FrozenOption(
                    id=o.id,
                    label=o.label,
                    description=o.description or "",
                    position=o.position,
                    code=o.code or "",
                    is_status_quo=o.is_status_quo,
                )
                for o in q.options
            ),
        )
        for q in poll.questions
    )
    texts: dict[Any, Markup] = {}
    for question in questions:
        if question.description:
            texts[question.id] = render_markdown(question.description)
        for option in question.options:
            if option.description:
                texts[f"o{option.id}"] = render_markdown(option.description)
    frozen = FrozenPoll(
        id=poll.id,
        convention_id=poll.convention_id,
        title=poll.title,
        question=poll.question,
        description=poll.description or "",
        opened_dt=poll.opened_dt,
        questions=questions,
        texts=texts,
        rules={q.id: rule_of(q).describe() for q in questions if q.method == QuestionMethod.YES_NO_ABSTAIN},
        description_html=render_markdown(poll.description),
        size=0,
    )
    frozen.size = ballot_flow_size(frozen)  # type: ignore[arg-type]  (it reads the same attributes)
    return frozen


class _Store:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.polls: OrderedDict[tuple[int, str, str], FrozenPoll] = OrderedDict()
        self.builds = 0  # copies taken (tests check that the cache is used)


def _store() -> _Store:
    store = current_app.extensions.get(EXTENSION_KEY)
    if store is None:
        store = current_app.extensions.setdefault(EXTENSION_KEY, _Store())
    return store


@dataclass(frozen=True)
class PollHead:
    """What the ballot flow reads of a poll's row once its frozen copy is cached: its state and
    window (read on every request: the poll may be closed at any time). The rest is the copy's."""

    id: int
    convention_id: int
    state: PollState
    opens_at: dt.datetime
    closes_at: dt.datetime
    opened_dt: dt.datetime | None
    created_dt: dt.datetime | None
    allows_paper: bool
    # The signed-in member's situation (``VoterStatus``), when it was asked for with the head.
    voter: Any = None

    is_within_window = Poll.is_within_window
    accepts_ballots = Poll.accepts_ballots
    can_manage = Poll.can_manage
    can_view = Poll.can_view


_POLL, _MEMBER = sa.bindparam("poll_id"), sa.bindparam("member_id")
_ROLL_ENTRY = (
    sa.select(RollEntry.id)
    .where(RollEntry.poll_id == _POLL, RollEntry.member_id == _MEMBER)
    .scalar_subquery()
    .label("entry")
)
_CHANNEL = (
    sa.select(Participation.channel)
    .where(Participation.poll_id == _POLL, Participation.member_id == _MEMBER)
    .scalar_subquery()
    .label("channel")
)
_HEAD_COLUMNS = (
    Poll.id,
    Poll.convention_id,
    Poll.state,
    Poll.opens_at,
    Poll.closes_at,
    Poll.opened_dt,
    Poll.created_dt,
    Poll.allows_paper,
)
_HEAD = sa.select(*_HEAD_COLUMNS).where(Poll.id == _POLL)
_HEAD_LOCKED = _HEAD.with_for_update(read=True)
_HEAD_WITH_VOTER = sa.select(*_HEAD_COLUMNS, _ROLL_ENTRY, _CHANNEL).where(Poll.id == _POLL)


def cached_poll_head(poll_id: int, *, lock: bool = False, member_id: int | None = None) -> PollHead | None:
    """The poll's head (a statement of a few columns, no ORM object) if its frozen copy is in this
    process's cache; None if the poll does not exist or its copy is not cached (the caller then loads
    the whole row, which ``frozen_poll`` needs to take the copy).

    ``lock``: read it under the shared lock that casting a ballot takes (``FOR SHARE``; see
    ``operations.cast_ballot``), held until the transaction ends. Else, with ``member_id``, the
    member's situation (``voter_status``) comes in the same statement, as ``head.voter``."""
    if lock or member_id is None:
        row = execute_core(_HEAD_LOCKED if lock else _HEAD, {"poll_id": poll_id}).one_or_none()
        voter = None
    else:
        row = execute_core(_HEAD_WITH_VOTER, {"poll_id": poll_id, "member_id": member_id}).one_or_none()
        if row is not None:
            *row, entry, channel = row
            voter = VoterStatus(entry is not None, VoteChannel(channel) if channel is not None else None)
    if row is None:
        return None
    head = PollHead(*row, voter=voter)
    if not is_frozen(head) or _key(head) not in _store().polls:
        return None
    return head


def _key(poll: Poll | PollHead) -> tuple[int, str, str]:
    # The creation time too: a database rebuilt with the same ids (a re-seed) must not meet an old copy.
    return (poll.id, poll.opened_dt.isoformat(), poll.created_dt.isoformat() if poll.created_dt else "")  # type: ignore[union-attr]


def is_frozen(poll: Poll | PollHead) -> bool:
    """True once the poll has been opened: its questions can no longer change."""
    return poll.state in FROZEN_STATES and poll.opened_dt is not None


def frozen_poll(poll: Poll | PollHead) -> FrozenPoll:
    """The poll's questions and texts: from this process's cache once it is open, else read now (not kept).

    A ``PollHead`` (``cached_poll_head``) is only given once the copy is cached."""
    if not is_frozen(poll):
        return _freeze(poll)  # type: ignore[arg-type]
    store = _store()
    key = _key(poll)
    found = store.polls.get(key)
    if found is not None:
        with store.lock:
            if key in store.polls:
                store.polls.move_to_end(key)  # least recently used goes first
        return found
    if isinstance(poll, PollHead):  # its copy was evicted since ``cached_poll_head`` saw it
        poll = db.session.get(Poll, poll.id)
    frozen = _freeze(poll)  # type: ignore[arg-type]
    frozen.cached = True
    with store.lock:
        found = store.polls.get(key)
        if found is not None:
            return found
        store.builds += 1
        store.polls[key] = frozen
        while len(store.polls) > MAX_POLLS:
            store.polls.popitem(last=False)
    return frozen


def forget(poll_id: int | None = None) -> None:
    """Drop the cached copies (of one poll, or all): for tests and the shell."""
    store = _store()
    with store.lock:
        for key in [k for k in store.polls if poll_id is None or k[0] == poll_id]:
            del store.polls[key]


@dataclass(frozen=True)
class VoterStatus:
    on_roll: bool
    channel: VoteChannel | None  # how the member voted (None: not yet)

    @property
    def has_voted(self) -> bool:
        return self.channel is not None


NOT_A_VOTER = VoterStatus(False, None)


_VOTER_STATUS = sa.select(_ROLL_ENTRY, _CHANNEL)  # built once: the booth asks it for every member who opens the poll


def voter_status(poll_id: int, member_id: int | None, head: PollHead | Poll | None = None) -> VoterStatus:
    """Is the member on the poll's roll, and have they voted (online or on paper)? One statement, or
    none when ``head`` came with it (``cached_poll_head(member_id=…)``)."""
    if isinstance(head, PollHead) and head.voter is not None:
        return head.voter
    if member_id is None:
        return NOT_A_VOTER
    row = execute_core(_VOTER_STATUS, {"poll_id": poll_id, "member_id": member_id}).one()
    return VoterStatus(row.entry is not None, VoteChannel(row.channel) if row.channel is not None else None)
