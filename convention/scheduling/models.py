"""The occurrences of scheduled work already fired: one row per (name, key), never two."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from convention.core.db import Model, UTCDateTime, utcnow


class ScheduledOccurrence(Model):
    """« This happened »: the phase start, the reminder of an event at a given time…

    ``name`` is the kind of scheduled work (``phase-start``, ``event-reminder``), ``key``
    names one occurrence (it holds the date, so moved dates make a new occurrence).
    """

    __tablename__ = "scheduled_occurrence"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    key: Mapped[str] = mapped_column(sa.String(200))
    fired_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("name", "key"),)

    def __repr__(self) -> str:
        return f"<ScheduledOccurrence {self.name} {self.key}>"
