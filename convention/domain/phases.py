"""The phases of a convention and how the current one is derived from dates."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass


class PhaseKind(enum.StrEnum):
    WORKING_GROUPS = "working_groups"
    CONTRIBUTIONS = "contributions"
    AMENDMENTS = "amendments"
    NATIONAL_BUREAU = "national_bureau"
    MEMBERS_VOTE = "members_vote"
    CONVENTION_DAY = "convention_day"
    ADOPTED_TEXT = "adopted_text"


PHASE_ORDER: tuple[PhaseKind, ...] = tuple(PhaseKind)


@dataclass(frozen=True)
class PhaseSpan:
    kind: PhaseKind
    starts_on: dt.date
    ends_on: dt.date | None  # None: open-ended (the adopted text stays)

    def contains(self, day: dt.date) -> bool:
        """True if ``day`` falls within the phase (both ends included)."""
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


def current_phase(
    spans: Sequence[PhaseSpan], today: dt.date, override: PhaseKind | None = None
) -> PhaseKind | None:
    """The phase in force on ``today``: the override if set, else the latest started phase.

    Phases may overlap (contributions run during the working groups): the one that
    started last wins. Before the first phase starts there is no current phase.
    """
    if override is not None:
        return override
    started = [s for s in spans if s.starts_on <= today]
    if not started:
        return None
    active = [s for s in started if s.contains(today)]
    pool = active or started
    return max(pool, key=lambda s: (s.starts_on, PHASE_ORDER.index(s.kind))).kind


def is_open(spans: Sequence[PhaseSpan], kind: PhaseKind, today: dt.date) -> bool:
    """True if the phase ``kind`` is running on ``today`` by its dates."""
    return any(s.kind == kind and s.contains(today) for s in spans)
