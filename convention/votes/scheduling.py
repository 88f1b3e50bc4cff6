"""What the beat scheduler does for the members' vote: open, remind, close (and count) on time.

``run_due_polls(now)`` is the body of a periodic task: it commits after each poll, so that a
problem with one poll does not hold the others back. Every step is guarded by the poll's
state (and ``reminder_sent_dt``): a second run, or a second scheduler, does nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import sqlalchemy as sa

from convention.core.db import db, utcnow
from convention.domain.errors import DomainError
from convention.domain.polls import PollState
from convention.votes import operations
from convention.votes.models import Poll

logger = logging.getLogger(__name__)

# Members who have not voted are reminded this long before the close.
REMINDER_BEFORE = dt.timedelta(hours=24)


def _due_ids(*conditions: Any) -> list[int]:
    return list(db.session.scalars(sa.select(Poll.id).where(*conditions).order_by(Poll.id)))


def _each(ids: list[int], step) -> list[int]:
    done = []
    for poll_id in ids:
        poll = db.session.get(Poll, poll_id)
        try:
            if poll is not None and step(poll):
                db.session.commit()
                done.append(poll_id)
            else:
                db.session.rollback()
        except DomainError as error:  # the state changed under us, or the dates no longer allow it
            db.session.rollback()
            logger.warning("Poll %s skipped by the scheduler: %s", poll_id, error)
    return done


def run_due_polls(now: dt.datetime | None = None) -> dict[str, list[int]]:
    """Open the scheduled polls whose opening has come, remind, close the polls whose close has come.

    Returns the ids of the polls opened, reminded and closed by this run.
    """
    now = now or utcnow()
    opened = _each(
        _due_ids(Poll.state == PollState.SCHEDULED, Poll.opens_at <= now, Poll.closes_at > now),
        lambda poll: operations.open_poll(None, poll, now=now),
    )
    closed = _each(
        _due_ids(Poll.state == PollState.OPEN, Poll.closes_at <= now),
        lambda poll: operations.close_poll(None, poll, now=now) is not None,
    )
    # A poll shorter than the reminder delay gets no reminder (it would come with the opening).
    reminded = _each(
        _due_ids(
            Poll.state == PollState.OPEN,
            Poll.reminder_sent_dt.is_(None),
            Poll.closes_at > now,
            Poll.closes_at <= now + REMINDER_BEFORE,
        ),
        lambda poll: (
            poll.opens_at <= poll.closes_at - REMINDER_BEFORE and operations.send_reminder(poll, now=now) is not None
        ),
    )
    # A scheduled poll whose whole window passed (the scheduler was down): it stays for the
    # Bureau national to reschedule; say so in the log rather than open it after its close.
    missed = _due_ids(Poll.state == PollState.SCHEDULED, Poll.closes_at <= now)
    if missed:
        logger.warning("Scheduled poll(s) whose voting window has passed: %s", missed)
    db.session.rollback()
    return {"opened": opened, "reminded": reminded, "closed": closed}
