"""Side effects (tasks, e-mails) queued during a unit of work and run only once it commits.

SAVEPOINTs count: what was queued inside a savepoint that rolls back is dropped (the rest of
the unit of work keeps its side effects), and releasing a savepoint runs nothing (SQLAlchemy
fires ``after_commit`` for it too: the real commit is still to come).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

logger = logging.getLogger(__name__)

_KEY = "convention_after_commit"
_MARKS = "convention_after_commit_marks"


def after_commit(session: Session, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Run ``fn(*args, **kwargs)`` after ``session`` commits; drop it if the session rolls back."""
    session.info.setdefault(_KEY, []).append((fn, args, kwargs))


def install(session_class: type[Session] | Any) -> None:
    """Hook the queue onto a session (class or scoped session)."""

    @event.listens_for(session_class, "after_transaction_create")
    def _mark(session: Session, transaction: SessionTransaction) -> None:
        if transaction.nested:  # remember how long the queue was when the savepoint began
            session.info.setdefault(_MARKS, {})[id(transaction)] = len(session.info.get(_KEY, []))

    @event.listens_for(session_class, "after_transaction_end")
    def _unmark(session: Session, transaction: SessionTransaction) -> None:
        # A savepoint's mark is still needed by after_soft_rollback, which comes after this event;
        # the marks go when the outermost transaction ends (a new savepoint overwrites its own).
        if transaction.parent is None:
            session.info.pop(_MARKS, None)

    @event.listens_for(session_class, "after_commit")
    def _run(session: Session) -> None:
        if session.in_nested_transaction():  # a SAVEPOINT released: the real commit is still to come
            return
        queued = session.info.pop(_KEY, [])
        for fn, args, kwargs in queued:
            try:
                fn(*args, **kwargs)
            except Exception:  # a failed side effect must not break the committed request
                logger.exception("after-commit callback %r failed", fn)

    @event.listens_for(session_class, "after_soft_rollback")
    def _drop(session: Session, previous_transaction: SessionTransaction) -> None:
        if previous_transaction.nested:
            mark = session.info.get(_MARKS, {}).get(id(previous_transaction))
            if mark is not None and _KEY in session.info:
                del session.info[_KEY][mark:]  # only what the savepoint queued
            return
        session.info.pop(_KEY, None)
