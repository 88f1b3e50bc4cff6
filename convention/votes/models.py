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
    QUESTION_METHOD_LABELS,
    REPORT_STATE_LABELS,
    SEALED_STATES,
    TALLY_STATES,
    MajorityBase,
    PollState,
    QuestionMethod,
    ReportState,
    RollChangeKind,
    RollChangeState,
    VoteChannel,
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
    # SHA-256 of the sorted membership numbers of the roll, published when the roll is frozen.
    roll_hash: Mapped[str | None] = mapped_column(sa.String(64))
    # Sections may vote on paper in their meeting (émargement list + procès-verbal).
    allows_paper: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # A cell (section, federation) with fewer ballots is merged with others in the published results.
    secrecy_threshold: Mapped[int] = mapped_column(default=10, server_default="10")
    # SHA-256 of the verification export (anonymised ballots, validated minutes, roll), set by the count.
    export_hash: Mapped[str | None] = mapped_column(sa.String(64))

    convention = relationship("Convention")
    text_version = relationship("TextVersion")
    created_by = relationship("User")
    tally_job = relationship("Job")
    questions: Mapped[list[PollQuestion]] = relationship(
        back_populates="poll", order_by="PollQuestion.position", cascade="all, delete-orphan"
    )
    options: Mapped[list[PollOption]] = relationship(
        back_populates="poll",
        order_by="[PollOption.question_id, PollOption.position]",
        cascade="all, delete-orphan",
        viewonly=True,
    )

    __table_args__ = (
        sa.CheckConstraint("closes_at > opens_at", name="window_ordered"),
        sa.CheckConstraint("secrecy_threshold >= 1", name="secrecy_threshold_positive"),
    )

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

    def __repr__(self) -> str:
        return f"<Poll {self.id} {self.state.value}>"


class PollQuestion(Model):
    """One question of a poll (the text as a whole, or alternative wordings), its method and its rule.

    Fixed before the opening, frozen after. For yes/no/abstain questions the rule of adoption:
    the base, the threshold as an exact fraction (« 1/2 », « 2/3 »), strict (« plus de la
    moitié ») or not (« au moins les deux tiers »), and an optional quorum (a fraction of the
    registered who must take part).
    """

    __tablename__ = "poll_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text, default="")  # Markdown (a wording, its context)
    method: Mapped[QuestionMethod] = mapped_column(str_enum(QuestionMethod))
    # Approval: how many options are elected (None: only the ranking).
    seats: Mapped[int | None]
    # Yes/no/abstain: the rule of adoption.
    base: Mapped[MajorityBase | None] = mapped_column(str_enum(MajorityBase))
    threshold: Mapped[str] = mapped_column(sa.String(16), default="1/2", server_default="1/2")
    strict: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    quorum: Mapped[str | None] = mapped_column(sa.String(16))

    poll: Mapped[Poll] = relationship(back_populates="questions")
    options: Mapped[list[PollOption]] = relationship(
        back_populates="question", order_by="PollOption.position", cascade="all, delete-orphan"
    )

    __table_args__ = (sa.CheckConstraint("seats IS NULL OR seats >= 1", name="seats_positive"),)

    @property
    def method_label(self) -> str:
        return QUESTION_METHOD_LABELS[self.method]

    @property
    def key(self) -> str:
        """The question's key in a ballot's ``choices`` (JSON object keys are strings)."""
        return str(self.id)

    @property
    def status_quo(self) -> PollOption | None:
        return next((o for o in self.options if o.is_status_quo), None)

    def __repr__(self) -> str:
        return f"<PollQuestion {self.id} {self.method.value}>"


class PollOption(Model):
    """A possible answer of a question.

    For a yes/no/abstain question the three options carry ``code`` « yes », « no », « abstain »
    (labels Pour, Contre, Abstention); for the other methods ``code`` is empty and a ballot
    names the option by its id.
    """

    __tablename__ = "poll_option"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("poll_question.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")  # an alternative wording
    position: Mapped[int] = mapped_column(default=0)
    code: Mapped[str] = mapped_column(sa.String(16), default="", server_default="")
    # Schulze: the status quo (« aucune de ces rédactions »): the winner must beat it head-to-head.
    is_status_quo: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    poll: Mapped[Poll] = relationship(back_populates="options", viewonly=True)
    question: Mapped[PollQuestion] = relationship(back_populates="options")

    @property
    def is_abstention(self) -> bool:
        return self.code == "abstain"

    @property
    def choice(self) -> str:
        """How a ballot names this option: its code for yes/no/abstain, else its id."""
        return self.code or str(self.id)

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
    channel: Mapped[VoteChannel] = mapped_column(
        str_enum(VoteChannel), default=lambda: VoteChannel.ONLINE, server_default=VoteChannel.ONLINE.value
    )
    # Paper: the section's report whose émargement list carries the mark, and who marked it.
    report_id: Mapped[int | None] = mapped_column(sa.ForeignKey("section_report.id", ondelete="CASCADE"), index=True)
    marked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    __table_args__ = (sa.UniqueConstraint("poll_id", "member_id"),)


