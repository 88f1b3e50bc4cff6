"""Scheduled work: occurrences fire once (even when two sessions race), phase starts and event
reminders are announced once, a beat that was down catches up once, a broken job stops nothing."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from convention.calendar.models import EventRegistration, RegistrationStatus
from convention.core.audit import AuditEntry
from convention.domain.phases import PhaseKind
from convention.extensions import db
from convention.notifications.models import Notification, NotificationKind
from convention.scheduling import due
from convention.scheduling.models import ScheduledOccurrence
from convention.scheduling.operations import claim_occurrence
from convention.scheduling.tick import DUE_WORK, run_tick
from convention.workers_app import BEAT_SCHEDULE
from tests.auth_fixtures import make_convention, make_user
from tests.integration.test_calendar_operations import make_event, make_world, paris


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def notifications(kind: NotificationKind) -> list[Notification]:
    db.session.expire_all()
    return db.session.scalars(
        sa.select(Notification).where(Notification.kind == kind).order_by(Notification.user_id, Notification.id)
    ).all()


def is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


# --- claiming an occurrence ------------------------------------------------------------------


def test_an_occurrence_is_claimed_once_and_rolls_back_with_its_work(database):
    assert claim_occurrence("essai", "1") is True
    assert claim_occurrence("essai", "1") is False  # only the savepoint was rolled back
    assert claim_occurrence("essai", "2") is True
    assert claim_occurrence("autre", "1") is True
    db.session.rollback()  # the unit of work failed: its claims go with it
    assert count(ScheduledOccurrence) == 0

    assert claim_occurrence("essai", "1") is True
    db.session.commit()
    assert claim_occurrence("essai", "1") is False
    db.session.commit()
    assert count(ScheduledOccurrence) == 1


def _claim_in_another_session(engine, result: dict) -> None:
    with Session(engine) as session:
        result["claimed"] = claim_occurrence("course", "k", session=session)
        session.commit()


@pytest.mark.parametrize("first_commits", [True, False], ids=["first-commits", "first-rolls-back"])
def test_two_sessions_racing_for_an_occurrence(database, first_commits):
    """Two connections: the second waits for the first transaction, and wins only if it fails."""
    assert claim_occurrence("course", "k") is True  # not committed yet
    result: dict = {}
    thread = threading.Thread(target=_claim_in_another_session, args=(db.engine, result))
    thread.start()
    thread.join(0.5)
    # The second insert waits on the first transaction's lock (row lock on PostgreSQL,
    # database lock on SQLite): it cannot decide before the first one ends.
    assert thread.is_alive() and result == {}
    if first_commits:
        db.session.commit()
    else:
        db.session.rollback()
    thread.join(10)
    assert not thread.is_alive()
    assert result == {"claimed": not first_commits}
    db.session.expire_all()
    assert count(ScheduledOccurrence, ScheduledOccurrence.name == "course") == 1


# --- the tick and phase transitions ----------------------------------------------------------


def at_paris(day: dt.date, hour: int = 10) -> dt.datetime:
    return paris(day.year, day.month, day.day, hour)


@pytest.fixture()
def members(database):
    """A convention with its seven dated phases, three enabled accounts and a disabled one."""
    convention = make_convention()
    users = [make_user(f"membre{i}@example.org") for i in range(3)]
    disabled = make_user("ancien@example.org")
    disabled.is_enabled = False
    db.session.commit()
    return convention, users


def phase_notifications() -> list[Notification]:
    return notifications(NotificationKind.PHASE)


def test_the_beat_runs_the_tick_every_minute(app):
    entry = next(e for e in BEAT_SCHEDULE.values() if e["task"] == "convention.scheduling.tick")
    assert str(entry["schedule"]._orig_minute) == "*"
    assert "convention.scheduling.tick" in app.extensions["celery"].tasks
    assert [name for name, _ in DUE_WORK][:2] == ["phases", "event_reminders"]


def test_the_current_phase_is_announced_once(members):
    convention, users = members
    now = at_paris(dt.date(2026, 5, 3))  # amendments (1–31 May)

    summary = run_tick(now)

    assert summary["failed"] == []
    assert summary["results"]["phases"] == {"phases": 1, "notifications": 3}
    sent = phase_notifications()
    assert [n.user_id for n in sent] == [u.id for u in users]  # enabled accounts only
    assert {n.subject for n in sent} == {"La convention entre dans l'étape « Amendements »"}
    assert "du 1er mai 2026 au 31 mai 2026" in sent[0].body and sent[0].url == "/"
    started = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "phase.started")).all()
    assert len(started) == 1 and started[0].data["kind"] == "amendments"

    # The next ticks (the same minute, the next day) fire nothing.
    assert run_tick(now)["results"]["phases"] == {"phases": 0, "notifications": 0}
    assert run_tick(now + dt.timedelta(days=1))["results"]["phases"]["phases"] == 0
    assert len(phase_notifications()) == 3


def test_a_fresh_install_announces_only_the_current_phase(members):
    """Working groups and contributions ended before the first tick ever: no burst of old news."""
    run_tick(at_paris(dt.date(2026, 5, 3)))
    assert {n.subject for n in phase_notifications()} == {"La convention entre dans l'étape « Amendements »"}
    assert count(ScheduledOccurrence) == 1


def test_nothing_before_the_first_phase(members):
    assert run_tick(at_paris(dt.date(2026, 1, 9)))["results"]["phases"]["phases"] == 0
    assert phase_notifications() == []
    # The first phase starts at local midnight in Paris (23:30 UTC the day before).
    night = dt.datetime(2026, 1, 9, 23, 30, tzinfo=dt.UTC)
    assert run_tick(night)["results"]["phases"]["phases"] == 1
    assert "« Groupes de travail »" in phase_notifications()[0].subject


def test_each_phase_is_announced_when_it_starts_and_a_beat_outage_catches_up_once(members):
    run_tick(at_paris(dt.date(2026, 5, 3)))
    # The beat was down from 3 May to 11 June: the Bureau national's day (2 June) and the
    # start of the vote (10 June) passed. One catch-up, for the phase in force.
    summary = run_tick(at_paris(dt.date(2026, 6, 11)))
    assert summary["results"]["phases"]["phases"] == 1
    subjects = [n.subject for n in phase_notifications() if n.user_id == members[1][0].id]
    assert subjects == [
        "La convention entre dans l'étape « Amendements »",
        "La convention entre dans l'étape « Vote militant »",
    ]


def test_a_phase_moved_later_is_announced_again_at_its_new_date(members):
    convention, users = members
    run_tick(at_paris(dt.date(2026, 5, 3)))  # amendments
    run_tick(at_paris(dt.date(2026, 6, 2)))  # the Bureau national's day, as first planned
    assert len(phase_notifications()) == 6

    national_bureau = convention.phase(PhaseKind.NATIONAL_BUREAU)
    national_bureau.starts_on = national_bureau.ends_on = dt.date(2026, 6, 5)
    db.session.commit()

    assert run_tick(at_paris(dt.date(2026, 6, 3)))["results"]["phases"]["phases"] == 0  # amendments again
    summary = run_tick(at_paris(dt.date(2026, 6, 5)))
    assert summary["results"]["phases"]["phases"] == 1
    sent = phase_notifications()
    assert len(sent) == 9 and "le 5 juin 2026" in sent[-1].body
    assert run_tick(at_paris(dt.date(2026, 6, 5), 15))["results"]["phases"]["phases"] == 0


def test_a_forced_phase_is_announced_only_once_its_date_has_come(members):
    convention, _ = members
    convention.phase_override = PhaseKind.MEMBERS_VOTE  # forced ahead of its dates (10 June)
    db.session.commit()
    assert run_tick(at_paris(dt.date(2026, 5, 3)))["results"]["phases"]["phases"] == 0
    assert run_tick(at_paris(dt.date(2026, 6, 10)))["results"]["phases"]["phases"] == 1


def test_a_failing_job_does_not_block_the_others(members):
    def broken(now):
        claim_occurrence("casse", "1")  # its writes are rolled back with it
        raise RuntimeError("panne voulue")

    work = [("broken", broken), ("phases", due.run_due_phases), ("broken_again", "no.such.module:fn")]
    summary = run_tick(at_paris(dt.date(2026, 5, 3)), work=work)

    assert summary["failed"] == ["broken", "broken_again"]
    assert summary["results"]["broken"] == {"error": "RuntimeError: panne voulue"}
    assert summary["results"]["phases"]["phases"] == 1
    assert len(phase_notifications()) == 3
    assert count(ScheduledOccurrence, ScheduledOccurrence.name == "casse") == 0


def test_the_celery_task_ticks_now(app, members):
    """Eager mode: the task runs the tick in its own app context, for today's phase."""
    convention, _ = members
    today = dt.datetime.now(due.PARIS).date()
    current = convention.current_phase(today)
    current.starts_on = today - dt.timedelta(days=1)  # it began yesterday: announced
    db.session.commit()
    task = app.extensions["celery"].tasks["convention.scheduling.tick"]
    first = task.delay().get(timeout=5)
    second = task.delay().get(timeout=5)
    assert first["failed"] == [] and first["results"]["phases"]["phases"] == 1
    assert second["results"]["phases"]["phases"] == 0
    assert {n.subject for n in phase_notifications()} == {f"La convention entre dans l'étape « {current.label} »"}


