"""The in-app notification centre: unread count, list, mark as read, no access to others'."""

import pytest
import sqlalchemy as sa

from convention.core.security import hash_password
from convention.members.models import User
from convention.notifications.models import Notification, NotificationKind
from convention.notifications.operations import notify

PASSWORD = "correct horse battery staple"


@pytest.fixture()
def users(database):
    digest = hash_password(PASSWORD)
    alice = User(email="alice@exemple.fr", display_name="Alice", password_hash=digest)
    bob = User(email="bob@exemple.fr", display_name="Bob", password_hash=digest)
    database.session.add_all([alice, bob])
    database.session.flush()
    notify(alice, NotificationKind.CONTRIBUTION_DECISION, "Contribution intégrée", url="/contributions/")
    notify(alice, NotificationKind.TEXT_VERSION, "Nouvelle version du texte")
    notify(bob, NotificationKind.ACCOUNT, "Pour Bob seulement")
    database.session.commit()
    return alice, bob


def login(client, email):
    response = client.post("/compte/connexion", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302


def test_unread_count_in_navigation_and_list(client, users):
    login(client, "alice@exemple.fr")
    html = client.get("/notifications/").get_data(as_text=True)
    assert "Contribution intégrée" in html and "Nouvelle version du texte" in html
    assert "Pour Bob seulement" not in html
    assert '2<span class="visually-hidden"> non lues' in html


def test_opening_marks_read_and_redirects(client, users, database):
    alice, _ = users
    login(client, "alice@exemple.fr")
    notification = database.session.scalar(
        sa.select(Notification).filter_by(user_id=alice.id, subject="Contribution intégrée")
    )
    response = client.post(f"/notifications/{notification.id}/lue")
    assert response.status_code == 302 and response.headers["Location"] == "/contributions/"
    database.session.expire_all()
    assert database.session.get(Notification, notification.id).is_read
    html = client.get("/notifications/").get_data(as_text=True)
    assert '1<span class="visually-hidden"> non lues' in html


def test_mark_all_read(client, users, database):
    alice, bob = users
    login(client, "alice@exemple.fr")
    client.post("/notifications/tout-lu")
    database.session.expire_all()
    unread = database.session.scalars(
        sa.select(Notification).where(Notification.read_dt.is_(None))
    ).all()
    assert [n.user_id for n in unread] == [bob.id]


def test_someone_elses_notification_is_404(client, users, database):
    _, bob = users
    login(client, "alice@exemple.fr")
    theirs = database.session.scalar(sa.select(Notification).filter_by(user_id=bob.id))
    assert client.post(f"/notifications/{theirs.id}/lue").status_code == 404
    database.session.expire_all()
    assert not database.session.get(Notification, theirs.id).is_read


def test_anonymous_is_sent_to_login(client, database):
    response = client.get("/notifications/")
    assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"]
