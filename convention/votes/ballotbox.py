"""The ballot box at the close: rewritten into fresh storage, so that nothing on disk gives the order of the votes.

While a poll is open each ballot is written in its voter's transaction, and the storage keeps
traces of that order: on PostgreSQL the hidden ``xmin`` of each row (the writing transaction),
the physical order of the rows in the heap, the order of the index entries within their pages;
on SQLite the order in which cells were placed in their pages and pages were allocated. The
émargement (``participation.voted_dt``) gives the same order, so someone who reads the
database files could link ballots to voters.

At the close, in the closing transaction, ``rewrite_ballot_box``:

1. reads the poll's ballots (choices, federation, section, receipt hash);
2. deletes them, and inserts them again in a random order (``random.SystemRandom``) with NEW
   random ids (UUID 4): the old ids, which the old index entries and dead rows still carry,
   match nothing any more; the receipt hashes are kept, so every member can still check
   their receipt;
3. asks, once that transaction has committed (``convention.core.after_commit``), for the
   storage to be compacted by ``compact_ballot_storage`` (a Celery task, so that the request or
   the scheduler's tick that closed the poll does not wait for it; inline without a broker):

   - PostgreSQL: ``VACUUM (FULL) ballot`` on an AUTOCOMMIT connection (VACUUM cannot run
     inside a transaction). It writes the table, its TOAST table and every index into NEW files
     and unlinks the old ones, so the dead row versions (with their voters' ``xmin``) and the
     old index entries are gone. It takes an ACCESS EXCLUSIVE lock on ``ballot`` while it runs
     (0.4 s for 100,000 ballots on the 2-core test machine), waiting at most ``LOCK_TIMEOUT``
     for it: meanwhile casting a ballot in another open poll and checking a receipt wait. A
     transaction older than the close (in this database, or holding a transaction id in any
     database of the cluster; a ``pg_dump`` for example) keeps the old rows alive, and VACUUM
     FULL would copy them: the function first waits a little for such transactions, reads
     VACUUM VERBOSE's count of « dead row versions [that] cannot be removed yet », runs it
     again a few times while that count is not 0, and logs a warning if it still is.
   - SQLite: ``VACUUM`` (the whole database file is rebuilt, with no free page and no stale
     cell; the ``ballot`` table has no rowid, so its rows are stored in the order of their
     new random ids). It needs every other connection to be idle.

The WAL (PostgreSQL) and backups taken during the vote still hold the old rows: see the
README (« The members' vote: what the database keeps »).
"""

from __future__ import annotations

import logging
import random
import re
import time
from typing import Any

import sqlalchemy as sa
from celery import shared_task
from flask import current_app

from convention.core.after_commit import after_commit
from convention.core.db import db
from convention.votes.models import Ballot, Poll, new_ballot_id

logger = logging.getLogger(__name__)

BOX_CHUNK = 5000
# How long the compaction waits for transactions older than the close to finish (PostgreSQL),
# and how long it waits for its lock before giving up (it is then logged; run it again by hand).
OLD_SNAPSHOT_WAIT_SECONDS = 10.0
LOCK_TIMEOUT = "30s"


def rewrite_ballot_box(poll: Poll, *, compact: bool = True) -> int:
    """Rewrite ``poll``'s ballots in a random order with new ids, in the current transaction; returns how many.

    With ``compact`` (the default) the storage is compacted once the transaction commits
    (``compact_ballot_storage``); nothing is done if it rolls back.
    """
    rows = [
        {
            "poll_id": poll.id,
            "choices": row.choices,
            "federation_id": row.federation_id,
            "section_id": row.section_id,
            "receipt_hash": row.receipt_hash,
        }
        for row in db.session.execute(
            sa.select(Ballot.choices, Ballot.federation_id, Ballot.section_id, Ballot.receipt_hash).where(
                Ballot.poll_id == poll.id
            )
        )
    ]
    shuffle = random.SystemRandom()
    shuffle.shuffle(rows)
    for row in rows:
        row["id"] = new_ballot_id()
    db.session.execute(sa.delete(Ballot).where(Ballot.poll_id == poll.id).execution_options(synchronize_session=False))
    for start in range(0, len(rows), BOX_CHUNK):
        db.session.execute(sa.insert(Ballot), rows[start : start + BOX_CHUNK])
    db.session.flush()
    if compact:
        closing_xid = None
        if db.session.get_bind().dialect.name == "postgresql":
            closing_xid = db.session.scalar(sa.text("SELECT txid_current()"))
        after_commit(db.session, queue_compaction, closing_xid)
    return len(rows)


COMPACT_TASK = "convention.votes.compact_ballot_box"


@shared_task(name=COMPACT_TASK, acks_late=True)
def compact_ballot_box_task(closing_xid: int | None = None) -> bool:
    """The compaction as a Celery task (the close's request or tick does not wait for it)."""
    return compact_ballot_storage(closing_xid=closing_xid)