def test_a_phase_begun_long_ago_is_recorded_without_being_announced(members):
    """A fresh install (or a beat down for weeks) does not announce today a step begun long ago."""
    convention, _ = members
    today = dt.date(2026, 7, 1)  # « Texte adopté » began on 21 June
    now = dt.datetime.combine(today, dt.time(9, 0), due.PARIS)
    assert due.run_due_phases(now)["phases"] == 0
    db.session.commit()
    assert phase_notifications() == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ScheduledOccurrence)) == 1
    assert due.run_due_phases(now + dt.timedelta(days=1))["phases"] == 0  # recorded: not looked at again
    # Three days after its start it would still have been announced (a beat outage over a weekend).
    convention.current_phase(today).starts_on = today - due.PHASE_CATCH_UP
    db.session.commit()
    assert due.run_due_phases(now)["phases"] == 1


# --- event reminders -------------------------------------------------------------------------


def register(event, user, status: RegistrationStatus) -> None:
    db.session.add(EventRegistration(event_id=event.id, user_id=user.id, status=status))
    db.session.flush()


@pytest.fixture()
def world(database):
    world = make_world()
    event = make_event(world, title="Audition du procureur", starts_dt=paris(2026, 4, 10, 18, 30))
    register(event, world.users["militant"], RegistrationStatus.REGISTERED)
    register(event, world.users["pilot"], RegistrationStatus.REGISTERED)
    register(event, world.users["committee"], RegistrationStatus.WAITING)
    register(event, world.users["secretary"], RegistrationStatus.CANCELLED)
    world.users["pilot"].is_enabled = False
    db.session.commit()
    world.event = event
    return world


