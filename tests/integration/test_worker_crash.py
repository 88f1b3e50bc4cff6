"""A worker killed in the middle of a job: another worker completes it (acks_late + Redis).

Two real ``celery -A workers worker`` processes, one after the other, against the local
Redis and the suite's database. The first takes a large member import and is killed with
SIGKILL while it runs (no chance to clean up or acknowledge). Redis keeps the task as
unacknowledged and, after the visibility timeout, gives it to the second worker, which
takes the job over (its heartbeat is stale) and completes it: every member imported once.
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
from convention.members.jobs import start_member_import
from convention.members.models import Federation, Member
from tests.auth_fixtures import make_user
from tests.conftest import empty_tables
from tests.integration.test_services import require_redis

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = 120_000

pytestmark = [pytest.mark.slow, pytest.mark.redis]


def member_file(count: int) -> bytes:
    lines = ["numero_adherent;prenom;nom;email;section;federation"]
    lines += [f"{100000 + i};Prénom{i};Nom{i};adherent{i}@exemple.fr;Section {i % 40};38" for i in range(count)]
    return "\n".join(lines).encode()


def start_worker_process(database_url: str, broker_url: str, queue: str, log: Path) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        CONVENTION_CONFIG="development",
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker_url,
        CELERY_TASK_DEFAULT_QUEUE=queue,
        # Short delays so that the test does not wait an hour: Redis hands the unacknowledged
        # task over after 2 s; a job silent for 1 s has lost its worker.
        CELERY_VISIBILITY_TIMEOUT="2",
        JOB_STALE_SECONDS="1",
        MAIL_SUPPRESS_SEND="1",
    )
    env.pop("TEST_DATABASE_URL", None)
    command = [
        sys.executable, "-m", "celery", "-A", "workers", "worker", "--pool", "solo", "-Q", queue,
        "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    with log.open("ab") as output:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)


def job_state() -> tuple[JobState, int, int]:
    db.session.rollback()
    job = db.session.scalar(sa.select(Job))
    return job.state, job.progress, job.attempts


def wait_until(predicate, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}; worker log:\n{log.read_text(errors='replace')[-4000:]}")


def test_a_killed_worker_s_job_is_completed_by_another(app, tmp_path):
    broker_url = require_redis()
    queue = f"convention-crash-{uuid.uuid4().hex[:8]}"
    database_url = app.config["SQLALCHEMY_DATABASE_URI"]
    log = tmp_path / "workers.log"
    # The app that queues the job: same database, real broker, the test's own queue.
    sender = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=database_url,
        CELERY_BROKER_URL=broker_url,
        CELERY_TASK_ALWAYS_EAGER=False,
        CELERY_TASK_DEFAULT_QUEUE=queue,
    )
    workers: list[subprocess.Popen] = []
    try:
        with sender.app_context():
            empty_tables()
            db.session.add(Federation(code="38", name="Isère", title="Fédération de l'Isère"))
            bureau = make_user("bn@exemple.fr", roles=[(Role.NATIONAL_BUREAU, None)])
            db.session.commit()
            start_member_import(bureau, "adherents.csv", member_file(MEMBERS), create_sections=True)
            db.session.commit()  # the task goes to Redis now
        sender.extensions["celery"].close()

        with app.app_context():
            first = start_worker_process(database_url, broker_url, queue, log)
            workers.append(first)
            wait_until(
                lambda: job_state()[0] == JobState.RUNNING and job_state()[1] >= 10,
                timeout=120, what="the first worker to be well into the job", log=log,
            )  # fmt: skip
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
            state, progress, attempts = job_state()
            assert (state, attempts) == (JobState.RUNNING, 1) and progress < 100  # cut off mid-way

            second = start_worker_process(database_url, broker_url, queue, log)
            workers.append(second)
            wait_until(
                lambda: job_state()[0] in (JobState.SUCCEEDED, JobState.FAILED),
                timeout=180, what="the second worker to complete the job", log=log,
            )  # fmt: skip
            job = db.session.scalar(sa.select(Job))
            assert job.state == JobState.SUCCEEDED, (job.error, log.read_text(errors="replace")[-3000:])
            assert job.attempts == 2 and job.progress == 100
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Member)) == MEMBERS
            assert db.session.scalar(sa.select(sa.func.count(sa.distinct(Member.membership_number)))) == MEMBERS
            # What the first worker wrote before dying is counted as already there, the rest created.
            assert job.result["created"] + job.result["unchanged"] == MEMBERS
            assert "Task convention.jobs.run_job" in log.read_text(errors="replace")
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()
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