class Ballot(Model):
    """A ballot in the box: no member, no user, no timestamp; a random id.

    ``choices`` is a JSON object, one entry per question (key: the question's id as a string):
    yes/no/abstain « "yes" » | « "no" » | « "abstain" »; single choice an option id or
    « "blank" »; approval a list of option ids ([] = blank); majority judgment
    ``{"<option id>": grade index (0 = the best)}`` or « "blank" »; Schulze a list of tie groups
    of option ids, best first ([] = blank).

    On SQLite the table has no rowid (``WITHOUT ROWID``): rows are stored in the order of
    their random ids, so the storage order does not give the order of the votes.
    """

    __tablename__ = "ballot"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_ballot_id)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id", ondelete="CASCADE"))
    choices: Mapped[str] = mapped_column(sa.Text)  # JSON, see above
    federation_id: Mapped[int] = mapped_column(sa.ForeignKey("federation.id"))
    section_id: Mapped[int | None] = mapped_column(sa.ForeignKey("section.id"))
    receipt_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)

    __table_args__ = (
        sa.Index("ix_ballot_poll_federation", "poll_id", "federation_id"),
        {"sqlite_with_rowid": False},
    )


class QuestionTally(Model):
    """The count of one question in one unit: a section (``section_id`` set), a federation
    (``federation_id`` only) or the nation (both NULL). ``tally`` is the additive tally of
    ``convention.domain.counting`` as JSON (online ballots and validated minutes together)."""

    __tablename__ = "question_tally"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("poll_question.id", ondelete="CASCADE"))
    federation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("federation.id"))
    section_id: Mapped[int | None] = mapped_column(sa.ForeignKey("section.id"))
    tally: Mapped[str] = mapped_column(sa.Text)  # JSON

    question: Mapped[PollQuestion] = relationship()
    federation = relationship("Federation")
    section = relationship("Section")


class PollTurnout(Model):
    """Registered members (inscrits) and voters (votants, of which on paper) of one unit:
    a section (``section_id`` set), a federation (``federation_id`` only) or national (both NULL)."""

    __tablename__ = "poll_turnout"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id", ondelete="CASCADE"), index=True)
    federation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("federation.id"))
    section_id: Mapped[int | None] = mapped_column(sa.ForeignKey("section.id"))
    registered: Mapped[int] = mapped_column(default=0)
    voters: Mapped[int] = mapped_column(default=0)  # online + paper
    paper_voters: Mapped[int] = mapped_column(default=0, server_default="0")

    federation = relationship("Federation")
    section = relationship("Section")

    @property
    def online_voters(self) -> int:
        return self.voters - self.paper_voters


class RollChange(Model):
    """A change to a frozen roll (a member wrongly left out, or wrongly in): asked by one member
    of the Bureau national, approved or refused by another; logged."""

    __tablename__ = "roll_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("member.id"))
    kind: Mapped[RollChangeKind] = mapped_column(str_enum(RollChangeKind))
    reason: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[RollChangeState] = mapped_column(
        str_enum(RollChangeState), default=lambda: RollChangeState.PENDING, index=True
    )
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    requested_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    member = relationship("Member")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])


class SectionReport(Model):
    """A section's paper vote in its meeting: the émargement list (``Participation`` rows with the
    paper channel) and the minutes (procès-verbal), validated by the federation's first secretary.

    Corrections are versioned: each transmission is a ``SectionReportRevision``; only the
    validated revision is counted.
    """

    __tablename__ = "section_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[int] = mapped_column(sa.ForeignKey("section.id"))
    federation_id: Mapped[int] = mapped_column(sa.ForeignKey("federation.id"), index=True)
    state: Mapped[ReportState] = mapped_column(str_enum(ReportState), default=lambda: ReportState.OPEN)
    opened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    opened_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    validated_revision_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("section_report_revision.id", use_alter=True, ondelete="SET NULL")
    )
    validated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    validated_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    return_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    section = relationship("Section")
    federation = relationship("Federation")
    revisions: Mapped[list[SectionReportRevision]] = relationship(
        back_populates="report",
        order_by="SectionReportRevision.number",
        cascade="all, delete-orphan",
        foreign_keys="SectionReportRevision.report_id",
    )
    validated_revision: Mapped[SectionReportRevision | None] = relationship(
        foreign_keys=[validated_revision_id], post_update=True
    )

    __table_args__ = (sa.UniqueConstraint("poll_id", "section_id"),)

    @property
    def state_label(self) -> str:
        return REPORT_STATE_LABELS[self.state]

    @property
    def latest(self) -> SectionReportRevision | None:
        return self.revisions[-1] if self.revisions else None


class SectionReportRevision(Model):
    """One transmission of a section's minutes (procès-verbal): the figures as entered.

    ``figures`` (JSON): per question id, the answers' counts — yes/no/abstain
    ``{"yes": n, "no": n, "abstain": n, "blank": n, "void": n}``; single choice
    ``{"<option id>": n, …, "blank": n, "void": n}``; approval ``{"<option id>": approvals, …,
    "blank": n, "void": n}``; majority judgment ``{"<option id>": [n per grade, best first], …,
    "blank": n, "void": n}``; Schulze ``{"rankings": [{"count": n, "ranking": [[ids], …]}, …],
    "blank": n, "void": n}``.
    """

    __tablename__ = "section_report_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("section_report.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(default=1)
    meeting_date: Mapped[dt.date]
    bureau_names: Mapped[str] = mapped_column(sa.Text)  # président·e, assesseur·es, secrétaire
    registered: Mapped[int]
    voters: Mapped[int]
    figures: Mapped[str] = mapped_column(sa.Text)  # JSON, see above
    note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    submitted_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    report: Mapped[SectionReport] = relationship(back_populates="revisions", foreign_keys=[report_id])
    submitted_by = relationship("User")

    __table_args__ = (
        sa.UniqueConstraint("report_id", "number"),
        sa.CheckConstraint("voters >= 0 AND registered >= 0", name="counts_positive"),
    )
