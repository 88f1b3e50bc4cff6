"""A job whose worker dies is taken over within the stale delay, not the broker's hour.

In-process "workers" (threads with their own application context and session) against the
suite's database, with a short stale delay (1 s): the heartbeat thread keeps a long step
alive, a worker whose heartbeat stops is taken over by the next delivery (the beat sweep,
or « Relancer »), and the one that was only slow is fenced off: its late writes are dropped.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
import sqlalchemy as sa

import config
from convention.core.db import db, utcnow
from convention.jobs import operations, runner
from convention.jobs.models import Job, JobKind, JobState
from convention.members.models import User
from convention.workers_app import BEAT_SCHEDULE

STALE = 1.0  # seconds


@pytest.fixture()
def short_stale(app, monkeypatch):
    monkeypatch.setitem(app.config, "JOB_STALE_SECONDS", STALE)
    monkeypatch.setitem(app.config, "JOB_HEARTBEAT_SECONDS", 0.2)
    return STALE


@pytest.fixture()
def tally_handler(monkeypatch):
    """Install a handler for the tally kind (the registry is loaded first)."""
    runner._load_handlers()

    def install(fn):
        monkeypatch.setitem(runner._HANDLERS, JobKind.TALLY, fn)

    return install


def new_job(**values) -> Job:
    job = Job(kind=JobKind.TALLY, params={"poll_id": 1}, **values)
    db.session.add(job)
    db.session.commit()
    return job


def reload(job_id: int) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def in_worker(app, fn, *args):
    """Run ``fn(*args)`` in a thread with its own application context (its own session); returns (thread, box)."""
    box: dict = {}

    def target():
        with app.app_context():
            try:
                box["value"] = fn(*args)
            except BaseException as error:  # reported to the test, not lost in the thread
                box["error"] = error
            finally:
                db.session.remove()

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, box


def wait_for(predicate, timeout: float, what: str) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.02)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def sweep(app) -> int:
    return app.extensions["celery"].tasks["convention.jobs.resume_stalled_jobs"].delay().get()


def test_the_defaults_resume_a_dead_worker_s_job_within_a_minute():
    stale, beat, period = (
        config.Config.JOB_STALE_SECONDS,
        config.Config.JOB_HEARTBEAT_SECONDS,
        config.Config.JOB_SWEEP_SECONDS,
    )
    assert 30 <= stale <= 45  # long enough for a slow database commit, short enough for vote day
    assert beat * 3 <= stale  # three heartbeats per stale period: one lost beat is no takeover
    assert stale + period < 60  # silent for `stale`, then found by the next sweep
    entry = BEAT_SCHEDULE["resume-stalled-jobs"]
    assert entry["task"] == "convention.jobs.resume_stalled_jobs" and float(entry["schedule"]) <= 30


def test_the_app_s_beat_schedule_sweeps_at_the_configured_period(app):
    schedule = app.extensions["celery"].conf.beat_schedule["resume-stalled-jobs"]
    assert float(schedule["schedule"]) == app.config["JOB_SWEEP_SECONDS"]
    assert schedule["options"]["expires"] < app.config["JOB_SWEEP_SECONDS"]


def test_a_long_step_without_progress_keeps_beating_and_is_not_taken_over(database, app, short_stale, tally_handler):
    release = threading.Event()
    runs: list[int] = []

    def handler(job, progress):
        runs.append(job.id)
        progress(10, "Un long calcul sans rapport de progression…")
        release.wait(10)  # three stale delays and more, without a word
        return {"lines": ["Fait."]}

    tally_handler(handler)
    job = new_job()
    worker, box = in_worker(app, runner.run, job.id)
    wait_for(lambda: reload(job.id).state == JobState.RUNNING, 5, "the first worker to claim the job")
    first_beat = reload(job.id).heartbeat_dt
    time.sleep(3 * STALE)
    job_now = reload(job.id)
    assert job_now.heartbeat_dt > first_beat and not job_now.is_silent  # the thread beat meanwhile
    # A second delivery (the broker's, or the sweep's) finds it alive and leaves it alone.
    assert sweep(app) == 0
    assert runner.run(job.id) == "busy"
    release.set()
    worker.join(10)
    assert box == {"value": "succeeded"}
    job = reload(job.id)
    assert (job.state, job.attempts, runs) == (JobState.SUCCEEDED, 1, [job.id])


def test_a_job_whose_worker_died_is_taken_over_by_the_sweep_within_the_stale_delay(
    database, app, short_stale, tally_handler
):
    done: list[int] = []

    def handler(job, progress):
        progress(50, "Dépouillement…")
        done.append(job.id)
        return {"lines": ["Dépouillement terminé."]}

    tally_handler(handler)
    job = new_job()
    # The first worker claims the job, reports its first step, and is killed: no heartbeat any more.
    attempt = operations.claim_attempt(job.id)
    operations.report(job.id, 20, "Contrôle de l'urne…", attempt=attempt)
    db.session.commit()
    died = time.monotonic()
    assert attempt == 1 and not reload(job.id).is_silent
    assert sweep(app) == 0  # alive as far as anyone can tell

    # Beat's sweep, run as often as it is scheduled, notices the silence and re-dispatches the job.
    def swept() -> bool:
        return sweep(app) > 0

    waited = wait_for(swept, 10 * STALE, "the sweep to find the silent job")
    job = reload(job.id)
    assert (job.state, job.attempts, job.progress) == (JobState.SUCCEEDED, 2, 100)
    assert done == [job.id] and job.result == {"lines": ["Dépouillement terminé."]}
    assert STALE * 0.9 <= time.monotonic() - died and waited <= STALE + 3
    assert sweep(app) == 0  # nothing left to resume


def test_a_slow_worker_that_was_taken_over_is_fenced_off(database, app, short_stale, tally_handler):
    """The first worker was only stalled (its heartbeat stopped): its late result is not written."""
    resume_first = threading.Event()
    first_claimed = threading.Event()

    def handler(job, progress):
        attempt = db.session.get(Job, job.id).attempts
        progress(10, "Début")
        if attempt == 1:
            first_claimed.set()
            resume_first.wait(10)
        db.session.add(User(email=f"ecrit-par-{attempt}@exemple.fr", display_name=f"Tentative {attempt}"))
        db.session.flush()  # written in the unit of work of its next report (or of the outcome)
        if attempt == 1:
            progress(60, "Suite")  # the job is no longer its own: the run stops here
            pytest.fail("the fenced worker went on")
        return {"lines": [f"Tentative {attempt}"]}

    tally_handler(handler)

    # The first worker's heartbeat thread is frozen, as a worker stopped by the system would be.
    class FrozenHeartbeat(runner.Heartbeat):
        def start(self):
            return self

    original = runner.Heartbeat
    runner.Heartbeat = FrozenHeartbeat
    try:
        job = new_job()
        first, box = in_worker(app, runner.run, job.id)
        assert first_claimed.wait(5)
    finally:
        runner.Heartbeat = original
    wait_for(lambda: reload(job.id).is_silent, 5 * STALE, "the first worker to go silent")
    # « Relancer le dépouillement » is accepted now that the job is silent: the same row is run again.
    operations.resume_silent_job(None, reload(job.id))
    db.session.commit()  # the dispatch runs after the commit (inline here: the second worker)
    job = reload(job.id)
    assert (job.state, job.attempts, job.result) == (JobState.SUCCEEDED, 2, {"lines": ["Tentative 2"]})
    resume_first.set()
    first.join(10)
    assert box == {"value": "taken over"}
    job = reload(job.id)
    assert (job.state, job.attempts, job.result) == (JobState.SUCCEEDED, 2, {"lines": ["Tentative 2"]})
    emails = set(db.session.scalars(sa.select(User.email)))
    assert emails == {"ecrit-par-2@exemple.fr"}  # nothing of the first run was committed


def test_a_late_outcome_of_a_taken_over_run_is_dropped(database, app, short_stale, tally_handler):
    """Taken over between its last report and its outcome: the handler's writes are rolled back."""
    job = new_job()

    def handler(job_row, progress):
        progress(90, "Presque fini")
        # Meanwhile another worker took the job over (the attempt number moved on)…
        with db.engine.begin() as connection:
            connection.execute(sa.update(Job).where(Job.id == job_row.id).values(attempts=Job.attempts + 1))
        # …and this run writes its last rows, then its outcome.
        db.session.add(User(email="perdu@exemple.fr", display_name="Jamais écrit"))
        db.session.flush()
        return {"lines": ["Trop tard."]}

    tally_handler(handler)
    assert runner.run(job.id) == "taken over"
    job = reload(job.id)
    assert (job.state, job.attempts, job.result) == (JobState.RUNNING, 2, {})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_resuming_is_refused_while_the_worker_is_alive_or_once_the_job_is_finished(database, short_stale):
    running = new_job(state=JobState.RUNNING, attempts=1, heartbeat_dt=utcnow(), started_dt=utcnow())
    assert not running.is_silent
    with pytest.raises(operations.JobNotSilent, match="donne signe de vie"):
        operations.resume_silent_job(None, running)
    finished = new_job(state=JobState.SUCCEEDED, attempts=1)
    assert not finished.is_silent
    with pytest.raises(operations.JobNotSilent, match="terminé"):
        operations.resume_silent_job(None, finished)
    db.session.rollback()


