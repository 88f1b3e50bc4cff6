"""The permission matrix: role × object for the cross-cutting ``can_*`` helpers."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_login import AnonymousUserMixin

from convention.conventions import operations as convention_ops
from convention.conventions.models import Convention, Phase
from convention.core import permissions as perms
from convention.core.audit import AuditEntry
from convention.domain.errors import DomainError
from convention.domain.phases import PhaseKind
from convention.domain.roles import Role
from convention.extensions import db
from convention.groups.models import WorkingGroup
from convention.members import operations as member_ops
from convention.members.models import Federation, RoleAssignment, Section, User
from tests.auth_fixtures import PHASE_DATES


def _build_world(persist: bool):
    """Two federations with two sections each, two conventions, groups, one user per role.

    With ``persist`` the objects are flushed to the test database (for the operations);
    without it they stay transient, with explicit ids: the ``can_*`` helpers only read
    ids and role assignments, so the matrix needs no database.
    """
    ids = iter(range(1, 1000))

    def add(obj):
        if persist:
            db.session.add(obj)
            db.session.flush()
        else:
            obj.id = next(ids)
        return obj

    isere = add(Federation(code="38", name="Isère", title="Fédération de l'Isère"))
    rhone = add(Federation(code="69", name="Rhône", title="Fédération du Rhône"))
    grenoble = add(Section(federation=isere, federation_id=isere.id, name="Grenoble"))
    voiron = add(Section(federation=isere, federation_id=isere.id, name="Voiron"))
    lyon1 = add(Section(federation=rhone, federation_id=rhone.id, name="Lyon 1er"))
    villeurbanne = add(Section(federation=rhone, federation_id=rhone.id, name="Villeurbanne"))
    convention = add(Convention(slug="securite", title="Sécurité", short_title="Sécurité"))
    other_convention = add(Convention(slug="autre", title="Autre", short_title="Autre"))

    def group(conv, number):
        return add(WorkingGroup(convention=conv, convention_id=conv.id, number=number, title="Groupe"))

    group1, group2, other_group = (
        group(convention, 1),
        group(convention, 2),
        group(other_convention, 1),
    )

    def user(name, role=None, **scope):
        account = add(User(email=f"{name}@example.org", display_name=name, password_hash="x", is_enabled=True))
        if role is not None:
            add(RoleAssignment(user=account, user_id=account.id, role=role, **scope))
        return account

    users = {
        "anonymous": AnonymousUserMixin(),
        "none": None,
        "militant": user("militant"),
        "section_secretary": user("sec", Role.SECTION_SECRETARY, section_id=grenoble.id),
        "federation_secretary": user("fed", Role.FEDERATION_SECRETARY, federation_id=isere.id),
        "pilot": user("pilot", Role.PILOT, working_group_id=group1.id),
        "committee": user("committee", Role.COMMITTEE, convention_id=convention.id),
        "national_bureau": user("bn", Role.NATIONAL_BUREAU),
    }
    objects = {
        "grenoble": grenoble,
        "voiron": voiron,
        "lyon1": lyon1,
        "villeurbanne": villeurbanne,
        "isere": isere,
        "rhone": rhone,
        "convention": convention,
        "other_convention": other_convention,
        "group1": group1,
        "group2": group2,
        "other_group": other_group,
    }
    return users, objects


@pytest.fixture(scope="module")
def world():
    """Transient objects for the matrix (no database)."""
    return _build_world(persist=False)


@pytest.fixture()
def world_db(database):
    """The same world in the test database, with phases (for the operations)."""
    users, objects = _build_world(persist=True)
    for position, (kind, starts_on, ends_on) in enumerate(PHASE_DATES):
        objects["convention"].phases.append(Phase(kind=kind, position=position, starts_on=starts_on, ends_on=ends_on))
    db.session.flush()
    return users, objects


ROLES = [
    "anonymous",
    "none",
    "militant",
    "section_secretary",
    "federation_secretary",
    "pilot",
    "committee",
    "national_bureau",
]


def _cases(table: dict[str, set[str]]) -> list[tuple[str, str, bool]]:
    """Expand ``{object: roles allowed}`` into (role, object, allowed) for every role."""
    return [(role, obj, role in allowed) for obj, allowed in table.items() for role in ROLES]


UNIT_MEMBERS = {
    "grenoble": {"section_secretary", "federation_secretary", "national_bureau"},
    "voiron": {"federation_secretary", "national_bureau"},  # same federation, other section
    "lyon1": {"national_bureau"},
    "isere": {"federation_secretary", "national_bureau"},
    "rhone": {"national_bureau"},
}


@pytest.mark.parametrize(("role", "obj", "allowed"), _cases(UNIT_MEMBERS))
def test_can_view_unit_members(world, role, obj, allowed):
    users, objects = world
    unit = objects[obj]
    kwarg = "federation" if obj in ("isere", "rhone") else "section"
    assert perms.can_view_unit_members(users[role], **{kwarg: unit}) is allowed


@pytest.mark.parametrize("role", ROLES)
def test_only_the_national_bureau_sees_all_members(world, role):
    users, _ = world
    assert perms.can_view_unit_members(users[role]) is (role == "national_bureau")


MODERATE = {
    "group1": {"pilot", "committee", "national_bureau"},
    "group2": {"committee", "national_bureau"},  # pilot of another group
    "other_group": {"national_bureau"},  # committee of another convention
}


@pytest.mark.parametrize(("role", "obj", "allowed"), _cases(MODERATE))
def test_can_moderate_group(world, role, obj, allowed):
    users, objects = world
    assert perms.can_moderate_group(users[role], objects[obj]) is allowed


PHASES = {
    "convention": {"national_bureau"},
    "other_convention": {"national_bureau"},
}


@pytest.mark.parametrize(("role", "obj", "allowed"), _cases(PHASES))
def test_can_manage_phases(world, role, obj, allowed):
    users, objects = world
    assert perms.can_manage_phases(users[role], objects[obj]) is allowed


STEER = {
    "convention": {"committee", "national_bureau"},
    "other_convention": {"national_bureau"},
}


@pytest.mark.parametrize(("role", "obj", "allowed"), _cases(STEER))
def test_can_steer(world, role, obj, allowed):
    users, objects = world
    assert perms.can_steer(users[role], objects[obj]) is allowed


@pytest.mark.parametrize("role", ROLES)
def test_administration_and_roles_are_the_national_bureau_s(world, role):
    users, _ = world
    expected = role == "national_bureau"
    assert perms.can_administer(users[role]) is expected
    assert perms.can_manage_roles(users[role]) is expected


def test_missing_objects_are_never_allowed(world):
    users, _ = world
    bn = users["national_bureau"]
    assert perms.can_manage_phases(bn, None) is False
    assert perms.can_moderate_group(bn, None) is False


def test_a_secretary_of_two_sections_sees_both(world_db):
    users, objects = world_db
    secretary = users["section_secretary"]
    db.session.add(RoleAssignment(user=secretary, role=Role.SECTION_SECRETARY, section_id=objects["lyon1"].id))
    db.session.flush()
    assert perms.can_view_unit_members(secretary, section=objects["lyon1"])
    assert perms.can_view_unit_members(secretary, section=objects["grenoble"])
    assert not perms.can_view_unit_members(secretary, section=objects["villeurbanne"])
    assert not perms.can_view_unit_members(secretary, federation=objects["rhone"])


# --- operations check again (defence in depth) -----------------------------------------------


@pytest.mark.parametrize("role", [r for r in ROLES if r != "national_bureau"])
def test_phase_operations_refuse_other_roles(world_db, role):
    users, objects = world_db
    convention = objects["convention"]
    phase = convention.phase(PhaseKind.AMENDMENTS)
    before = (phase.starts_on, phase.ends_on)
    with pytest.raises(perms.PermissionDenied):
        convention_ops.set_phase_override(users[role], convention, PhaseKind.AMENDMENTS)
    with pytest.raises(perms.PermissionDenied):
        convention_ops.update_phase_dates(users[role], phase, before[0], before[0])
    assert convention.phase_override is None
    assert (phase.starts_on, phase.ends_on) == before
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == 0


@pytest.mark.parametrize("role", [r for r in ROLES if r != "national_bureau"])
def test_role_operations_refuse_other_roles(world_db, role):
    users, objects = world_db
    target = users["militant"]
    with pytest.raises(perms.PermissionDenied):
        member_ops.assign_role(users[role], target, Role.SECTION_SECRETARY, objects["grenoble"])
    assignment = users["pilot"].roles[0]
    with pytest.raises(perms.PermissionDenied):
        member_ops.revoke_role(users[role], assignment)
    assert target.roles == []


def test_permission_denied_is_a_domain_error():
    assert issubclass(perms.PermissionDenied, DomainError)
    assert "droits" in str(perms.PermissionDenied())
