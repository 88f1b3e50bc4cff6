"""Long jobs: the durable row, its states and progress, and the recovery of lost ones (inline tasks)."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import sqlalchemy as sa

from convention.core.db import db, utcnow
from convention.domain.roles import Role
from convention.jobs import operations, runner
from convention.jobs.models import Job, JobFileRole, JobKind, JobState
from convention.members.jobs import start_member_import
from convention.members.models import Federation, Member, User
from tests.auth_fixtures import make_user

HEADER = "numero_adherent;prenom;nom;email;section;federation"


@pytest.fixture()
def fake_handler(monkeypatch):
    """Replace the tally handler by one the test controls (the registry is loaded first)."""
    runner._load_handlers()
    calls: list[int] = []

    def install(fn):
        def wrapped(job, progress):
            calls.append(job.id)
            return fn(job, progress)

        monkeypatch.setitem(runner._HANDLERS, JobKind.TALLY, wrapped)
        return calls

    return install


def queued_job(**values) -> Job:
    job = Job(kind=JobKind.TALLY, **values)
    db.session.add(job)
    db.session.commit()
    return job


def reload(job_id: int) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def test_a_job_runs_reports_progress_and_keeps_its_result(database, fake_handler):
    seen = []

    def handler(job, progress):
        progress(30, "Première moitié")
        seen.append(reload(job.id).progress)  # committed: visible to the page polling it
        progress(20, "Un pas en arrière ne recule pas la barre")
        seen.append(reload(job.id).progress)
        return {"lines": ["Fait."]}

    calls = fake_handler(handler)
    job = queued_job()
    assert runner.run(job.id) == "succeeded"
    job = reload(job.id)
    assert (job.state, job.progress, job.result, job.attempts, job.step) == (
        JobState.SUCCEEDED, 100, {"lines": ["Fait."]}, 1, ""
    )  # fmt: skip
    assert seen == [30, 30] and job.started_dt and job.finished_dt
    # A second delivery of the same task does not run it again.
    assert runner.run(job.id) == "succeeded"
    assert calls == [job.id]
    assert job.status() == {
        "id": job.id, "kind": "tally", "state": "succeeded", "state_label": "Terminé",
        "progress": 100, "step": "", "finished": True, "error": "",
    }  # fmt: skip


def test_a_live_job_is_not_run_twice_but_a_silent_one_is_taken_over(database, fake_handler, app):
    calls = fake_handler(lambda job, progress: {})
    job = queued_job(state=JobState.RUNNING, attempts=1, heartbeat_dt=utcnow())
    assert runner.run(job.id) == "busy" and calls == []
    stale = utcnow() - dt.timedelta(seconds=app.config["JOB_STALE_SECONDS"] + 5)
    db.session.execute(sa.update(Job).values(heartbeat_dt=stale))
    db.session.commit()
    assert runner.run(job.id) == "succeeded" and calls == [job.id]
    assert reload(job.id).attempts == 2


def test_claim_is_won_by_one_caller_only(database):
    job = queued_job()
    assert operations.claim(job.id) is True
    assert operations.claim(job.id) is False
    db.session.commit()


def test_an_expected_failure_keeps_its_message_and_undoes_the_uncommitted_work(database, fake_handler):
    def handler(job, progress):
        db.session.add(User(email="ecrit@exemple.fr", display_name="Écrit puis annulé"))
        db.session.flush()
        raise runner.JobFailed("Le fichier est incomplet.", ["ligne 3 : nom manquant"])

    fake_handler(handler)
    job = queued_job()
    assert runner.run(job.id) == "failed"
    job = reload(job.id)
    assert (job.state, job.error, job.error_details) == (
        JobState.FAILED, "Le fichier est incomplet.", ["ligne 3 : nom manquant"]
    )  # fmt: skip
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.email == "ecrit@exemple.fr")) == 0


def test_a_crash_fails_the_job_with_a_plain_message_and_is_logged(database, fake_handler, caplog):
    def handler(job, progress):
        raise ZeroDivisionError("division by zero")

    fake_handler(handler)
    job = queued_job()
    with caplog.at_level(logging.ERROR, logger="convention.jobs.runner"):
        assert runner.run(job.id) == "failed"
    job = reload(job.id)
    assert job.state == JobState.FAILED and job.error == runner.UNEXPECTED_ERROR
    assert "division by zero" not in job.error and "ZeroDivisionError" in caplog.text


def test_a_job_started_in_a_rolled_back_action_never_runs(database, fake_handler):
    calls = fake_handler(lambda job, progress: {})
    operations.start_job(None, JobKind.TALLY, {"poll_id": 1})
    db.session.rollback()
    db.session.commit()
    assert calls == [] and db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


def test_the_sweep_requeues_lost_and_orphaned_jobs_only(database, fake_handler, app):
    calls = fake_handler(lambda job, progress: {})
    long_ago = utcnow() - dt.timedelta(minutes=10)
    lost = queued_job(created_dt=long_ago)  # its dispatch never reached a worker
    fresh = queued_job()  # its dispatch may still be on its way
    orphan = queued_job(state=JobState.RUNNING, attempts=1, created_dt=long_ago, heartbeat_dt=long_ago)
    alive = queued_job(state=JobState.RUNNING, attempts=1, created_dt=long_ago, heartbeat_dt=utcnow())
    done = queued_job(state=JobState.SUCCEEDED, created_dt=long_ago)
    sweep = app.extensions["celery"].tasks["convention.jobs.resume_stalled_jobs"]
    assert sweep.delay().get() == 2
    assert sorted(calls) == sorted([lost.id, orphan.id])
    states = {job_id: reload(job_id).state for job_id in (lost.id, fresh.id, orphan.id, alive.id, done.id)}
    assert states == {
        lost.id: JobState.SUCCEEDED, fresh.id: JobState.QUEUED, orphan.id: JobState.SUCCEEDED,
        alive.id: JobState.RUNNING, done.id: JobState.SUCCEEDED,
    }  # fmt: skip
    assert sweep.delay().get() == 0


# ---------------------------------------------------------------- the member import job


def isere() -> User:
    """The federation the files name, and a member of the Bureau national who imports them."""
    db.session.add(Federation(code="38", name="Isère", title="Fédération de l'Isère"))
    bureau = make_user("bn@exemple.fr", roles=[(Role.NATIONAL_BUREAU, None)])
    db.session.commit()
    return bureau


def test_member_import_job_imports_and_reports(database):
    bureau = isere()
    rows = [HEADER] + [f"{i};Prénom{i};Nom{i};a{i}@exemple.fr;Grenoble;38" for i in range(1, 13)]
    job = start_member_import(bureau, "adherents.csv", "\n".join(rows).encode(), create_sections=True)
    db.session.commit()  # inline: the task ran after the commit
    job = reload(job.id)
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.created_by_id == bureau.id
    assert job.result["created"] == 12 and job.result["sections_created"] == ["Grenoble"]
    assert job.result["lines"][0] == "Adhérents : 12 créés, 0 mis à jour, 0 inchangé."
    assert operations.file_of(job.id, JobFileRole.INPUT).filename == "adherents.csv"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Member)) == 12


def test_member_import_job_with_bad_lines_lists_them_and_writes_nothing(database):
    bureau = isere()
    rows = [HEADER, "1;Ana;Martin;ana@exemple.fr;Grenoble;38", "2;Bob;;pas-une-adresse;Grenoble;99"]
    job = start_member_import(bureau, "adherents.csv", "\n".join(rows).encode(), create_sections=True)
    db.session.commit()
    job = reload(job.id)
    assert job.state == JobState.FAILED
    assert job.error.startswith("adherents.csv : ") and "aucun adhérent n'a été importé" in job.error
    assert job.error_details and all(detail.startswith("ligne 3 : ") for detail in job.error_details)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Member)) == 0


def test_member_import_job_run_again_after_a_partial_write_completes_it(database):
    """What a dead worker committed stays; the rerun creates only the rest."""
    bureau = isere()
    rows = [HEADER] + [f"{i};P{i};N{i};p{i}@exemple.fr;Vienne;38" for i in range(1, 21)]
    first_half = start_member_import(bureau, "moitie.csv", "\n".join(rows[:11]).encode(), create_sections=True)
    db.session.commit()
    assert reload(first_half.id).result["created"] == 10
    job = start_member_import(bureau, "complet.csv", "\n".join(rows).encode(), create_sections=True)
    db.session.commit()
    job = reload(job.id)
    assert (job.result["created"], job.result["unchanged"]) == (10, 10)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Member)) == 20


def test_a_database_outage_puts_the_job_back_in_the_queue_for_a_retry(database, fake_handler):
    from sqlalchemy.exc import OperationalError

    def handler(job, progress):
        progress(40, "À mi-chemin")
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    fake_handler(handler)
    job = queued_job()
    with pytest.raises(OperationalError):
        runner.run(job.id)  # raised so that Celery retries the task (autoretry_for)
    job = reload(job.id)
    assert job.state == JobState.QUEUED and job.attempts == 1
    fake_handler(lambda job, progress: {"lines": ["Repris."]})
    assert runner.run(job.id) == "succeeded" and reload(job.id).attempts == 2
