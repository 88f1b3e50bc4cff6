"""Calendar feed and unsubscribe tokens are stored hashed; unsubscribe links expire and do one thing (issue 9)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from convention.calendar import operations as calendar_operations
from convention.calendar import queries as calendar_queries
from convention.calendar.models import CalendarFeedToken
from convention.core.db import utcnow
from convention.extensions import db
from convention.notifications import delivery
from convention.notifications.models import NotificationKind, NotificationPreference, UnsubscribeToken
from tests.auth_fixtures import make_federation, make_member, make_section, make_user, page_text


def _user():
    member = make_member(make_section(make_federation()), "Alice", "Martin", email="alice@exemple.fr")
    return make_user(member=member)


def _stored_values(table) -> list[str]:
    return [str(v) for row in db.session.execute(sa.select(table)).all() for v in row]


def test_the_feed_secret_is_not_in_the_database(database):
    user = _user()
    secret = calendar_operations.regenerate_feed_token(user).plain_secret
    db.session.commit()
    db.session.expire_all()
    assert not any(secret in value for value in _stored_values(CalendarFeedToken.__table__))
    assert calendar_queries.find_feed_token(secret).user_id == user.id
    assert calendar_queries.find_feed_token(CalendarFeedToken.hash(secret)) is None  # the hash opens nothing


def test_the_unsubscribe_secret_is_hashed_and_expires_after_a_year(database, app, client):
    user = _user()
    now = utcnow()
    secret = delivery.unsubscribe_token(user.id, [NotificationKind.POLL], now=now)
    db.session.commit()
    assert not any(secret in value for value in _stored_values(UnsubscribeToken.__table__))
    assert delivery.read_unsubscribe_token(secret, now=now + dt.timedelta(days=364)) == (
        user.id, [NotificationKind.POLL],
    )  # fmt: skip
    assert delivery.read_unsubscribe_token(secret, now=now + dt.timedelta(days=366)) is None

    row = db.session.scalars(sa.select(UnsubscribeToken)).one()
    row.expires_dt = now - dt.timedelta(seconds=1)
    db.session.commit()
    page = client.get(f"/notifications/desabonnement/{secret}")
    assert page.status_code == 404 and "plus valable" in page_text(page)
    assert client.post(f"/notifications/desabonnement/{secret}").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NotificationPreference)) == 0
    assert delivery.purge_expired_unsubscribe_tokens() == 1


def test_an_unsubscribe_link_does_one_thing(database, client):
    user = _user()
    secret = delivery.unsubscribe_token(user.id, [NotificationKind.POLL])
    feed_secret = calendar_operations.regenerate_feed_token(user).plain_secret
    db.session.commit()
    # Another kind of secret does not unsubscribe, and this one opens no feed.
    assert client.post(f"/notifications/desabonnement/{feed_secret}").status_code == 404
    assert client.get(f"/calendrier/flux/{secret}.ics").status_code == 404
    assert client.post(f"/notifications/desabonnement/{secret}").status_code == 200
    db.session.expire_all()
    prefs = db.session.scalars(sa.select(NotificationPreference)).all()
    assert [(p.kind, p.frequency.value) for p in prefs] == [(NotificationKind.POLL, "never")]


def test_the_daily_run_purges_expired_links(database, app):
    user = _user()
    old = utcnow() - dt.timedelta(days=400)
    delivery.unsubscribe_token(user.id, [NotificationKind.POLL], now=old)
    delivery.unsubscribe_token(user.id, [NotificationKind.POLL])
    db.session.commit()
    delivery.queue_daily_digests(app.extensions["celery"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UnsubscribeToken)) == 1
