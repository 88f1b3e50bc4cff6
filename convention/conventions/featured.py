"""The featured convention, kept per process for a moment: every page asks for it.

Every request under the short paths (``/texte/``, ``/vote/3``…) needs the convention ``/`` shows;
on vote day that is one more statement on each of the ballot flow's requests. A process keeps
a detached copy of the row (its columns only, never its phases: those are loaded by each request
that reads them) for ``FEATURED_CONVENTION_CACHE_SECONDS`` (2 s by default; 0 reads it every
time, as the tests do), and each request gets its own instance of it in its session
(``Session.merge(load=False)``: no statement).

- In this process, a commit that changed a convention (a flush of a Convention, or
  ``mark_changed`` after a bulk update such as ``feature_convention``) drops the copy at once.
- Another process sees the change when its copy expires: a forced phase, a new featured
  convention or a new title reach every page within those seconds.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session, attributes, make_transient_to_detached

from convention.conventions.models import Convention
from convention.extensions import db

EXTENSION_KEY = "convention.conventions.featured"
_CHANGED = "convention.featured.changed"  # Session.info flag: a convention changed in this transaction


@dataclass
class _Copy:
    convention: Convention  # detached, clean: only merged into sessions, never read directly
    expires: float
    generation: int


class _Store:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.copy: _Copy | None = None


# Bumped by every commit of this process that changed a convention: a copy taken before is stale,
# in every app of the process (the tests run several).
_generation = 0


def _store() -> _Store:
    store = current_app.extensions.get(EXTENSION_KEY)
    if store is None:
        store = current_app.extensions.setdefault(EXTENSION_KEY, _Store())
    return store


def cached_featured_convention(load: Any) -> Convention | None:
    """The featured convention (``load()`` reads it) in the current session, from this process's copy
    while it is fresh."""
    seconds = current_app.config.get("FEATURED_CONVENTION_CACHE_SECONDS", 0)
    if seconds <= 0:
        return load()
    store = _store()
    now = time.monotonic()
    copy = store.copy
    if copy is not None and copy.expires > now and copy.generation == _generation:
        return db.session.merge(copy.convention, load=False)
    generation = _generation
    convention = load()
    if convention is not None:
        detached = _detached_copy(convention)
        with store.lock:
            if _generation == generation:  # no commit changed a convention meanwhile
                store.copy = _Copy(detached, now + seconds, generation)
    return convention


def _detached_copy(convention: Convention) -> Convention:
    """A clean detached copy of ``convention``'s columns (not the instance of the request's session)."""
    mapper = sa.inspect(Convention)
    copy = mapper.class_manager.new_instance()
    for prop in mapper.column_attrs:
        attributes.set_committed_value(copy, prop.key, getattr(convention, prop.key))
    make_transient_to_detached(copy)
    return copy


def mark_changed(session: Session | None = None) -> None:
    """Say that this transaction changed a convention without the unit of work (a bulk UPDATE): the
    process's copy is dropped when it commits."""
    (session or db.session()).info[_CHANGED] = True


def forget() -> None:
    """Make every copy of this process stale (tests, the shell)."""
    global _generation
    _generation += 1


@event.listens_for(Session, "after_flush")
def _note_flushed_conventions(session: Session, flush_context: Any) -> None:
    if any(isinstance(obj, Convention) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _drop_after_commit(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        forget()


@event.listens_for(Session, "after_soft_rollback")
def _keep_after_rollback(session: Session, previous_transaction: Any) -> None:
    session.info.pop(_CHANGED, None)
