"""Side effects (tasks, e-mails) queued during a unit of work and run only once it commits."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)

_KEY = "convention_after_commit"


def after_commit(session: Session, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Run ``fn(*args, **kwargs)`` after ``session`` commits; drop it if the session rolls back."""
    session.info.setdefault(_KEY, []).append((fn, args, kwargs))


def install(session_class: type[Session] | Any) -> None:
    """Hook the queue onto a session (class or scoped session)."""

    @event.listens_for(session_class, "after_commit")
    def _run(session: Session) -> None:
        queued = session.info.pop(_KEY, [])
        for fn, args, kwargs in queued:
            try:
                fn(*args, **kwargs)
            except Exception:  # a failed side effect must not break the committed request
                logger.exception("after-commit callback %r failed", fn)

    @event.listens_for(session_class, "after_soft_rollback")
    def _drop(session: Session, previous_transaction: Any) -> None:
        session.info.pop(_KEY, None)
