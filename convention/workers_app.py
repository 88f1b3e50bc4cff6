"""Celery bound to the Flask app: every task runs inside the application context."""

from __future__ import annotations

from celery import Celery, Task
from celery.schedules import crontab
from flask import Flask

# Beat (one ``celery -A workers beat`` process), times in Europe/Paris.
BEAT_SCHEDULE = {
    # Safety net of the notification outbox: what a lost dispatch or a failed send left pending.
    "deliver-pending-notifications": {
        "task": "convention.notifications.deliver_pending_notifications",
        "schedule": crontab(minute="*"),
    },
    # Jobs whose task was lost (broker down at commit) or whose worker died: every JOB_SWEEP_SECONDS
    # (15 s by default, set in init_celery), so that a dead worker's tally resumes within a minute.
    "resume-stalled-jobs": {
        "task": "convention.jobs.resume_stalled_jobs",
        "schedule": 15.0,
        # A sweep left in the queue while the workers were busy or down is dropped: the next one comes soon.
        "options": {"expires": 14},
    },
    # Phase transitions, event reminders…: each occurrence fires once (convention.scheduling).
    "scheduling-tick": {
        "task": "convention.scheduling.tick",
        "schedule": crontab(minute="*"),
        # A tick left in the queue while the workers were down is dropped: the next one catches up.
        "options": {"expires": 55},
    },
    "send-daily-digests": {
        "task": "convention.notifications.send_daily_digests",
        "schedule": crontab(hour=18, minute=0),
    },
}


def _beat_schedule(app: Flask) -> dict:
    """``BEAT_SCHEDULE`` with the job sweep's period taken from ``JOB_SWEEP_SECONDS``."""
    schedule = {name: dict(entry) for name, entry in BEAT_SCHEDULE.items()}
    period = float(app.config.get("JOB_SWEEP_SECONDS", 15))
    sweep = schedule["resume-stalled-jobs"]
    sweep["schedule"] = period
    sweep["options"] = {"expires": max(1.0, period - 1)}
    return schedule


def init_celery(app: Flask) -> Celery:
    """Create the Celery app from the Flask config and store it in ``app.extensions``."""

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    broker = app.config["CELERY_BROKER_URL"] or "memory://"
    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.conf.update(
        broker_url=broker,
        result_backend=app.config["CELERY_RESULT_BACKEND"] or None,
        task_always_eager=app.config["CELERY_TASK_ALWAYS_EAGER"],
        task_eager_propagates=True,
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        timezone="Europe/Paris",
        enable_utc=True,
        broker_connection_retry_on_startup=True,
        beat_schedule=_beat_schedule(app),
        task_default_queue=app.config["CELERY_TASK_DEFAULT_QUEUE"],
        # Redis gives an unacknowledged task (its worker died) to another worker after this delay.
        broker_transport_options={"visibility_timeout": app.config["CELERY_VISIBILITY_TIMEOUT"]},
    )
    # Register the tasks (``shared_task``) on this app.
    import convention.auth.tasks  # noqa: F401
    import convention.jobs.tasks  # noqa: F401
    import convention.notifications.tasks  # noqa: F401
    import convention.scheduling.tasks  # noqa: F401
    import convention.votes.ballotbox  # noqa: F401  (compacting the ballot box after a close)

    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app
