"""Following a working group: the buttons, CSRF, the list on the preferences page, and the
notification of its new events (to its followers only, once each, never to the author)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from convention.calendar import operations as calendar_operations
from convention.core.audit import AuditEntry
from convention.core.permissions import PermissionDenied
from convention.extensions import db, limiter
from convention.groups import operations
from convention.groups.models import GroupFollow
from convention.notifications.models import Notification, NotificationKind
from tests.auth_fixtures import login, make_user, page_text, switch_user
from tests.functional.test_calendar_permissions import form_data
from tests.integration.test_calendar_operations import event_data, make_world, paris


@pytest.fixture(autouse=True)
def _no_login_rate_limit():
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture()
def world(database):
    world = make_world()
    db.session.commit()
    return world


def follows(user) -> list[int]:
    db.session.expire_all()
    return sorted(
        db.session.scalars(sa.select(GroupFollow.working_group_id).where(GroupFollow.user_id == user.id))
    )


def actions(action: str) -> list[AuditEntry]:
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)).all()


def group_events() -> list[Notification]:
    db.session.expire_all()
    return db.session.scalars(
        sa.select(Notification).where(Notification.kind == NotificationKind.GROUP_EVENT).order_by(Notification.user_id)
    ).all()


def test_follow_and_unfollow_from_the_group_page_and_the_preferences(client, world):
    militant = world.users["militant"]
    login(client, militant.email)
    page = page_text(client.get("/groupes/1"))
    assert 'action="/groupes/1/suivre"' in page and "Suivre ce groupe" in page

    response = client.post("/groupes/1/suivre", follow_redirects=True)
    page = page_text(response)
    assert response.request.path == "/groupes/1"
    assert "Vous suivez le groupe 1" in page and 'action="/groupes/1/ne-plus-suivre"' in page
    assert follows(militant) == [world.group1.id]
    assert client.post("/groupes/1/suivre").status_code == 302  # twice: still one follow
    assert follows(militant) == [world.group1.id]
    assert len(actions("group.follow")) == 1
    client.post("/groupes/2/suivre")

    preferences = page_text(client.get("/notifications/preferences"))
    assert "Groupes de travail suivis" in preferences
    assert "Groupe 1 — Groupe 1" in preferences and "Groupe 2 — Groupe 2" in preferences
    assert preferences.count('action="/groupes/') == 2

    response = client.post(
        "/groupes/2/ne-plus-suivre", data={"next": "/notifications/preferences"}, follow_redirects=True
    )
    assert response.request.path == "/notifications/preferences"
    assert "Vous ne suivez plus le groupe 2." in page_text(response)
    assert follows(militant) == [world.group1.id]
    entry = actions("group.unfollow")[0]
    assert (entry.actor_id, entry.object_id) == (militant.id, world.group2.id)

    # Only a path on this site is followed after the POST.
    for target in ("/\t/evil.example.org/x", "/\n/evil.example.org/x", "https://evil.example.org/"):
        response = client.post("/groupes/1/suivre", data={"next": target})
        assert response.status_code == 302 and response.headers["Location"] == "/groupes/1"
    response = client.post("/groupes/1/ne-plus-suivre", data={"next": "//evil.example.org/"})
    assert response.headers["Location"] == "/groupes/1"
    assert follows(militant) == []
    assert "Vous ne suivez aucun groupe de travail." in page_text(client.get("/notifications/preferences"))


def test_following_needs_an_account(client, world):
    page = page_text(client.get("/groupes/1"))
    assert "Suivre ce groupe" not in page and "Connectez-vous pour suivre ce groupe" in page
    response = client.post("/groupes/1/suivre")
    assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GroupFollow)) == 0
    assert client.post("/groupes/99/suivre").status_code == 302  # login first, 404 after
    login(client, world.users["militant"].email)
    assert client.post("/groupes/99/suivre").status_code == 404


def test_follow_and_unfollow_are_csrf_protected(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    militant = world.users["militant"]
    login_page = page_text(client.get("/compte/connexion"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    assert login(client, militant.email, csrf_token=token).status_code == 302

    assert client.post("/groupes/1/suivre").status_code == 400  # a forged POST
    assert follows(militant) == []

    page = page_text(client.get("/groupes/1"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/groupes/1/suivre", data={"csrf_token": token}).status_code == 302
    assert follows(militant) == [world.group1.id]

    assert client.post("/groupes/1/ne-plus-suivre").status_code == 400
    assert follows(militant) == [world.group1.id]
    preferences = page_text(client.get("/notifications/preferences"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', preferences).group(1)
    response = client.post(
        "/groupes/1/ne-plus-suivre", data={"csrf_token": token, "next": "/notifications/preferences"}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/notifications/preferences"
    assert follows(militant) == []


def test_a_new_event_is_notified_to_the_followers_of_its_groups_once(world):
    users = world.users
    one_group = make_user("suit-groupe1@example.org")
    both_groups = make_user("suit-les-deux@example.org")
    other_group = make_user("suit-groupe2@example.org")
    disabled = make_user("desactive@example.org")
    make_user("ne-suit-rien@example.org")
    for user, groups in (
        (one_group, [world.group1]),
        (both_groups, [world.group1, world.group2]),
        (other_group, [world.group2]),
        (disabled, [world.group1]),
        (users["committee"], [world.group1]),  # the author
    ):
        for group in groups:
            operations.follow_group(user, group)
    disabled.is_enabled = False
    db.session.commit()

    event = calendar_operations.create_event(
        users["committee"],
        world.convention,
        event_data(world, starts_dt=paris(2030, 4, 2, 18), ends_dt=paris(2030, 4, 2, 20),
                   working_group_ids=[world.group1.id]),
    )  # fmt: skip
    db.session.commit()
    sent = group_events()
    assert [n.user_id for n in sent] == sorted([one_group.id, both_groups.id])
    assert sent[0].subject == "Nouveau rendez-vous : « Audition sur la police de proximité » le 2 avril 2030 à 18:00"
    assert "groupe 1 « Groupe 1 »" in sent[0].body and "Lieu : Solférino" in sent[0].body
    assert sent[0].url == f"/calendrier/{event.id}"

    # Published in group 2 as well: only the followers of group 2 who were not told yet.
    data = event_data(world, starts_dt=paris(2030, 4, 2, 18), ends_dt=paris(2030, 4, 2, 20),
                      working_group_ids=[world.group1.id, world.group2.id])  # fmt: skip
    calendar_operations.update_event(users["committee"], event, data)
    db.session.commit()
    assert sorted(n.user_id for n in group_events()) == sorted([one_group.id, both_groups.id, other_group.id])

    # An edit that adds no group notifies nobody; an event in both groups, once per follower.
    calendar_operations.update_event(users["committee"], event, data)
    calendar_operations.create_event(
        users["committee"],
        world.convention,
        event_data(world, title="Réunion commune", starts_dt=paris(2030, 5, 2, 18), ends_dt=paris(2030, 5, 2, 20),
                   working_group_ids=[world.group1.id, world.group2.id]),
    )  # fmt: skip
    db.session.commit()
    common = [n.user_id for n in group_events() if "Réunion commune" in n.subject]
    assert common == sorted([one_group.id, both_groups.id, other_group.id])


def test_a_past_event_is_not_announced(world):
    follower = make_user("suiveur@example.org")
    operations.follow_group(follower, world.group1)
    calendar_operations.create_event(
        world.users["committee"], world.convention, event_data(world, starts_dt=paris(2025, 4, 2, 18),
                                                               ends_dt=paris(2025, 4, 2, 20)),
    )  # fmt: skip
    db.session.commit()
    assert group_events() == []


def test_an_event_created_from_the_form_notifies_the_followers(client, world):
    follower = world.users["militant"]
    login(client, follower.email)
    assert client.post("/groupes/1/suivre").status_code == 302
    switch_user(client, world.users["pilot"].email)
    assert client.post("/calendrier/nouveau", data=form_data(world)).status_code == 302
    sent = group_events()
    assert [n.user_id for n in sent] == [follower.id]
    switch_user(client, follower.email)
    assert "Audition créée par le formulaire" in page_text(client.get("/notifications/"))


def test_following_needs_a_signed_in_actor(world):
    from flask_login import AnonymousUserMixin

    with pytest.raises(PermissionDenied):
        operations.follow_group(AnonymousUserMixin(), world.group1)
    assert operations.unfollow_group(world.users["militant"], world.group1) is False