def reminders() -> list[Notification]:
    return notifications(NotificationKind.EVENT_REMINDER)


def test_an_event_is_reminded_once_to_the_registered_only(world):
    too_early = paris(2026, 4, 9, 18, 0)  # 24 h 30 before
    assert run_tick(too_early)["results"]["event_reminders"] == {"events": 0, "notifications": 0}

    now = paris(2026, 4, 9, 19, 0)
    assert run_tick(now)["results"]["event_reminders"] == {"events": 1, "notifications": 1}
    sent = reminders()
    assert [n.user_id for n in sent] == [world.users["militant"].id]  # not the waiting list
    assert sent[0].subject == "Rappel : « Audition du procureur » demain à 18:30"
    assert "10 rue de Solférino, Paris" in sent[0].body and "10 avril 2026 à 18:30" in sent[0].body
    assert sent[0].url == f"/calendrier/{world.event.id}"

    for later in (now, now + dt.timedelta(minutes=1), paris(2026, 4, 10, 18, 0)):
        assert run_tick(later)["results"]["event_reminders"]["events"] == 0
    assert len(reminders()) == 1


def test_a_rescheduled_event_is_reminded_again(world):
    run_tick(paris(2026, 4, 9, 19, 0))
    event = world.event
    event.starts_dt = paris(2026, 4, 11, 9, 0)
    event.online_url = "https://visio.example.org/salle"
    db.session.commit()

    assert run_tick(paris(2026, 4, 10, 8, 0))["results"]["event_reminders"]["events"] == 0  # 25 h before
    assert run_tick(paris(2026, 4, 10, 9, 0))["results"]["event_reminders"]["events"] == 1
    sent = reminders()
    assert len(sent) == 2 and sent[1].subject == "Rappel : « Audition du procureur » demain à 09:00"
    assert "En ligne : https://visio.example.org/salle" in sent[1].body


def test_a_started_event_is_not_reminded_and_a_late_one_says_today(world):
    # The beat was down until after the start: no reminder any more.
    assert run_tick(paris(2026, 4, 10, 18, 45))["results"]["event_reminders"]["events"] == 0
    # An event scheduled the same morning is reminded at once, for « aujourd'hui ».
    late = make_event(world, title="Réunion imprévue", starts_dt=paris(2026, 4, 10, 20, 0))
    register(late, world.users["militant"], RegistrationStatus.REGISTERED)
    db.session.commit()
    assert run_tick(paris(2026, 4, 10, 18, 45))["results"]["event_reminders"]["events"] == 1
    assert [n.subject for n in reminders()] == ["Rappel : « Réunion imprévue » aujourd'hui à 20:00"]


def test_a_draft_is_announced_to_nobody_and_a_second_convention_links_to_its_own_pages(members):
    """A convention in the Bureau national's set-up stays secret; another one links under its slug."""
    convention, users = members
    convention.is_featured = True
    other = make_convention(slug="logement")
    other.published_dt = None  # a draft
    db.session.commit()
    now = at_paris(dt.date(2026, 5, 3))
    assert run_tick(now)["results"]["phases"] == {"phases": 1, "notifications": 3}
    assert {n.url for n in phase_notifications()} == {"/"}

    other.published_dt = dt.datetime(2026, 5, 3, 9, tzinfo=dt.UTC)
    db.session.commit()
    assert run_tick(now + dt.timedelta(hours=1))["results"]["phases"] == {"phases": 1, "notifications": 3}
    assert {n.url for n in phase_notifications()} == {"/", "/c/logement/"}
