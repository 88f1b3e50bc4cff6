"""The services the suite talks to: PostgreSQL and Redis.

Under CI (``CI=true``) both must be reachable and these tests FAIL if they are not:
a CI run must never turn green by skipping what it was meant to prove. Locally a
missing service skips the tests that need it, with the reason.

The helpers below (``postgres_url``, ``postgres_admin_url``, ``redis_url``,
``require_postgres``, ``require_redis``) are shared with the other service tests
(``test_migrations.py``, ``test_celery.py``).
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit, urlunsplit

import pytest
import sqlalchemy as sa

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def postgres_wanted() -> bool:
    """PostgreSQL is mandatory under CI, with ``TEST_POSTGRES=1``, or in the PostgreSQL pass."""
    return (
        in_ci()
        or os.environ.get("TEST_POSTGRES", "") == "1"
        or os.environ.get("TEST_DATABASE_URL", "").startswith(("postgres://", "postgresql"))
    )


def redis_wanted() -> bool:
    return in_ci()


def postgres_url() -> str:
    """The PostgreSQL server of the tests (``TEST_DATABASE_URL`` when it points to one)."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql")):
        return url
    return os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def with_database(url: str, name: str) -> str:
    """The same server URL with another database name."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def postgres_admin_url() -> str:
    """The maintenance database, used to CREATE and DROP throwaway databases (libpq form)."""
    url = with_database(postgres_url(), "postgres")
    return url.replace("postgresql+psycopg://", "postgresql://", 1).replace("postgres://", "postgresql://", 1)


def redis_url() -> str:
    return os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS_URL)


def _unreachable(what: str, url: str, error: Exception, wanted: bool) -> None:
    message = f"{what} is not reachable at {url}: {error.__class__.__name__}: {error}"
    if wanted:
        pytest.fail(message + " (CI must test against it: start it, see .ci/services)", pytrace=False)
    pytest.skip(message + " (set CI=true to make this a failure)")


def require_postgres() -> str:
    """The admin URL of a reachable PostgreSQL server; fail under CI, skip locally otherwise."""
    import psycopg

    url = postgres_admin_url()
    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except (psycopg.Error, OSError) as error:
        _unreachable("PostgreSQL", url, error, postgres_wanted())
    return url


def require_redis() -> str:
    """The URL of a reachable Redis; fail under CI, skip locally otherwise."""
    import redis

    url = redis_url()
    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.ping()
    except (redis.RedisError, OSError) as error:
        _unreachable("Redis", url, error, redis_wanted())
    finally:
        client.close()
    return url


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


# ---------------------------------------------------------------------------- tests


def test_postgres_answers_and_has_unaccent():
    """PostgreSQL answers, is version 15 or later and can create ``unaccent`` (postgresql-contrib)."""
    import psycopg

    url = require_postgres()
    with psycopg.connect(url, connect_timeout=5) as conn:
        version = conn.execute("SHOW server_version_num").fetchone()[0]
        unaccent = conn.execute("SELECT count(*) FROM pg_available_extensions WHERE name = 'unaccent'").fetchone()[0]
    assert int(version) >= 150000, f"PostgreSQL 15 or later expected, got {version}"
    assert unaccent == 1, "the unaccent extension is missing: install postgresql-contrib"


def test_redis_answers_and_stores():
    import redis

    url = require_redis()
    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    key = f"convention:test-services:{os.getpid()}"
    try:
        client.set(key, "é", ex=30)
        assert client.get(key).decode() == "é"
        client.delete(key)
        assert client.get(key) is None
    finally:
        client.close()


def test_suite_database_is_the_one_asked_for(app):
    """The pass really runs on the engine that ``TEST_DATABASE_URL`` names (no silent fallback)."""
    from convention.extensions import db

    expected = "postgresql" if postgres_url() == os.environ.get("TEST_DATABASE_URL") else "sqlite"
    with app.app_context():
        assert db.engine.dialect.name == expected
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT 1")).scalar() == 1


@pytest.mark.parametrize("ci_value, wanted", [("true", True), ("1", True), ("", False), ("false", False)])
def test_ci_turns_a_missing_service_into_a_failure(monkeypatch, ci_value, wanted):
    """With CI set a missing Redis fails the test; without it, the test is skipped."""
    port = 1
    assert not _port_open("127.0.0.1", port)
    monkeypatch.setenv("CI", ci_value)
    monkeypatch.setenv("TEST_REDIS_URL", f"redis://127.0.0.1:{port}/0")
    expected = pytest.fail.Exception if wanted else pytest.skip.Exception
    with pytest.raises(expected, match="Redis is not reachable"):
        require_redis()
