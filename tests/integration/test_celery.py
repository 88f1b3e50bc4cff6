"""Celery: tasks run inside the Flask app context, inline by default, through Redis with a worker.

- eager mode (the default configuration, no broker): ``.delay()`` runs the task inline
  and its exceptions propagate;
- a REAL worker (``start_worker``, solo pool, in a thread) against the local Redis
  (``TEST_REDIS_URL``): the task goes through the broker and its result comes back
  through the result backend. Under CI a missing Redis fails; locally it skips;
- ``celery -A workers`` finds the app, and production refuses to start without a SECRET_KEY.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from flask import current_app, has_app_context

from convention import create_app
from tests.integration.test_services import require_redis

ROOT = Path(__file__).resolve().parents[2]


def _register_tasks(celery_app):
    """Two trivial tasks, registered on the given Celery app under unique names."""
    suffix = uuid.uuid4().hex[:8]

    @celery_app.task(name=f"tests.add_{suffix}")
    def add(x: int, y: int) -> dict:
        return {
            "sum": x + y,
            "app_context": has_app_context(),
            "testing": bool(current_app.config.get("TESTING")) if has_app_context() else None,
            "thread": threading.get_ident(),
        }

    @celery_app.task(name=f"tests.fail_{suffix}")
    def fail() -> None:
        raise ValueError("échec voulu")

    return add, fail


def test_default_configuration_runs_tasks_inline(app):
    celery_app = app.extensions["celery"]
    assert celery_app.conf.task_always_eager is True
    add, fail = _register_tasks(celery_app)

    result = add.delay(2, 3).get(timeout=1)  # called outside any app context

    assert result["sum"] == 5
    assert result["app_context"] is True and result["testing"] is True
    assert result["thread"] == threading.get_ident()  # inline, in this very thread
    with pytest.raises(ValueError, match="échec voulu"):
        fail.delay()


# Celery 5.7's Redis result backend calls ``setex``, which redis-py 8 marks as deprecated.
@pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning")
def test_a_real_worker_runs_a_task_through_redis():
    url = require_redis()
    from celery.contrib.testing.worker import start_worker

    flask_app = create_app(
        "testing",
        CELERY_BROKER_URL=url,
        CELERY_RESULT_BACKEND=url,
        CELERY_TASK_ALWAYS_EAGER=False,
    )
    celery_app = flask_app.extensions["celery"]
    assert celery_app.conf.task_always_eager is False
    # A queue of our own, so that nothing else on this Redis database is consumed.
    celery_app.conf.task_default_queue = f"convention-test-{uuid.uuid4().hex[:8]}"
    add, fail = _register_tasks(celery_app)
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=10):
            async_result = add.delay(20, 22)
            result = async_result.get(timeout=30)
            assert async_result.successful()
            failed = fail.delay()
            with pytest.raises(ValueError, match="échec voulu"):
                failed.get(timeout=30)
            assert failed.state == "FAILURE"
    finally:
        celery_app.close()
        with flask_app.app_context():
            from convention.extensions import db

            db.engine.dispose()
    assert result["sum"] == 42
    assert result["app_context"] is True and result["testing"] is True
    assert result["thread"] != threading.get_ident()  # ran in the worker, not inline


def _run_python(code: str, env_overrides: dict[str, str | None]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in env_overrides}
    env.update({k: v for k, v in env_overrides.items() if v is not None})
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_celery_dash_a_workers_finds_the_app(tmp_path):
    proc = _run_python(
        "import workers; from celery import Celery; "
        "assert isinstance(workers.celery, Celery); "
        "assert workers.celery is workers.flask_app.extensions['celery']; "
        "print(workers.celery.conf.broker_url.split(':')[0], workers.celery.conf.task_always_eager)",
        {
            "CONVENTION_CONFIG": "development",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}",
            "CELERY_BROKER_URL": "redis://127.0.0.1:6379/15",
            "SECRET_KEY": None,
        },
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[-2:] == ["redis", "False"]  # a broker set means real queueing


@pytest.mark.parametrize("secret", [None, "", "dev-only-not-secret"])
def test_production_refuses_to_start_without_a_secret_key(tmp_path, secret):
    for code in ("from convention import create_app; create_app('production')", "import workers"):
        proc = _run_python(
            code,
            {
                "CONVENTION_CONFIG": "production",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}",
                "SECRET_KEY": secret,
                "PUBLIC_BASE_URL": "https://convention.example.org",
            },
        )
        assert proc.returncode != 0, f"{code!r} started without a SECRET_KEY"
        assert "SECRET_KEY must be set" in proc.stderr


def test_production_starts_with_a_secret_key(tmp_path):
    proc = _run_python(
        "from convention import create_app; app = create_app(); "
        "print(app.config['SESSION_COOKIE_SECURE'], app.testing)",
        {
            "CONVENTION_CONFIG": "production",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}",
            "SECRET_KEY": uuid.uuid4().hex * 2,
            "PUBLIC_BASE_URL": "https://convention.example.org",
        },
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[-2:] == ["True", "False"]
