"""Read helpers for the home page."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from convention.calendar.models import Event
from convention.contributions.models import Contribution
from convention.conventions.models import Convention
from convention.extensions import db
from convention.groups.models import WorkingGroup
from convention.texts.models import Proposal


@dataclass(frozen=True)
class KeyFigures:
    working_groups: int
    events: int
    contributions: int
    proposals: int


def _count(model: type, *where: sa.ColumnElement[bool]) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def get_key_figures(convention: Convention) -> KeyFigures:
    """Counts shown on the home page (proposals: the current version of the text)."""
    from convention.texts.queries import get_main_text

    text = get_main_text(convention.id)
    version = text.current_version if text is not None else None
    return KeyFigures(
        working_groups=_count(WorkingGroup, WorkingGroup.convention_id == convention.id),
        events=_count(Event, Event.convention_id == convention.id),
        contributions=_count(Contribution, Contribution.convention_id == convention.id),
        proposals=_count(Proposal, Proposal.version_id == version.id) if version else 0,
    )
