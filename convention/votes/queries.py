"""Reading the members' vote: polls, the voter's situation, the results."""

from __future__ import annotations

import sqlalchemy as sa

from convention.core.db import db
from convention.domain.polls import PollState
from convention.texts.models import Text, TextVersion
from convention.votes.models import (
    Ballot,
    Participation,
    Poll,
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


def list_text_version_choices(convention_id: int | None = None) -> list[tuple[int, str]]:
    """(id, « Titre — version n ») of the text versions of the convention (every one if None), for the poll form."""
    query = sa.select(TextVersion.id, TextVersion.number, TextVersion.label, Text.title).join(
        Text, Text.id == TextVersion.text_id
    )
    if convention_id is not None:
        query = query.where(Text.convention_id == convention_id)
    rows = db.session.execute(query.order_by(Text.id, TextVersion.number)).all()
    return [
        (vid, f"{title} — version {number}" + (f" ({label})" if label else "")) for vid, number, label, title in rows
    ]
