"""Operations on a convention's phases (the Bureau national's administration)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from convention.conventions.models import PHASE_LABELS, Convention, Phase
from convention.core.audit import audit
from convention.core.db import db
from convention.core.permissions import can_manage_phases, ensure
from convention.domain.errors import DomainError
from convention.domain.phases import PhaseKind

_NOT_ALLOWED = "Seul le Bureau national peut modifier les phases de la convention."


def set_phase_override(actor: Any, convention: Convention, kind: PhaseKind | None) -> None:
    """Force the current phase to ``kind``, or follow the dates again when ``kind`` is None."""
    ensure(can_manage_phases(actor, convention), _NOT_ALLOWED)
    if kind is not None and convention.phase(kind) is None:
        raise DomainError(f"La convention n'a pas de phase « {PHASE_LABELS[kind]} ».")
    old = convention.phase_override
    if old == kind:
        return
    convention.phase_override = kind
    audit(
        actor,
        "convention.phase_override",
        convention,
        old=old.value if old else None,
        new=kind.value if kind else None,
    )
    db.session.flush()


def update_phase_dates(
    actor: Any, phase: Phase, starts_on: dt.date, ends_on: dt.date | None
) -> None:
    """Change the dates of ``phase``; the end (if any) may not precede the start."""
    ensure(can_manage_phases(actor, phase.convention), _NOT_ALLOWED)
    if ends_on is not None and ends_on < starts_on:
        raise DomainError("La date de fin ne peut pas précéder la date de début.")
    old = {"starts_on": phase.starts_on, "ends_on": phase.ends_on}
    new = {"starts_on": starts_on, "ends_on": ends_on}
    if old == new:
        return
    phase.starts_on = starts_on
    phase.ends_on = ends_on
    audit(actor, "phase.update_dates", phase, kind=phase.kind, old=old, new=new)
    db.session.flush()
