"""A link from a block of the text (paragraph, proposal…) to a contribution or a hearing."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convention.core.db import Model, UTCDateTime, utcnow


class SourceLink(Model):
    """« Issu de » : the block ``block_id`` owes something to a contribution or an event.

    Exactly one of ``contribution_id`` and ``event_id`` is set. A proposal is linked through
    its block (``Proposal.block_id``). Blocks keep their anchor across versions, so the pages
    match links by anchor within the same text.
    """

    __tablename__ = "source_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    block_id: Mapped[int] = mapped_column(sa.ForeignKey("text_block.id"), index=True)
    contribution_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contribution.id"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("event.id"), index=True)
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    block = relationship("Block")
    contribution = relationship("Contribution")
    event = relationship("Event")
    created_by = relationship("User")

    __table_args__ = (
        sa.UniqueConstraint("block_id", "contribution_id"),
        sa.UniqueConstraint("block_id", "event_id"),
        sa.CheckConstraint("(contribution_id IS NULL) <> (event_id IS NULL)", name="one_source"),
    )

    @property
    def source(self):
        return self.contribution if self.contribution_id is not None else self.event

    def __repr__(self) -> str:
        kind = "contribution" if self.contribution_id is not None else "event"
        return f"<SourceLink block={self.block_id} {kind}={self.contribution_id or self.event_id}>"


def can_link_contribution(user, contribution) -> bool:
    """Its moderators link an integrated (or partially integrated) contribution to the text."""
    return (
        contribution is not None and contribution.is_integrated and contribution.can_moderate(user)
    )


def can_link_event(user, event) -> bool:
    """A hearing is linked by the pilots of one of its groups or the steering committee."""
    from convention.calendar.models import EventKind

    if event is None or event.kind != EventKind.HEARING:
        return False
    if not (user is not None and getattr(user, "is_authenticated", False)):
        return False
    if event.convention.is_steering(user):
        return True
    return any(group.can_moderate(user) for group in event.working_groups)
