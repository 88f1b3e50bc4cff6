"""Calendar operations: creating and editing events, minutes, registrations and the waiting list.

The builders at the top (``CalendarWorld``, ``make_world``, ``make_event``) are shared with the
functional calendar tests.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from convention.calendar import operations
from convention.calendar.models import (
    PARIS,
    CalendarFeedToken,
    Event,
    EventKind,
    EventPerson,
    EventPersonRole,
    EventRegistration,
    RegistrationStatus,
)
from convention.calendar.operations import EventData, PersonData, RegistrationError
from convention.conventions.models import Convention
from convention.core.audit import AuditEntry
from convention.core.permissions import PermissionDenied
from convention.domain.errors import DomainError
from convention.domain.roles import Role
from convention.extensions import db
from convention.groups.models import Person, WorkingGroup
from convention.members.models import Federation, Section, User
from convention.notifications.models import Notification
from tests.auth_fixtures import (
    make_convention,
    make_federation,
    make_group,
    make_member,
    make_section,
    make_user,
)

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=PARIS).astimezone(dt.UTC)


@dataclass
class CalendarWorld:
    convention: Convention
    group1: WorkingGroup
    group2: WorkingGroup
    federation: Federation
    section: Section
    users: dict[str, User]


ROLES = ("militant", "pilot", "other_pilot", "committee", "secretary", "bn")


def make_world() -> CalendarWorld:
    """A convention with two groups and one account per role of the permission matrix."""
    convention = make_convention()
    group1 = make_group(convention, 1)
    group2 = make_group(convention, 2)
    federation = make_federation("38", "Isère")
    section = make_section(federation, "Grenoble")

    def account(key: str, roles=()) -> User:
        member = make_member(section, first_name=key.capitalize(), email=f"{key}@example.org")
        return make_user(member=member, roles=roles)

    users = {
        "militant": account("militant"),
        "pilot": account("pilot", [(Role.PILOT, group1)]),
        "other_pilot": account("other_pilot", [(Role.PILOT, group2)]),
        "committee": account("committee", [(Role.COMMITTEE, convention)]),
        "secretary": account("secretary", [(Role.SECTION_SECRETARY, section)]),
        "bn": account("bn", [(Role.NATIONAL_BUREAU, None)]),
    }
    return CalendarWorld(convention, group1, group2, federation, section, users)


def make_event(
    world: CalendarWorld,
    *,
    kind: EventKind = EventKind.HEARING,
    title: str = "Audition de la Défenseure des droits",
    starts_dt: dt.datetime | None = None,
    ends_dt: dt.datetime | None = None,
    is_all_day: bool = False,
    groups: tuple[WorkingGroup, ...] | None = None,
    capacity: int | None = None,
    federation: Federation | None = None,
    place: str = "10 rue de Solférino, Paris",
    online_url: str = "",
    description: str = "",
) -> Event:
    starts_dt = starts_dt or paris(2026, 4, 10, 18, 30)
    event = Event(
        convention_id=world.convention.id,
        kind=kind,
        title=title,
        description=description,
        starts_dt=starts_dt,
        ends_dt=ends_dt if ends_dt is not None else (None if is_all_day else starts_dt + dt.timedelta(hours=2)),
        is_all_day=is_all_day,
        place=place,
        online_url=online_url,
        capacity=capacity,
        federation_id=federation.id if federation else None,
        federation_name=federation.name if federation else "",
    )
    event.working_groups = list(groups if groups is not None else (world.group1,))
    db.session.add(event)
    db.session.flush()
    if kind == EventKind.HEARING:
        expert = Person(full_name=f"Experte {event.id}", titles="Magistrate", organisation="Cour de cassation")
        db.session.add(expert)
        db.session.flush()
        event.participants.append(EventPerson(person=expert, role=EventPersonRole.EXPERT))
        db.session.flush()
    return event


def event_data(world: CalendarWorld, **changes) -> EventData:
    values = {
        "kind": EventKind.HEARING,
        "title": "Audition sur la police de proximité",
        "starts_dt": paris(2026, 4, 2, 18),
        "ends_dt": paris(2026, 4, 2, 20),
        "place": "Solférino",
        "working_group_ids": [world.group1.id],
        "experts": [PersonData("Jeanne Martin", "Sociologue", "CNRS")],
        "hosts": [PersonData("Karim Benali")],
        "capacity": 30,
    }
    values.update(changes)
    return EventData(**values)


@pytest.fixture()
def world(database) -> CalendarWorld:
    return make_world()


def audits(action: str) -> list[AuditEntry]:
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)).all()


# --- creating and editing ------------------------------------------------------------------


def test_a_pilot_creates_a_hearing_with_a_new_expert(world):
    event = operations.create_event(world.users["pilot"], world.convention, event_data(world))
    assert event.id is not None
    assert [g.number for g in event.working_groups] == [1]
    expert = event.experts[0]
    assert (expert.full_name, expert.titles, expert.organisation) == (
        "Jeanne Martin",
        "Sociologue",
        "CNRS",
    )
    assert [p.full_name for p in event.hosts] == ["Karim Benali"]
    entry = audits("event.create")[0]
    assert entry.actor_id == world.users["pilot"].id and entry.object_id == event.id


def test_an_existing_person_is_reused(world):
    db.session.add(Person(full_name="Jeanne Martin", titles="", organisation=""))
    db.session.flush()
    operations.create_event(world.users["pilot"], world.convention, event_data(world))
    people = db.session.scalars(sa.select(Person).where(Person.full_name == "Jeanne Martin")).all()
    assert len(people) == 1
    assert people[0].organisation == "CNRS"  # empty details are filled in


@pytest.mark.parametrize("role", ["militant", "secretary"])
def test_members_without_a_pilot_role_cannot_create(world, role):
    with pytest.raises(PermissionDenied):
        operations.create_event(world.users[role], world.convention, event_data(world))


def test_a_pilot_cannot_create_for_another_group(world):
    with pytest.raises(PermissionDenied):
        operations.create_event(world.users["other_pilot"], world.convention, event_data(world))


def test_a_pilot_must_name_one_of_their_groups(world):
    with pytest.raises(PermissionDenied):
        operations.create_event(world.users["pilot"], world.convention, event_data(world, working_group_ids=[]))


def test_the_committee_creates_an_event_without_group(world):
    event = operations.create_event(
        world.users["committee"],
        world.convention,
        event_data(
            world,
            kind=EventKind.FEDERATION_MEETING,
            working_group_ids=[],
            experts=[],
            federation_id=world.federation.id,
        ),
    )
    assert event.working_groups == [] and event.federation_name == "Isère"


def test_the_end_must_follow_the_start(world):
    with pytest.raises(DomainError):
        operations.create_event(
            world.users["pilot"],
            world.convention,
            event_data(world, ends_dt=paris(2026, 4, 2, 17)),
        )


def test_update_records_the_changes_and_keeps_unmoderated_groups(world):
    event = make_event(world, groups=(world.group1, world.group2))
    data = event_data(world, title="Nouveau titre", working_group_ids=[world.group1.id, world.group2.id])
    operations.update_event(world.users["pilot"], event, data)
    assert event.title == "Nouveau titre"
    assert audits("event.update")[0].data["changes"]["title"]["new"] == "Nouveau titre"
    # Removing a group the pilot does not animate is refused.
    with pytest.raises(PermissionDenied):
        operations.update_event(world.users["pilot"], event, event_data(world, working_group_ids=[world.group1.id]))


def test_a_pilot_of_another_group_cannot_edit(world):
    event = make_event(world)
    with pytest.raises(PermissionDenied):
        operations.update_event(world.users["other_pilot"], event, event_data(world))


def test_publishing_minutes_of_a_past_hearing(world):
    event = make_event(world, starts_dt=paris(2026, 2, 1, 18))
    operations.publish_minutes(
        world.users["pilot"],
        event,
        "## Compte rendu\n\nÉchanges riches.",
        "L'experte a dit…",
        now=NOW,
    )
    assert event.minutes.startswith("## Compte rendu")
    assert event.hearing_summary == "L'experte a dit…"
    assert event.minutes_published_dt == NOW
    assert len(audits("event.publish_minutes")) == 1
    operations.publish_minutes(world.users["committee"], event, "Corrigé", "", now=NOW)
    assert len(audits("event.update_minutes")) == 1


def test_minutes_wait_for_the_event(world):
    event = make_event(world, starts_dt=paris(2026, 5, 1, 18))
    with pytest.raises(DomainError):
        operations.publish_minutes(world.users["pilot"], event, "Trop tôt", now=NOW)


def test_only_a_hearing_has_a_summary(world):
    event = make_event(world, kind=EventKind.WORKING_GROUP, starts_dt=paris(2026, 2, 1, 18))
    with pytest.raises(DomainError):
        operations.publish_minutes(world.users["pilot"], event, "CR", "synthèse", now=NOW)


@pytest.mark.parametrize("role", ["militant", "other_pilot", "secretary"])
def test_others_cannot_publish_minutes(world, role):
    event = make_event(world, starts_dt=paris(2026, 2, 1, 18))
    with pytest.raises(PermissionDenied):
        operations.publish_minutes(world.users[role], event, "CR", now=NOW)


# --- registrations -------------------------------------------------------------------------


def statuses(event: Event, users: dict[str, User]) -> dict[str, str]:
    rows = db.session.scalars(sa.select(EventRegistration).where(EventRegistration.event_id == event.id)).all()
    names = {u.id: key for key, u in users.items()}
    return {names[r.user_id]: r.status.value for r in rows}


def test_capacity_waiting_list_and_promotion_on_cancellation(world):
    event = make_event(world, capacity=2)
    u = world.users
    assert operations.register_for_event(u["militant"], event, now=NOW).status == RegistrationStatus.REGISTERED
    assert operations.register_for_event(u["secretary"], event, now=NOW).status == RegistrationStatus.REGISTERED
    assert operations.register_for_event(u["bn"], event, now=NOW).status == RegistrationStatus.WAITING
    assert operations.register_for_event(u["committee"], event, now=NOW).status == RegistrationStatus.WAITING
    assert statuses(event, u) == {
        "militant": "registered",
        "secretary": "registered",
        "bn": "waiting",
        "committee": "waiting",
    }

    operations.cancel_registration(u["militant"], event, now=NOW)
    # The first on the waiting list (bn) gets the seat and is told so in-app.
    assert statuses(event, u) == {
        "militant": "cancelled",
        "secretary": "registered",
        "bn": "registered",
        "committee": "waiting",
    }
    notes = db.session.scalars(sa.select(Notification)).all()
    assert [(n.user_id, n.url) for n in notes] == [(u["bn"].id, f"/calendrier/{event.id}")]
    assert "place s'est libérée" in notes[0].subject
    assert len(audits("event.promote_registration")) == 1

    # Leaving the waiting list frees nothing and notifies no one.
    operations.cancel_registration(u["committee"], event, now=NOW)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 1


def test_re_registering_after_cancelling_goes_to_the_end_of_the_line(world):
    event = make_event(world, capacity=1)
    u = world.users
    operations.register_for_event(u["militant"], event, now=NOW)
    operations.register_for_event(u["bn"], event, now=NOW)  # waiting
    operations.cancel_registration(u["militant"], event, now=NOW)  # bn promoted
    again = operations.register_for_event(u["militant"], event, now=NOW)
    assert again.status == RegistrationStatus.WAITING
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EventRegistration)) == 2


def test_a_larger_capacity_promotes_the_waiting_list(world):
    event = make_event(world, capacity=1)
    u = world.users
    operations.register_for_event(u["militant"], event, now=NOW)
    operations.register_for_event(u["bn"], event, now=NOW)
    operations.update_event(u["pilot"], event, event_data(world, capacity=5))
    rows = db.session.scalars(sa.select(EventRegistration)).all()
    assert {r.status for r in rows} == {RegistrationStatus.REGISTERED}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 1


def test_double_registration_is_refused(world):
    event = make_event(world)
    operations.register_for_event(world.users["militant"], event, now=NOW)
    with pytest.raises(RegistrationError, match="déjà inscrit"):
        operations.register_for_event(world.users["militant"], event, now=NOW)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EventRegistration)) == 1


def test_the_unique_constraint_backs_the_check(world):
    event = make_event(world)
    user = world.users["militant"]
    db.session.add(EventRegistration(event_id=event.id, user_id=user.id, status=RegistrationStatus.REGISTERED))
    db.session.flush()
    with pytest.raises(sa.exc.IntegrityError):
        with db.session.begin_nested():
            db.session.add(EventRegistration(event_id=event.id, user_id=user.id, status=RegistrationStatus.WAITING))


def test_no_registration_for_a_past_event(world):
    event = make_event(world, starts_dt=paris(2026, 2, 1, 18))
    with pytest.raises(RegistrationError, match="déjà eu lieu"):
        operations.register_for_event(world.users["militant"], event, now=NOW)


def test_cancelling_without_registration_is_refused(world):
    event = make_event(world)
    with pytest.raises(RegistrationError):
        operations.cancel_registration(world.users["militant"], event, now=NOW)


def test_feed_token_regeneration_replaces_the_secret(world):
    user = world.users["militant"]
    first = operations.regenerate_feed_token(user).plain_secret
    row = operations.regenerate_feed_token(user)
    second = row.plain_secret
    assert first != second and len(second) >= 40
    assert row.token_hash == CalendarFeedToken.hash(second) and second not in row.token_hash
    assert operations.revoke_feed_token(user) is True
    assert operations.revoke_feed_token(user) is False
    assert [e.action for e in db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))][-3:] == [
        "calendar_feed.create",
        "calendar_feed.regenerate",
        "calendar_feed.revoke",
    ]
