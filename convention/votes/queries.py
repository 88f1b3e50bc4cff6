"""Reading the members' vote: polls, the voter's situation, the results."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from convention.core.db import db
from convention.domain.polls import CountSummary, PollState, summarise
from convention.members.models import Federation
from convention.texts.models import Text, TextVersion
from convention.votes.models import (
    Ballot,
    Participation,
    Poll,
    PollResult,
    PollTurnout,
    RollEntry,
    hash_receipt_code,
    normalise_receipt_code,
)


def list_polls(convention_id: int, *, include_drafts: bool = False) -> list[Poll]:
    """The convention's polls, the most recent opening first (drafts only for the Bureau national)."""
    query = sa.select(Poll).where(Poll.convention_id == convention_id)
    if not include_drafts:
        query = query.where(Poll.state != PollState.DRAFT)
    return list(db.session.scalars(query.order_by(Poll.opens_at.desc(), Poll.id.desc())))


def get_poll(convention_id: int, poll_id: int) -> Poll | None:
    return db.session.scalar(sa.select(Poll).where(Poll.id == poll_id, Poll.convention_id == convention_id))


def get_participation(poll_id: int, member_id: int | None) -> Participation | None:
    """The member's émargement in the poll (when they voted), or None."""
    if member_id is None:
        return None
    return db.session.scalar(
        sa.select(Participation).where(Participation.poll_id == poll_id, Participation.member_id == member_id)
    )


def is_on_roll(poll_id: int, member_id: int | None) -> bool:
    if member_id is None:
        return False
    return (
        db.session.scalar(sa.select(RollEntry.id).where(RollEntry.poll_id == poll_id, RollEntry.member_id == member_id))
        is not None
    )


def count_voters(poll_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(Participation.poll_id == poll_id)) or 0


def count_roll(poll_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(RollEntry.poll_id == poll_id)) or 0


def ballot_exists(poll_id: int, code: str) -> bool:
    """True if a ballot with this receipt code is in the poll's box (says nothing of its content)."""
    if len(normalise_receipt_code(code)) < 10:
        return False
    return (
        db.session.scalar(
            sa.select(Ballot.id).where(Ballot.poll_id == poll_id, Ballot.receipt_hash == hash_receipt_code(code))
        )
        is not None
    )


def list_text_version_choices() -> list[tuple[int, str]]:
    """(id, « Titre — version n ») of every text version, for the poll form."""
    rows = db.session.execute(
        sa.select(TextVersion.id, TextVersion.number, TextVersion.label, Text.title)
        .join(Text, Text.id == TextVersion.text_id)
        .order_by(Text.id, TextVersion.number)
    ).all()
    return [
        (vid, f"{title} — version {number}" + (f" ({label})" if label else "")) for vid, number, label, title in rows
    ]


@dataclass(frozen=True)
class UnitResult:
    """The results of one unit: the nation (federation None) or one federation."""

    federation_id: int | None
    name: str
    summary: CountSummary


@dataclass(frozen=True)
class PollResults:
    national: UnitResult
    federations: list[UnitResult]
    tallied_dt: dt.datetime | None

    def option_rows(self, labels: dict[int, str]) -> list[dict[str, Any]]:
        """Rows {label, value} of the expressed options, for the national bar chart."""
        return [
            {"label": labels[o.option_id], "value": o.votes} for o in self.national.summary.options if not o.is_blank
        ]


def get_results(poll: Poll) -> PollResults | None:
    """The stored results of the last count, national and per federation (None before any count)."""
    results = db.session.execute(
        sa.select(PollResult.federation_id, PollResult.option_id, PollResult.votes).where(PollResult.poll_id == poll.id)
    ).all()
    turnouts = db.session.execute(
        sa.select(PollTurnout.federation_id, PollTurnout.registered, PollTurnout.voters).where(
            PollTurnout.poll_id == poll.id
        )
    ).all()
    if not turnouts:
        return None
    counts: dict[int | None, dict[int, int]] = {}
    for federation_id, option_id, votes in results:
        counts.setdefault(federation_id, {})[option_id] = votes
    figures = {federation_id: (registered, voters) for federation_id, registered, voters in turnouts}
    option_ids = [o.id for o in poll.options]
    blank_ids = poll.blank_option_ids
    federation_ids = [f for f in figures if f is not None]
    names = dict(
        db.session.execute(sa.select(Federation.id, Federation.title).where(Federation.id.in_(federation_ids))).all()
    )
    codes = dict(
        db.session.execute(sa.select(Federation.id, Federation.code).where(Federation.id.in_(federation_ids))).all()
    )

    def unit(federation_id: int | None, name: str) -> UnitResult:
        registered, voters = figures.get(federation_id, (0, 0))
        summary = summarise(counts.get(federation_id, {}), blank_ids, option_ids, registered=registered, voters=voters)
        return UnitResult(federation_id, name, summary)

    federations = sorted(
        (unit(fid, names.get(fid, str(fid))) for fid in federation_ids),
        key=lambda u: (codes.get(u.federation_id) or "", u.name),
    )
    return PollResults(national=unit(None, "Total national"), federations=federations, tallied_dt=poll.tallied_dt)
