"""The tick: every due-work function in its own unit of work, one failure stopping none."""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from collections.abc import Callable, Sequence
from typing import Any

from convention.core.db import db, utcnow

logger = logging.getLogger(__name__)

# (name, "module:function"): each function takes ``now`` and returns a JSON-able summary.
# Imported when the tick runs, so that a feature's module is added here in one line.
DUE_WORK: list[tuple[str, str]] = [
    ("phases", "convention.scheduling.due:run_due_phases"),
    ("event_reminders", "convention.scheduling.due:run_due_event_reminders"),
    ("polls", "convention.votes.scheduling:run_due_polls"),
]

DueWork = tuple[str, str | Callable[[dt.datetime], Any]]


def _resolve(target: str | Callable[[dt.datetime], Any]) -> Callable[[dt.datetime], Any]:
    if callable(target):
        return target
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def run_tick(now: dt.datetime | None = None, work: Sequence[DueWork] | None = None) -> dict[str, Any]:
    """Run each due-work function and commit its work; a failure is logged and rolled back.

    Returns ``{"now": …, "results": {name: summary}, "failed": [names]}``.
    """
    now = now or utcnow()
    results: dict[str, Any] = {}
    failed: list[str] = []
    for name, target in DUE_WORK if work is None else work:
        try:
            results[name] = _resolve(target)(now)
            db.session.commit()
        except Exception as error:  # one broken schedule must not stop the others
            db.session.rollback()
            logger.exception("scheduled work %s failed", name)
            results[name] = {"error": f"{type(error).__name__}: {error}"}
            failed.append(name)
    return {"now": now.isoformat(), "results": results, "failed": failed}
