"""Shared fixtures.

The database is chosen by ``TEST_DATABASE_URL`` (default: a SQLite file in a
temporary folder, so that a live server in another thread sees the same data).
``make test`` under ``CI=true`` runs the suite once on SQLite and once on the
local PostgreSQL.

Two ways to get data, never mixed in one module:
- ``database``: function scope, empty tables, emptied again after the test;
- ``seeded``: module scope, the convention imported from its document (plus a
  small demo population), shared read-only by the module's tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from convention import create_app
from convention.extensions import db as _db


def _database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        if worker and url.startswith("postgres"):
            url = f"{url}_{worker}"  # one database per xdist worker, created by .ci/test-suite
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


class FreshContextClient(FlaskClient):
    """A test client whose every request runs in its own application context.

    Without it, a request made while a fixture holds an app context reuses that
    context's ``g`` (Flask-Login's user, Flask-Babel's locale…) and its session.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory):
    url = _database_url(tmp_path_factory)
    os.environ.setdefault("TEST_DATABASE_URL", url)
    from config import normalise_database_url

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=normalise_database_url(url))
    app.test_client_class = FreshContextClient
    with app.app_context():
        _db.drop_all()
        _db.create_all()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


def empty_tables() -> None:
    """Delete every row of every table (children first)."""
    _db.session.rollback()
    engine = _db.engine
    tables = list(reversed(_db.metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())
    _db.session.remove()


@pytest.fixture()
def database(app) -> Iterator:
    """Empty tables for a test that writes; emptied again afterwards."""
    with app.app_context():
        empty_tables()
        yield _db
        empty_tables()


@pytest.fixture(scope="module")
def seeded(app) -> Iterator:
    """The seeded convention, shared read-only by the tests of one module.

    No application context stays open between tests (``g`` would leak from one
    request to the next): use ``app_ctx`` to query the database in a test.
    """
    from seed.demo import seed_demo
    from seed.load import seed_convention

    with app.app_context():
        empty_tables()
        seed_convention(verbose=False)
        seed_demo(members=60, seed_value=1)
        _db.session.commit()
        _db.session.remove()
    yield _db
    with app.app_context():
        empty_tables()


@pytest.fixture(autouse=True)
def _fresh_rate_limits(app):
    """Each test starts with empty rate-limit counters (the login limit is low)."""
    from convention.extensions import limiter

    limiter.reset()


@pytest.fixture(autouse=True)
def _quick_ballot_box_compaction(request, monkeypatch):
    """Closing a poll compacts the ballot box and first waits (up to 10 s, then retries) for
    transactions older than the close — on PostgreSQL those of the other xdist worker's database
    count too — and VACUUM FULL waits up to 30 s for the test's own session, which may still hold a
    read lock on the ballot table. Only the tests of what the database files keep need those waits
    (a compaction that cannot take its lock is logged, never raised)."""
    if request.module.__name__.endswith("test_vote_secrecy_storage"):
        return
    from convention.votes import ballotbox

    monkeypatch.setattr(ballotbox, "VACUUM_RETRY_PAUSES", ())
    monkeypatch.setattr(ballotbox, "OLD_SNAPSHOT_WAIT_SECONDS", 0.0)
    monkeypatch.setattr(ballotbox, "LOCK_TIMEOUT", "1s")


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def app_ctx(app):
    with app.app_context():
        yield app