def test_silence_of_queued_and_running_jobs(database, short_stale):
    long_ago = utcnow() - dt.timedelta(seconds=STALE + 1)
    assert new_job(state=JobState.RUNNING, attempts=1, heartbeat_dt=long_ago).is_silent
    assert not new_job(state=JobState.RUNNING, attempts=1, heartbeat_dt=utcnow()).is_silent
    assert new_job(created_dt=long_ago).is_silent  # queued and never claimed
    assert not new_job().is_silent  # just queued: its dispatch may still be on its way
    # Put back in the queue by a database error (retry pending): counted from its last heartbeat.
    assert not new_job(created_dt=long_ago, heartbeat_dt=utcnow(), attempts=1).is_silent
    assert not new_job(state=JobState.FAILED, created_dt=long_ago).is_silent


def test_only_those_who_follow_the_job_may_resume_it(database, short_stale, tally_handler):
    from convention.core.permissions import PermissionDenied
    from convention.domain.roles import Role
    from tests.auth_fixtures import make_user

    tally_handler(lambda job, progress: {"lines": ["Repris."]})
    long_ago = utcnow() - dt.timedelta(seconds=STALE + 1)
    job = new_job(state=JobState.RUNNING, attempts=1, heartbeat_dt=long_ago, started_dt=long_ago)
    member = make_user("militant@exemple.fr")
    bureau = make_user("bn@exemple.fr", roles=[(Role.NATIONAL_BUREAU, None)])
    db.session.commit()
    with pytest.raises(PermissionDenied):
        operations.resume_silent_job(member, job)
    db.session.rollback()
    operations.resume_silent_job(db.session.get(User, bureau.id), reload(job.id))
    db.session.commit()  # dispatched after the commit, run inline here
    job = reload(job.id)
    assert (job.state, job.attempts, job.result) == (JobState.SUCCEEDED, 2, {"lines": ["Repris."]})
