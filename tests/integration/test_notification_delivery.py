"""E-mail delivery of notifications, with a real SMTP server (aiosmtpd) and, under CI, a real worker.

- eager mode (tasks inline, as in development): the notification is mailed after the commit,
  in French, with a List-Unsubscribe header whose link turns the kind off; a rolled-back action
  sends nothing; an SMTP server that is down leaves the notification pending and the beat sweep
  delivers it once the server is back, exactly once; the daily digest groups the day's ones;
- a real Celery worker against Redis (``TEST_REDIS_URL``; fails under CI if Redis is missing):
  the worker delivers; with the broker unreachable the action still commits and the sweep
  delivers once the broker is back, each notification exactly once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.policy
import logging
import socket
import time
import uuid

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from convention import create_app
from convention.core.db import db, utcnow
from convention.members.models import User
from convention.notifications import delivery, operations
from convention.notifications.models import (
    EmailStatus,
    Notification,
    NotificationFrequency,
    NotificationKind,
    NotificationPreference,
)
from convention.notifications.operations import notify
from tests.conftest import empty_tables
from tests.integration.test_services import require_redis

BASE_URL = "http://convention.test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """aiosmtpd handler: keeps every message it receives, parsed."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


class SmtpServer:
    """A real SMTP server on a fixed free port, which a test can stop and start again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        return self.inbox.messages


@pytest.fixture(scope="module")
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def make_app(app, smtp, **overrides):
    """An app on the suite's database whose mails go to the test SMTP server."""
    flask_app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        MAIL_SUPPRESS_SEND=False,
        PUBLIC_BASE_URL=BASE_URL,
        **overrides,
    )
    return flask_app


def dispose(flask_app) -> None:
    """Close the extra app's pooled connections (psycopg warns about connections left open)."""
    with flask_app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def mail_app(app, smtp):
    flask_app = make_app(app, smtp)
    yield flask_app
    dispose(flask_app)
    app.extensions["celery"].set_default()  # create_app made the new Celery app the default


@pytest.fixture()
def ctx(mail_app, smtp):
    """Empty tables and an empty inbox, inside ``mail_app``'s context."""
    smtp.messages.clear()
    if smtp.controller is None:
        smtp.start()
    with mail_app.app_context():
        empty_tables()
        yield mail_app
        empty_tables()


def make_user(email_address="alice@exemple.fr", name="Alice Martin") -> User:
    user = User(email=email_address, display_name=name)
    db.session.add(user)
    db.session.flush()
    return user


def status_of(notification_id: int) -> tuple[EmailStatus, int]:
    db.session.expire_all()
    notification = db.session.get(Notification, notification_id)
    return notification.email_status, notification.attempts


def backdate(notification_id: int, minutes: int = 2) -> None:
    db.session.execute(
        sa.update(Notification)
        .where(Notification.id == notification_id)
        .values(created_dt=utcnow() - dt.timedelta(minutes=minutes))
    )
    db.session.commit()


def decision(user) -> Notification:
    return notify(
        user,
        NotificationKind.CONTRIBUTION_DECISION,
        "Votre contribution « Police de proximité » a été intégrée",
        "Le groupe de travail l'a intégrée au texte.",
        "/contributions/12",
    )


# ---------------------------------------------------------------- eager mode


def test_notification_is_mailed_in_french_with_an_unsubscribe_link(ctx, smtp):
    user = make_user()
    notification_id = decision(user).id
    assert smtp.messages == []  # nothing before the commit
    db.session.commit()

    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["To"] == "alice@exemple.fr"
    assert message["Subject"] == "Convention : Votre contribution « Police de proximité » a été intégrée"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Bonjour Alice Martin" in text and "Le groupe de travail l'a intégrée au texte." in text
    assert f"{BASE_URL}/contributions/12" in text and f'href="{BASE_URL}/contributions/12"' in html
    header = message["List-Unsubscribe"]
    assert header.startswith(f"<{BASE_URL}/notifications/desabonnement/") and header.endswith(">")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = header[1:-1]
    assert link in text and link in html
    assert status_of(notification_id) == (EmailStatus.SENT, 1)

    # Following the link: the page asks first (a link scanner must not unsubscribe anyone)…
    client = ctx.test_client()
    path = link.removeprefix(BASE_URL)
    page = client.get(path)
    assert page.status_code == 200
    assert "Décision sur une contribution" in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(NotificationPreference)) is None
    # …and the button (or a mail client's one-click POST) turns this kind off, without login.
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "vous ne recevrez plus" in done.get_data(as_text=True)
    db.session.expire_all()
    pref = db.session.scalar(sa.select(NotificationPreference))
    assert (pref.user_id, pref.kind, pref.frequency) == (
        user.id,
        NotificationKind.CONTRIBUTION_DECISION,
        NotificationFrequency.NEVER,
    )

    # The next decision is in the notification centre only; another kind is still mailed.
    user = db.session.get(User, user.id)
    skipped = decision(user).id
    notify(user, NotificationKind.TEXT_VERSION, "Nouvelle version du texte")
    db.session.commit()
    assert [m["Subject"] for m in smtp.messages[1:]] == ["Convention : Nouvelle version du texte"]
    assert status_of(skipped) == (EmailStatus.SKIPPED, 0)


