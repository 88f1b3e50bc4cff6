"""The members' vote: polls, their options, the frozen roll, the émargement, the ballot box, results.

Secrecy is structural: ``Participation`` records who voted and when, never what;
``Ballot`` records what was voted, with a random id, the voter's federation (for the
per-federation results) and the SHA-256 of a receipt code shown once to the voter —
no member, no user, no timestamp. Nothing in the database links one to the other.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convention.core.db import Model, UTCDateTime, str_enum, utcnow
from convention.core.permissions import is_national_bureau
from convention.domain.polls import (
    EDITABLE_STATES,
    POLL_STATE_LABELS,
    SEALED_STATES,
    TALLY_STATES,
    PollState,
)

# Receipt codes: 20 characters from an alphabet without look-alikes (0/O, 1/I/L): 100 bits.
RECEIPT_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
RECEIPT_LENGTH = 20
RECEIPT_GROUP = 5


def new_receipt_code() -> str:
    """A random receipt code, shown in groups of five: « K7QF2-M9XRT-… »."""
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))
    return "-".join(raw[i : i + RECEIPT_GROUP] for i in range(0, RECEIPT_LENGTH, RECEIPT_GROUP))


def normalise_receipt_code(code: str) -> str:
    """The code as typed, without spaces or dashes, in capitals (« k7qf2 m9xrt » → « K7QF2M9XRT »)."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def hash_receipt_code(code: str) -> str:
    """The SHA-256 stored with the ballot (of the normalised code)."""
    return hashlib.sha256(normalise_receipt_code(code).encode()).hexdigest()


def new_ballot_id() -> str:
    return str(uuid.uuid4())


class Poll(Model):
    """A vote of the members (scrutin): a question, its options, a window and a roll."""

    __tablename__ = "poll"

    id: Mapped[int] = mapped_column(primary_key=True)
    convention_id: Mapped[int] = mapped_column(sa.ForeignKey("convention.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    question: Mapped[str] = mapped_column(sa.Text)
    description: Mapped[str] = mapped_column(sa.Text, default="")  # Markdown, rendered sanitised
    text_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("text_version.id"))
    state: Mapped[PollState] = mapped_column(str_enum(PollState), default=lambda: PollState.DRAFT, index=True)
    opens_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # Members à jour de cotisation on this day make the roll (frozen when the poll opens).
    roll_cutoff: Mapped[dt.date]
    roll_size: Mapped[int | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, onupdate=utcnow)
    scheduled_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    opened_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    tallied_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    proclaimed_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reminder_sent_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The last count started (its page shows the progress).
    tally_job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("job.id", ondelete="SET NULL"))

    convention = relationship("Convention")
    text_version = relationship("TextVersion")
    created_by = relationship("User")
    tally_job = relationship("Job")
    options: Mapped[list[PollOption]] = relationship(
        back_populates="poll", order_by="PollOption.position", cascade="all, delete-orphan"
    )

    __table_args__ = (sa.CheckConstraint("closes_at > opens_at", name="window_ordered"),)

    @property
    def state_label(self) -> str:
        return POLL_STATE_LABELS[self.state]

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES

    @property
    def is_sealed(self) -> bool:
        """Closed or later: no more ballots, receipts can be checked."""
        return self.state in SEALED_STATES

    @property
    def can_be_tallied(self) -> bool:
        return self.state in TALLY_STATES

    @property
    def is_proclaimed(self) -> bool:
        return self.state == PollState.PROCLAIMED

    def is_within_window(self, now: dt.datetime) -> bool:
        """True between the opening (included) and the close (excluded), by the server's clock."""
        return self.opens_at <= now < self.closes_at

    def accepts_ballots(self, now: dt.datetime) -> bool:
        return self.state == PollState.OPEN and self.is_within_window(now)

    def can_manage(self, user: Any) -> bool:
        """Only the Bureau national creates, schedules, opens, closes and proclaims polls."""
        return is_national_bureau(user)

    def can_view(self, user: Any) -> bool:
        """A draft is the Bureau national's; a scheduled poll and later are public."""
        return self.state != PollState.DRAFT or self.can_manage(user)

    def can_see_results(self, user: Any) -> bool:
        """Everyone once proclaimed; the Bureau national as soon as the count is done."""
        if self.state == PollState.PROCLAIMED:
            return True
        return self.state == PollState.TALLIED and self.can_manage(user)

    @property
    def blank_option_ids(self) -> list[int]:
        return [o.id for o in self.options if o.is_blank]

    def __repr__(self) -> str:
        return f"<Poll {self.id} {self.state.value}>"


class PollOption(Model):
    """A possible answer (Pour, Contre…); a blank one (Abstention) is counted apart from expressed votes."""

    __tablename__ = "poll_option"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[int] = mapped_column(default=0)
    is_blank: Mapped[bool] = mapped_column(default=False)

    poll: Mapped[Poll] = relationship(back_populates="options")

    def __repr__(self) -> str:
        return f"<PollOption {self.label}>"


class RollEntry(Model):
    """One line of the electoral roll (liste électorale), frozen when the poll opens."""

    __tablename__ = "roll_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("member.id"), index=True)
    federation_id: Mapped[int] = mapped_column(sa.ForeignKey("federation.id"))
    section_id: Mapped[int] = mapped_column(sa.ForeignKey("section.id"))

    member = relationship("Member")

    __table_args__ = (
        sa.UniqueConstraint("poll_id", "member_id"),
        sa.Index("ix_roll_entry_poll_federation", "poll_id", "federation_id"),
    )


class Participation(Model):
    """The émargement: this member has voted in this poll (never what). One per member and poll."""

    __tablename__ = "participation"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("member.id"), index=True)
    voted_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("poll_id", "member_id"),)


class Ballot(Model):
    """A ballot in the box: no member, no user, no timestamp; a random id.

    On SQLite the table has no rowid (``WITHOUT ROWID``): rows are stored in the order of
    their random ids, so the storage order does not give the order of the votes.
    """

    __tablename__ = "ballot"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_ballot_id)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id", ondelete="CASCADE"))
    option_id: Mapped[int] = mapped_column(sa.ForeignKey("poll_option.id", ondelete="CASCADE"))
    federation_id: Mapped[int] = mapped_column(sa.ForeignKey("federation.id"))
    receipt_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)

    __table_args__ = (
        sa.Index("ix_ballot_poll_federation", "poll_id", "federation_id"),
        {"sqlite_with_rowid": False},
    )


class PollResult(Model):
    """Votes for one option, in one federation (``federation_id`` NULL: the national total)."""

    __tablename__ = "poll_result"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id", ondelete="CASCADE"), index=True)
    federation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("federation.id"))
    option_id: Mapped[int] = mapped_column(sa.ForeignKey("poll_option.id", ondelete="CASCADE"))
    votes: Mapped[int] = mapped_column(default=0)

    option: Mapped[PollOption] = relationship()
    federation = relationship("Federation")


class PollTurnout(Model):
    """Registered members (inscrits) and voters (votants) of one federation (NULL: national)."""

    __tablename__ = "poll_turnout"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id", ondelete="CASCADE"), index=True)
    federation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("federation.id"))
    registered: Mapped[int] = mapped_column(default=0)
    voters: Mapped[int] = mapped_column(default=0)

    federation = relationship("Federation")