def queue_compaction(closing_xid: int | None = None) -> None:
    """Queue ``compact_ballot_storage`` on a worker; run it here if the task cannot be queued (no broker
    configured runs it inline anyway, as every task)."""
    celery = current_app.extensions.get("celery")
    task = celery.tasks.get(COMPACT_TASK) if celery is not None else None
    if task is not None:
        try:
            task.delay(closing_xid=closing_xid)
            return
        except Exception:
            logger.exception("Could not queue the compaction of the ballot box: running it now")
    compact_ballot_storage(closing_xid=closing_xid)


def compact_ballot_storage(engine: Any = None, *, closing_xid: int | None = None) -> bool:
    """Rewrite the ballot table's storage (and its indexes) into fresh files; True if it was done.

    Runs outside any transaction, on its own AUTOCOMMIT connection: call it after the closing
    transaction has committed. Failures are logged, never raised (the close has committed).
    ``closing_xid`` (PostgreSQL: ``txid_current()`` of the closing transaction): wait first for
    the transactions that started before it, whose snapshots still see the old rows.
    """
    engine = engine if engine is not None else db.engine
    started = time.monotonic()
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            if connection.dialect.name == "postgresql":
                _vacuum_full(connection, closing_xid)
            elif connection.dialect.name == "sqlite":
                connection.exec_driver_sql("VACUUM")
            else:  # pragma: no cover - only the two supported engines
                logger.warning("Ballot storage not compacted: unsupported database %s", connection.dialect.name)
                return False
    except Exception:
        logger.exception(
            "The ballot box could not be compacted after the close: old rows may remain on disk until "
            "`VACUUM FULL ballot` (PostgreSQL) or `VACUUM` (SQLite) is run."
        )
        return False
    logger.info("Ballot storage compacted in %.2f s", time.monotonic() - started)
    return True


def _vacuum_full(connection: Any, closing_xid: int | None) -> None:
    """``VACUUM (FULL, VERBOSE) ballot``, again (a few times) while it reports dead row versions that
    it could not remove yet (a transaction older than the close was still open)."""
    reports: list[str] = []

    def collect(diagnostic: Any) -> None:
        reports.append(f"{diagnostic.message_primary or ''}\n{diagnostic.message_detail or ''}")

    raw = connection.connection.dbapi_connection
    raw.add_notice_handler(collect)
    try:
        connection.exec_driver_sql(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
        for attempt, pause in enumerate((*VACUUM_RETRY_PAUSES, None), start=1):
            _wait_for_old_snapshots(connection, closing_xid)
            reports.clear()
            connection.exec_driver_sql(f"VACUUM (FULL, VERBOSE) {Ballot.__tablename__}")
            kept = sum(int(n) for n in _KEPT_DEAD.findall("\n".join(reports)))
            if not kept:
                return
            if pause is None:
                logger.warning(
                    "VACUUM FULL ballot kept %d dead row version(s) after %d attempts (a transaction older "
                    "than the close is still open): run it again once it has ended.",
                    kept,
                    attempt,
                )
                return
            time.sleep(pause)
    finally:
        connection.exec_driver_sql("RESET lock_timeout")
        raw.remove_notice_handler(collect)


# VACUUM VERBOSE's detail line: « 3 dead row versions cannot be removed yet ».
_KEPT_DEAD = re.compile(r"(\d+) dead row versions? cannot be removed yet")
VACUUM_RETRY_PAUSES = (1.0, 3.0, 10.0)


def _old_snapshots(connection: Any, closing_xid: int | None) -> list[tuple[int, str]]:
    """Other sessions that keep the old rows from being removed (pid, application name): a snapshot in
    this database, or a running transaction id in any database of the cluster (PostgreSQL counts
    those too), older than the closing transaction (any, if ``closing_xid`` is None)."""
    older = "TRUE" if closing_xid is None else "age({column}) >= age(mod(%(xid)s::bigint, 4294967296)::text::xid)"
    query = (
        "SELECT pid, coalesce(application_name, '') FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND ("
        f"(datname = current_database() AND backend_xmin IS NOT NULL AND {older.format(column='backend_xmin')}) "
        f"OR (backend_xid IS NOT NULL AND {older.format(column='backend_xid')}))"
    )
    if closing_xid is None:
        rows = connection.exec_driver_sql(query).all()
    else:
        rows = connection.exec_driver_sql(query, {"xid": int(closing_xid)}).all()
    return [(pid, name) for pid, name in rows]


def _wait_for_old_snapshots(connection: Any, closing_xid: int | None) -> None:
    """Wait (a little) until no other session holds a snapshot that may still see the old rows."""
    deadline = time.monotonic() + OLD_SNAPSHOT_WAIT_SECONDS
    holders = _old_snapshots(connection, closing_xid)
    while holders and time.monotonic() < deadline:
        time.sleep(0.2)
        holders = _old_snapshots(connection, closing_xid)
    if holders:
        logger.warning(
            "Compacting the ballot box while %d other transaction(s) are open (%s): the old row versions they "
            "can still see are kept until the next VACUUM FULL ballot.",
            len(holders),
            ", ".join(f"pid {pid} {name}".strip() for pid, name in holders),
        )
