"""« Préférences de notification »: reachable from the notification centre, one choice per kind."""

import sqlalchemy as sa

from convention.core.audit import AuditEntry
from convention.core.security import hash_password
from convention.members.models import User
from convention.notifications.models import (
    EmailStatus,
    Notification,
    NotificationFrequency,
    NotificationKind,
    NotificationPreference,
)
from convention.notifications.operations import notify

PASSWORD = "correct horse battery staple"


def test_preferences_page_sets_frequencies(client, database):
    alice = User(email="alice@exemple.fr", display_name="Alice", password_hash=hash_password(PASSWORD))
    database.session.add(alice)
    database.session.commit()
    assert client.post("/compte/connexion", data={"email": alice.email, "password": PASSWORD}).status_code == 302

    index = client.get("/notifications/").get_data(as_text=True)
    assert 'href="/notifications/preferences"' in index and "Préférences de notification" in index
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert "Décision sur une contribution" in page and "Dans un résumé quotidien" in page
    assert 'selected value="immediately"' in page  # the default

    data = {f"kind_{kind.value}": "immediately" for kind in NotificationKind}
    data["kind_text_version"] = "daily"
    data["kind_poll"] = "never"
    response = client.post("/notifications/preferences", data=data, follow_redirects=True)
    assert "Vos préférences de notification sont enregistrées." in response.get_data(as_text=True)

    database.session.expire_all()
    prefs = dict(
        database.session.execute(
            sa.select(NotificationPreference.kind, NotificationPreference.frequency).filter_by(user_id=alice.id)
        ).all()
    )
    assert prefs == {
        NotificationKind.TEXT_VERSION: NotificationFrequency.DAILY,
        NotificationKind.POLL: NotificationFrequency.NEVER,
    }
    assert database.session.scalar(sa.select(AuditEntry.action).filter_by(action="notification.preferences"))
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert 'selected value="daily"' in page and 'selected value="never"' in page

    # "never" means the centre only; "daily" waits for the digest.
    alice = database.session.get(User, alice.id)
    never = notify(alice, NotificationKind.POLL, "Le scrutin est ouvert").id
    daily = notify(alice, NotificationKind.TEXT_VERSION, "Version 3").id
    database.session.commit()
    database.session.expire_all()
    assert database.session.get(Notification, never).email_status == EmailStatus.SKIPPED
    assert database.session.get(Notification, daily).email_status == EmailStatus.PENDING


def test_an_invalid_choice_is_refused(client, database):
    alice = User(email="alice@exemple.fr", display_name="Alice", password_hash=hash_password(PASSWORD))
    database.session.add(alice)
    database.session.commit()
    client.post("/compte/connexion", data={"email": alice.email, "password": PASSWORD})
    data = {f"kind_{kind.value}": "immediately" for kind in NotificationKind}
    data["kind_poll"] = "toujours"
    response = client.post("/notifications/preferences", data=data)
    assert response.status_code == 200 and "Le formulaire contient des erreurs" in response.get_data(as_text=True)
    assert database.session.scalar(sa.select(sa.func.count()).select_from(NotificationPreference)) == 0


def test_preferences_need_login(client, database):
    response = client.get("/notifications/preferences")
    assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"]
