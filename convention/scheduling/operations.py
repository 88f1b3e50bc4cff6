"""Claiming an occurrence: the unique row that makes scheduled work fire once."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from convention.core.db import db, savepoint, utcnow
from convention.scheduling.models import ScheduledOccurrence

logger = logging.getLogger(__name__)


def claim_occurrence(
    name: str, key: str, *, now: dt.datetime | None = None, session: Session | None = None
) -> bool:
    """Record the occurrence ``(name, key)``; False if it was already fired (by anyone).

    The row is inserted in a SAVEPOINT: when another beat or worker holds it (committed, or
    in a transaction that then commits: PostgreSQL makes this insert wait for it), the
    unique constraint fails, only the savepoint is rolled back and the caller's unit of
    work goes on. The claim commits with the work it guards: a failure rolls both back,
    and the next tick tries again. Flushes, never commits.
    """
    session = session if session is not None else db.session
    try:
        with savepoint(session):
            session.add(ScheduledOccurrence(name=name, key=key, fired_dt=now or utcnow()))
    except IntegrityError:
        logger.debug("occurrence %s %s already fired", name, key)
        return False
    return True
