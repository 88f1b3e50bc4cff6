"""Benchmark: a Celery worker killed (SIGKILL) in the middle of a tally — how soon the count resumes.

    .venv/bin/python bench/job_takeover.py                    # 100,000 members, the default delays
    .venv/bin/python bench/job_takeover.py --members 200000   # a longer tally
    .venv/bin/python bench/job_takeover.py --stale 30 --sweep 15 --heartbeat 5

Set-up: a fresh PostgreSQL database (``--server``/``--database``, dropped at the end), ``flask db
upgrade``, ``flask seed``, ``--members`` members, a poll opened through ``open_poll`` and a
ballot for most of the roll written in bulk (as the demo does). Then real processes against
Redis (a queue of their own): ``celery beat`` and two ``celery worker`` (solo pool). The poll is
closed through ``close_poll``, which starts the tally job; the worker that received it is killed
with SIGKILL as soon as the job runs (no clean-up, no acknowledgement: the broker would hand
the task over only after its visibility timeout, an hour). Printed: when the job went silent,
when the other worker took it over (attempt 2), when it finished, each counted from the kill,
beside the target (resumed within 60 s).

The workers run with ``CONVENTION_CONFIG=development`` (plain settings, the real delays:
``JOB_STALE_SECONDS``, ``JOB_HEARTBEAT_SECONDS``, ``JOB_SWEEP_SECONDS`` unless given here).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

TARGET_SECONDS = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="convention_bench_takeover")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--stale", type=float, help="JOB_STALE_SECONDS (default: the configuration's)")
    parser.add_argument("--sweep", type=float, help="JOB_SWEEP_SECONDS (default: the configuration's)")
    parser.add_argument("--heartbeat", type=float, help="JOB_HEARTBEAT_SECONDS (default: the configuration's)")
    parser.add_argument("--timeout", type=float, default=300.0, help="give up after this many seconds")
    args = parser.parse_args()

    queue = f"convention-takeover-{uuid.uuid4().hex[:8]}"
    url = f"{args.server.replace('postgresql://', 'postgresql+psycopg://', 1)}/{args.database}"
    env = dict(os.environ)
    env.pop("TEST_DATABASE_URL", None)
    env.update(
        CONVENTION_CONFIG="development",
        SECRET_KEY=secrets.token_hex(32),
        DATABASE_URL=url,
        CELERY_BROKER_URL=args.redis,
        CELERY_TASK_DEFAULT_QUEUE=queue,
        MAIL_SUPPRESS_SEND="1",
        PUBLIC_BASE_URL="http://127.0.0.1:5000",
        FLASK_APP="convention",
    )
    for name, value in (("JOB_STALE_SECONDS", args.stale), ("JOB_SWEEP_SECONDS", args.sweep),
                        ("JOB_HEARTBEAT_SECONDS", args.heartbeat)):  # fmt: skip
        if value is not None:
            env[name] = str(int(value) if name == "JOB_STALE_SECONDS" else value)
    os.environ.update(env)  # before config.py is imported
    workdir = Path(tempfile.mkdtemp(prefix="job-takeover-"))
    processes: dict[str, subprocess.Popen] = {}
    try:
        run(args, env, workdir, processes)
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        import redis
        from vote_load import drop_database, forget_queue

        client = redis.Redis.from_url(args.redis)
        forget_queue(client, queue)  # the killed worker's message stays unacknowledged otherwise
        client.close()

        drop_database(args.server, args.database)
        shutil.rmtree(workdir, ignore_errors=True)


def start(name: str, command: list[str], env: dict[str, str], workdir: Path) -> subprocess.Popen:
    with (workdir / f"{name}.log").open("ab") as log:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def celery(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "workers", *arguments]


def run(args, env: dict[str, str], workdir: Path, processes: dict[str, subprocess.Popen]) -> None:
    import sqlalchemy as sa
    from vote_load import create_database, flask

    start_time = time.perf_counter()
    create_database(args.server, args.database)
    flask(env, "db", "upgrade")
    flask(env, "seed")

    from convention import create_app
    from convention.conventions.models import Convention
    from convention.core.db import utcnow
    from convention.domain.roles import Role
    from convention.extensions import db
    from convention.jobs.models import Job, JobState
    from convention.members.models import Federation, Member, RoleAssignment, Section, User
    from convention.votes import operations
    from convention.votes.models import Ballot, Poll
    from seed.demo_vote import _cast_demo_ballots

    app = create_app()
    print(
        f"job_takeover: JOB_STALE_SECONDS={app.config['JOB_STALE_SECONDS']}, "
        f"JOB_HEARTBEAT_SECONDS={app.config['JOB_HEARTBEAT_SECONDS']}, "
        f"JOB_SWEEP_SECONDS={app.config['JOB_SWEEP_SECONDS']}, visibility timeout "
        f"{app.config['CELERY_VISIBILITY_TIMEOUT']} s; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )
    with app.test_request_context("/"):
        db.session.execute(
            sa.insert(Federation),
            [{"code": f"B{f:03d}", "name": f"Banc {f}", "title": f"Fédération du banc {f}"} for f in range(100)],
        )
        federation_ids = list(db.session.scalars(sa.select(Federation.id)))
        db.session.execute(
            sa.insert(Section),
            [{"federation_id": f, "name": f"Section {s}"} for f in federation_ids for s in range(30)],
        )
        sections = list(db.session.scalars(sa.select(Section.id)))
        rng = random.Random(3)
        paid = dt.date.today() + dt.timedelta(days=365)
        for first in range(0, args.members, 10_000):
            db.session.execute(
                sa.insert(Member),
                [
                    {"membership_number": str(2_000_000 + n), "first_name": f"P{n}", "last_name": f"N{n}",
                     "email": f"t.{n}@exemple.fr", "section_id": rng.choice(sections), "dues_paid_until": paid}
                    for n in range(first, min(args.members, first + 10_000))
                ],
            )  # fmt: skip
        bureau = User(email="bn.takeover@exemple.fr", display_name="BN", password_hash="x", is_enabled=True)
        db.session.add(bureau)
        db.session.flush()
        db.session.add(RoleAssignment(user_id=bureau.id, role=Role.NATIONAL_BUREAU))
        convention = db.session.scalars(sa.select(Convention).order_by(Convention.id).limit(1)).one()
        now = utcnow()
        poll = operations.create_poll(
            bureau,
            convention,
            operations.PollData(
                title="Dépouillement interrompu (banc d'essai)",
                question="Approuvez-vous le texte ?",
                opens_at=now - dt.timedelta(minutes=1),
                closes_at=now + dt.timedelta(days=1),
                roll_cutoff=dt.date.today(),
            ),
        )
        operations.open_poll(bureau, poll)
        db.session.commit()
        ballots = _cast_demo_ballots(poll, random.Random(4), (now - dt.timedelta(minutes=1), now), (0.9, 1.0))
        db.session.commit()
        poll_id = poll.id
        db.session.remove()
    print(
        f"  set-up: {args.members:,} members, {ballots:,} ballots in the box, "
        f"in {time.perf_counter() - start_time:.1f} s"
    )

    flags = ["--pool", "solo", "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    processes["beat"] = start(
        "beat", celery("beat", "--loglevel", "INFO", "--schedule", str(workdir / "celerybeat-schedule")), env, workdir
    )
    for name in ("worker-a", "worker-b"):
        processes[name] = start(name, celery("worker", "-n", f"{name}@%h", *flags), env, workdir)
    deadline = time.monotonic() + 90
    while not all("ready" in (workdir / f"{n}.log").read_text(errors="replace") for n in ("worker-a", "worker-b")):
        if time.monotonic() > deadline:
            sys.exit("the workers did not start:\n" + (workdir / "worker-a.log").read_text(errors="replace")[-3000:])
        time.sleep(0.2)

    def job_row(session) -> tuple[str, int, int, dt.datetime | None, str] | None:
        session.rollback()
        row = session.execute(
            sa.select(Job.state, Job.attempts, Job.progress, Job.heartbeat_dt, Job.error).where(Job.id == job_id)
        ).first()
        return None if row is None else tuple(row)

    with app.test_request_context("/"):
        bureau = db.session.scalars(sa.select(User).where(User.email == "bn.takeover@exemple.fr")).one()
        poll = db.session.get(Poll, poll_id)
        job = operations.close_poll(bureau, poll)
        job_id = job.id
        db.session.commit()  # the tally task goes to Redis now
        closed = time.monotonic()
        # Kill whichever worker received it, as soon as the job runs.
        victim = None
        while victim is None:
            state = job_row(db.session)
            if state and state[0] == JobState.RUNNING:
                for name in ("worker-a", "worker-b"):
                    if "convention.jobs.run_job" in (workdir / f"{name}.log").read_text(errors="replace"):
                        victim = name
                        break
            if state and state[0] in (JobState.SUCCEEDED, JobState.FAILED):
                sys.exit(f"the tally ended ({state[0]}) before the kill: use more --members ({state[4]})")
            if time.monotonic() - closed > 120:
                sys.exit("the tally did not start")
            time.sleep(0.02)
        processes[victim].send_signal(signal.SIGKILL)
        processes[victim].wait()
        killed = time.monotonic()
        state = job_row(db.session)
        print(
            f"  {victim} killed (SIGKILL) {killed - closed:.2f} s after the close, the tally at {state[2]} % "
            f"(attempt {state[1]}); {ballots:,} ballots to count"
        )
        silent_at = taken_at = None
        stale = app.config["JOB_STALE_SECONDS"]
        while True:
            state = job_row(db.session)
            now_mono = time.monotonic()
            last_beat = state[3]
            if silent_at is None and last_beat is not None and utcnow() - last_beat > dt.timedelta(seconds=stale):
                silent_at = now_mono
            if taken_at is None and state[1] >= 2:
                taken_at = now_mono
            if state[0] in (JobState.SUCCEEDED, JobState.FAILED):
                break
            if now_mono - killed > args.timeout:
                sys.exit(f"the tally did not finish within {args.timeout:.0f} s of the kill: {state}")
            time.sleep(0.1)
        done = time.monotonic()
        boxed = db.session.scalar(sa.select(sa.func.count()).select_from(Ballot).where(Ballot.poll_id == poll_id))
        result = db.session.scalar(sa.select(Job.result).where(Job.id == job_id)) or {}
        db.session.remove()
        db.engine.dispose()
    survivor = "worker-b" if victim == "worker-a" else "worker-a"
    took_over = "Taken over" in (workdir / f"{survivor}.log").read_text(errors="replace") or state[1] >= 2
    resumed = (taken_at or done) - killed
    print(f"  job silent (no heartbeat for {stale} s) {((silent_at or done) - killed):6.1f} s after the kill")
    print(
        f"  taken over by {survivor} (attempt {state[1]})  {resumed:6.1f} s after the kill "
        f"(target < {TARGET_SECONDS:.0f} s) {'OK' if resumed < TARGET_SECONDS and took_over else 'MISSED'}"
    )
    print(
        f"  tally {state[0]} {done - killed:6.1f} s after the kill: {result.get('ballots', '?')} ballots counted "
        f"of {boxed:,} in the box{'' if state[0] == JobState.SUCCEEDED else ' — ' + state[4]}"
    )
    print("  (without the heartbeat and the sweep: the broker's visibility timeout, "
          f"{app.config['CELERY_VISIBILITY_TIMEOUT']} s)")  # fmt: skip


if __name__ == "__main__":
    main()