def test_a_forged_unsubscribe_token_is_refused(ctx):
    user = make_user()
    db.session.commit()
    token = delivery.unsubscribe_token(user.id, [NotificationKind.POLL])
    assert delivery.read_unsubscribe_token(token) == (user.id, [NotificationKind.POLL])
    client = ctx.test_client()
    for bad in (token[:-2] + "xx", "abc"):
        assert client.post(f"/notifications/desabonnement/{bad}").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NotificationPreference)) == 0


def test_a_rolled_back_action_sends_nothing(ctx, smtp):
    user = make_user()
    db.session.commit()
    decision(db.session.get(User, user.id))
    db.session.rollback()
    db.session.commit()  # a later commit does not resurrect the dropped dispatch
    assert smtp.messages == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


def test_smtp_down_leaves_it_pending_and_the_sweep_delivers_it_once(ctx, smtp, caplog):
    user = make_user()
    db.session.commit()
    smtp.stop()
    caplog.set_level(logging.ERROR, logger="convention.core.after_commit")
    notification_id = decision(db.session.get(User, user.id)).id
    db.session.commit()  # the action commits even though the mail cannot go

    assert db.session.get(Notification, notification_id) is not None
    status, attempts = status_of(notification_id)
    # Inline (eager) mode does not wait for a retry: the sweep is the retry.
    assert status == EmailStatus.PENDING and attempts == 1
    assert "after-commit callback" in caplog.text

    smtp.start()
    sweep = ctx.extensions["celery"].tasks["convention.notifications.deliver_pending_notifications"]
    assert sweep.delay().get() == 0  # younger than a minute: its own dispatch may still be on its way
    assert smtp.messages == []
    backdate(notification_id)
    assert sweep.delay().get() == 1
    assert sweep.delay().get() == 0
    assert len(smtp.messages) == 1 and "Police de proximité" in smtp.messages[0]["Subject"]
    assert status_of(notification_id) == (EmailStatus.SENT, 2)


def test_a_notification_is_claimed_once(ctx, smtp):
    user = make_user()
    notification = Notification(user_id=user.id, kind=NotificationKind.POLL, subject="Scrutin ouvert")
    db.session.add(notification)
    db.session.commit()
    assert operations.claim_for_sending([notification.id]) == [notification.id]
    assert operations.claim_for_sending([notification.id]) == []  # a second worker gets nothing
    db.session.commit()
    assert delivery.deliver(notification.id) == "sending"  # in another worker's hands: not sent here
    operations.release([notification.id])
    db.session.commit()
    assert delivery.deliver(notification.id) == "sent"
    assert delivery.deliver(notification.id) == "sent"  # idempotent
    assert len(smtp.messages) == 1


def test_a_worker_that_died_mid_send_is_replaced_by_the_sweep(ctx, smtp):
    user = make_user()
    notification = Notification(user_id=user.id, kind=NotificationKind.POLL, subject="Scrutin ouvert")
    db.session.add(notification)
    db.session.commit()
    operations.claim_for_sending([notification.id])  # claimed, then the worker vanished
    db.session.commit()
    backdate(notification.id, minutes=30)
    sweep = ctx.extensions["celery"].tasks["convention.notifications.deliver_pending_notifications"]
    assert sweep.delay().get() == 0  # a recent claim is left alone
    db.session.execute(
        sa.update(Notification).values(emailed_dt=utcnow() - delivery.STALE_CLAIM_AGE - dt.timedelta(minutes=1))
    )
    db.session.commit()
    assert sweep.delay().get() == 1
    assert [m["Subject"] for m in smtp.messages] == ["Convention : Scrutin ouvert"]


