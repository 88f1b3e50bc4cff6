"""The due-work functions of the tick: each takes ``now`` and fires what is due, once.

Each claims an occurrence (``claim_occurrence``) before acting, in the tick's unit of work:
an occurrence already recorded is skipped, so running them again fires nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from typing import Any

import sqlalchemy as sa

from convention.core.audit import audit
from convention.core.db import db
from convention.core.links import french_date, path_for
from convention.scheduling.operations import claim_occurrence

logger = logging.getLogger(__name__)

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
PHASE_START = "phase-start"
EVENT_REMINDER = "event-reminder"
REMINDER_WINDOW = dt.timedelta(hours=24)
# A phase that started longer ago than this is recorded without being announced: a fresh
# install (or a beat down for weeks) does not tell everyone today of a step begun long ago.
PHASE_CATCH_UP = dt.timedelta(days=3)


def enabled_user_ids() -> list[int]:
    """Every enabled account."""
    from convention.members.models import User

    return list(db.session.scalars(sa.select(User.id).where(User.is_enabled.is_(True))))


def phase_key(phase: Any) -> str:
    return f"{phase.convention_id}:{phase.kind.value}:{phase.starts_on.isoformat()}"


def _phase_dates(phase: Any) -> str:
    if phase.ends_on is None:
        return f"à partir du {french_date(phase.starts_on)}"
    if phase.ends_on == phase.starts_on:
        return f"le {french_date(phase.starts_on)}"
    return f"du {french_date(phase.starts_on)} au {french_date(phase.ends_on)}"


def run_due_phases(now: dt.datetime) -> dict[str, int]:
    """Announce the current phase of each convention once it has started (once per start date).

    Only the phase in force today is looked at: phases that ended before are never announced
    (no burst of old notifications on a fresh install, one catch-up after a beat outage), and
    the current one only if it began in the last ``PHASE_CATCH_UP`` days.
    """
    from convention.conventions.models import Convention
    from convention.notifications.models import NotificationKind
    from convention.notifications.operations import notify_many

    today = now.astimezone(PARIS).date()
    fired = notified = 0
    published = sa.select(Convention).where(Convention.published_dt.is_not(None))
    # A draft (still in the Bureau national's set-up) is announced to nobody; its phases are
    # announced once published, if they began within the catch-up window.
    for convention in db.session.scalars(published.order_by(Convention.id)):
        phase = convention.current_phase(today)
        if phase is None or phase.starts_on > today:
            continue
        if not claim_occurrence(PHASE_START, phase_key(phase), now=now):
            continue
        if phase.starts_on < today - PHASE_CATCH_UP:
            logger.info("phase %s of convention %s started on %s: recorded, not announced",
                        phase.kind.value, convention.id, phase.starts_on)  # fmt: skip
            continue
        dates = _phase_dates(phase)
        audit(
            None,
            "phase.started",
            phase,
            convention_id=convention.id,
            kind=phase.kind,
            starts_on=phase.starts_on,
            ends_on=phase.ends_on,
        )
        body = f"{convention.short_title or convention.title} : l'étape « {phase.label} » se déroule {dates}."
        if phase.description:
            body += f"\n\n{phase.description}"
        notified += notify_many(
            enabled_user_ids(),
            NotificationKind.PHASE,
            f"La convention entre dans l'étape « {phase.label} »",
            body,
            path_for("conventions.home", _convention=convention),
        )
        fired += 1
        logger.info("phase %s of convention %s started (%s)", phase.kind, convention.slug, dates)
    return {"phases": fired, "notifications": notified}


def reminder_key(event: Any) -> str:
    return f"{event.id}:{event.starts_dt.isoformat()}"


def _when(event: Any, now: dt.datetime) -> str:
    """« demain à 18:30 », « aujourd'hui à 9:00 », « demain (toute la journée) »."""
    start = event.local_start
    day = "aujourd'hui" if start.date() == now.astimezone(PARIS).date() else "demain"
    if event.is_all_day:
        return f"{day} (toute la journée)"
    return f"{day} à {start:%H:%M}"


def _reminder_body(event: Any) -> str:
    start = event.local_start
    lines = [f"« {event.title} » a lieu le {french_date(start.date())}"]
    lines[0] += "." if event.is_all_day else f" à {start:%H:%M} (heure de Paris)."
    if event.place:
        lines.append(f"Lieu : {event.place}")
    if event.online_url:
        lines.append(f"En ligne : {event.online_url}")
    lines.append("Si vous ne pouvez plus venir, annulez votre inscription depuis la page du rendez-vous.")
    return "\n".join(lines)


def run_due_event_reminders(now: dt.datetime) -> dict[str, int]:
    """Remind the registered (not the waiting list) of each event starting within 24 hours, once.

    The key holds the start time: a rescheduled event is reminded again for its new time.
    """
    from convention.calendar.models import Event, EventRegistration, RegistrationStatus
    from convention.members.models import User
    from convention.notifications.models import NotificationKind
    from convention.notifications.operations import notify_many

    events = db.session.scalars(
        sa.select(Event)
        .where(Event.starts_dt > now, Event.starts_dt <= now + REMINDER_WINDOW)
        .order_by(Event.starts_dt, Event.id)
    ).all()
    fired = notified = 0
    for event in events:
        if not claim_occurrence(EVENT_REMINDER, reminder_key(event), now=now):
            continue
        user_ids = db.session.scalars(
            sa.select(EventRegistration.user_id)
            .join(User, User.id == EventRegistration.user_id)
            .where(
                EventRegistration.event_id == event.id,
                EventRegistration.status == RegistrationStatus.REGISTERED,
                User.is_enabled.is_(True),
            )
        ).all()
        notified += notify_many(
            user_ids,
            NotificationKind.EVENT_REMINDER,
            f"Rappel : « {event.title} » {_when(event, now)}",
            _reminder_body(event),
            path_for("calendar.event", event_id=event.id),
        )
        fired += 1
    return {"events": fired, "notifications": notified}
