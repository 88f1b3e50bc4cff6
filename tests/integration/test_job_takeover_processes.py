"""A real worker killed mid-job: beat's sweep, not the broker, hands the job to the other worker.

Real ``celery -A workers`` processes (beat and two solo workers) against the local Redis and
the suite's database. The broker's visibility timeout stays at an hour, so only the heartbeat
and the sweep can bring the job back: with a stale delay of 2 s and a sweep every second, the
job of the worker killed with SIGKILL is taken over and completed within seconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from convention import create_app
from convention.core.db import db
from convention.domain.roles import Role
from convention.jobs.models import Job, JobState
from convention.jobs.operations import RUN_TASK
from convention.members.jobs import start_member_import
from convention.members.models import Federation, Member, User
from tests.auth_fixtures import make_user
from tests.conftest import empty_tables
from tests.integration.test_services import require_redis

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = 60_000
STALE = 2

pytestmark = [pytest.mark.slow, pytest.mark.redis]


def member_file(count: int) -> bytes:
    lines = ["numero_adherent;prenom;nom;email;section;federation"]
    lines += [f"{300000 + i};Prénom{i};Nom{i};repris{i}@exemple.fr;Section {i % 40};38" for i in range(count)]
    return "\n".join(lines).encode()


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as output:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)


def wait_until(predicate, timeout: float, what: str, logs: list[Path]) -> float:
    start_time = time.monotonic()
    while time.monotonic() - start_time < timeout:
        if predicate():
            return time.monotonic() - start_time
        time.sleep(0.05)
    tails = "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-2500:]}" for log in logs if log.exists())
    pytest.fail(f"timed out waiting for {what}\n{tails}")


def job_state() -> tuple[JobState, int, int]:
    db.session.rollback()
    job = db.session.scalar(sa.select(Job))
    return job.state, job.progress, job.attempts


def test_the_sweep_hands_a_killed_worker_s_job_to_another_within_seconds(app, tmp_path):
    broker_url = require_redis()
    queue = f"convention-takeover-{uuid.uuid4().hex[:8]}"
    database_url = app.config["SQLALCHEMY_DATABASE_URI"]
    env = dict(os.environ)
    env.pop("TEST_DATABASE_URL", None)
    env.update(
        CONVENTION_CONFIG="development",
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker_url,
        CELERY_TASK_DEFAULT_QUEUE=queue,
        CELERY_VISIBILITY_TIMEOUT="3600",  # the broker would wait an hour: only the sweep can help
        JOB_STALE_SECONDS=str(STALE),
        JOB_HEARTBEAT_SECONDS="0.3",
        JOB_SWEEP_SECONDS="1",
        MAIL_SUPPRESS_SEND="1",
    )
    sender = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=database_url,
        CELERY_BROKER_URL=broker_url,
        CELERY_TASK_ALWAYS_EAGER=False,
        CELERY_TASK_DEFAULT_QUEUE=queue,
    )
    flags = ["--pool", "solo", "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    celery = [sys.executable, "-m", "celery", "-A", "workers"]
    logs = {name: tmp_path / f"{name}.log" for name in ("beat", "worker-a", "worker-b")}
    processes: dict[str, subprocess.Popen] = {}
    try:
        with sender.app_context():
            empty_tables()
            db.session.add(Federation(code="38", name="Isère", title="Fédération de l'Isère"))
            make_user("bn@exemple.fr", roles=[(Role.NATIONAL_BUREAU, None)])
            db.session.commit()
        with app.app_context():
            processes["worker-a"] = start([*celery, "worker", "-n", f"a-{queue}@%h", *flags], env, logs["worker-a"])
            wait_until(
                lambda: "ready" in logs["worker-a"].read_text(errors="replace"), 60, "worker A", list(logs.values())
            )
            with sender.app_context():
                bureau = db.session.scalar(sa.select(User).where(User.email == "bn@exemple.fr"))
                start_member_import(bureau, "adherents.csv", member_file(MEMBERS), create_sections=True)
                db.session.commit()  # the task goes to Redis, to the only worker there is
            wait_until(
                lambda: job_state()[0] == JobState.RUNNING and job_state()[1] >= 5,
                120, "worker A to be into the job", list(logs.values()),
            )  # fmt: skip
            processes["worker-a"].send_signal(signal.SIGKILL)
            processes["worker-a"].wait(timeout=10)
            killed = time.monotonic()
            state, progress, attempts = job_state()
            assert (state, attempts) == (JobState.RUNNING, 1) and progress < 100

            processes["worker-b"] = start([*celery, "worker", "-n", f"b-{queue}@%h", *flags], env, logs["worker-b"])
            processes["beat"] = start(
                [*celery, "beat", "--loglevel", "INFO", "--schedule", str(tmp_path / "beat-schedule")],
                env,
                logs["beat"],
            )
            wait_until(lambda: job_state()[2] >= 2, 60, "the other worker to take the job over", list(logs.values()))
            taken_over = time.monotonic() - killed
            wait_until(
                lambda: job_state()[0] in (JobState.SUCCEEDED, JobState.FAILED),
                180, "the job to finish", list(logs.values()),
            )  # fmt: skip
            job = db.session.scalar(sa.select(Job))
            assert job.state == JobState.SUCCEEDED, job.error
            assert job.attempts == 2 and job.progress == 100
            # Silent after STALE seconds, then found by a sweep (every second), then a worker's start-up.
            assert taken_over < STALE + 30
            assert db.session.scalar(sa.select(sa.func.count(sa.distinct(Member.membership_number)))) == MEMBERS
            # Which of beat's sweep or worker B's start-up hands the job over depends on timing (the sweep
            # may find nothing left to do): either way worker B ran it, as attempt 2, within the bound above.
            assert f"{RUN_TASK}[" in logs["worker-b"].read_text(errors="replace")
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        import redis

        client = redis.Redis.from_url(broker_url)
        client.delete(queue)
        client.close()
        with sender.app_context():
            db.session.remove()
            db.engine.dispose()
        with app.app_context():
            empty_tables()
        app.extensions["celery"].set_default()