def test_daily_digest_groups_the_day_and_is_sent_once(ctx, smtp):
    user = make_user()
    other = make_user("bruno@exemple.fr", "Bruno")
    operations.set_preferences(
        user,
        user,
        {
            NotificationKind.TEXT_VERSION: NotificationFrequency.DAILY,
            NotificationKind.GROUP_EVENT: NotificationFrequency.DAILY,
        },
    )
    notify(user, NotificationKind.TEXT_VERSION, "Version 3 du texte")
    notify(user, NotificationKind.GROUP_EVENT, "Réunion du groupe 2 le 4 mars")
    notify(user, NotificationKind.POLL, "Le scrutin est ouvert")
    notify(other, NotificationKind.TEXT_VERSION, "Version 3 du texte")
    db.session.commit()
    assert sorted((m["To"], m["Subject"]) for m in smtp.messages) == [
        ("alice@exemple.fr", "Convention : Le scrutin est ouvert"),
        ("bruno@exemple.fr", "Convention : Version 3 du texte"),
    ]
    smtp.messages.clear()

    digests = ctx.extensions["celery"].tasks["convention.notifications.send_daily_digests"]
    assert digests.delay().get() == 1
    assert digests.delay().get() == 0  # fired twice: nothing sent twice
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["To"] == "alice@exemple.fr"
    assert message["Subject"] == "Convention : votre résumé du jour (2 notifications)"
    text = message.get_body(("plain",)).get_content()
    assert "Version 3 du texte" in text and "Réunion du groupe 2 le 4 mars" in text
    token = message["List-Unsubscribe"].rsplit("/", 1)[1].rstrip(">")
    assert delivery.read_unsubscribe_token(token) == (
        user.id,
        sorted([NotificationKind.TEXT_VERSION, NotificationKind.GROUP_EVENT]),
    )


# ---------------------------------------------------------------- a real worker against Redis


def wait_for(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


@contextlib.contextmanager
def running_worker(app, smtp):
    """A real worker (solo pool, in a thread) of a new app whose broker is the test Redis.

    The app is created last, just before its worker starts: Celery's worker resolves some
    tasks through the *current* Celery app, so no other app may be created while it runs.
    """
    url = require_redis()
    from celery.contrib.testing.worker import start_worker

    flask_app = make_app(app, smtp, CELERY_BROKER_URL=url, CELERY_TASK_ALWAYS_EAGER=False)
    celery_app = flask_app.extensions["celery"]
    # A queue of our own, so that nothing else on this Redis database is consumed.
    celery_app.conf.task_default_queue = f"convention-test-{uuid.uuid4().hex[:8]}"
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=10):
            yield flask_app
    finally:
        celery_app.close()
        dispose(flask_app)
        app.extensions["celery"].set_default()


def count_sent(notification_ids) -> int:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.id.in_(notification_ids), Notification.email_status == EmailStatus.SENT)
    )


def test_a_real_worker_delivers_through_redis(app, smtp):
    smtp.messages.clear()
    with running_worker(app, smtp) as worker_app, worker_app.app_context():
        empty_tables()
        try:
            user = make_user()
            notification_id = decision(user).id
            db.session.commit()
            assert wait_for(lambda: count_sent([notification_id]) == 1)
            assert len(smtp.messages) == 1 and smtp.messages[0]["To"] == "alice@exemple.fr"
        finally:
            empty_tables()


def test_broker_down_then_back_delivers_each_once(app, smtp, caplog):
    require_redis()
    smtp.messages.clear()
    dead = make_app(app, smtp, CELERY_BROKER_URL=f"redis://127.0.0.1:{free_port()}/0", CELERY_TASK_ALWAYS_EAGER=False)
    caplog.set_level(logging.ERROR, logger="convention.core.after_commit")
    try:
        with dead.app_context():
            empty_tables()
            user = make_user()
            ids = [decision(user).id]
            db.session.commit()  # the dispatch fails…
            ids.append(notify(db.session.get(User, user.id), NotificationKind.POLL, "Le scrutin est ouvert").id)
            db.session.commit()
            assert "after-commit callback" in caplog.text  # …logged, not raised
            assert [status_of(i) for i in ids] == [(EmailStatus.PENDING, 0)] * 2  # …and the commits stand
            for notification_id in ids:
                backdate(notification_id)
        dead.extensions["celery"].close()
        assert smtp.messages == []

        # The broker is back: beat's sweep runs on the worker.
        with running_worker(app, smtp) as worker_app, worker_app.app_context():
            sweep = worker_app.extensions["celery"].tasks["convention.notifications.deliver_pending_notifications"]
            sweep.delay()
            assert wait_for(lambda: count_sent(ids) == 2)
            sweep.delay()  # a second sweep finds nothing left to send
            time.sleep(1.0)
            assert sorted(m["Subject"] for m in smtp.messages) == [
                "Convention : Le scrutin est ouvert",
                "Convention : Votre contribution « Police de proximité » a été intégrée",
            ]
    finally:
        dispose(dead)
        with app.app_context():
            empty_tables()
        app.extensions["celery"].set_default()
