"""The beat's tick (every minute): phase transitions, event reminders and the other due work."""

from __future__ import annotations

from celery import shared_task

from convention.scheduling.tick import run_tick

TICK_TASK = "convention.scheduling.tick"


@shared_task(name=TICK_TASK, bind=True, acks_late=True)
def tick(self) -> dict:
    """Fire what is due now; occurrences already fired (by this beat or another) are skipped."""
    return run_tick()
