"""The Bureau national's operations: phase dates, phase override, role assignment."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from convention.conventions import operations as ops
from convention.core.audit import AuditEntry
from convention.domain.errors import DomainError
from convention.domain.phases import PhaseKind
from convention.domain.roles import Role
from convention.extensions import db
from convention.members import operations as member_ops
from tests.auth_fixtures import (
    make_convention,
    make_federation,
    make_group,
    make_section,
    make_user,
)

TODAY = dt.date(2026, 5, 15)  # amendments by the dates


@pytest.fixture()
def bn(database):
    return make_user("bn@example.org", roles=[(Role.NATIONAL_BUREAU, None)])


@pytest.fixture()
def convention(database):
    return make_convention()


def entries() -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)))


def test_override_then_back_to_dates(bn, convention):
    assert convention.current_phase_kind(TODAY) is PhaseKind.AMENDMENTS
    ops.set_phase_override(bn, convention, PhaseKind.CONTRIBUTIONS)
    assert convention.current_phase_kind(TODAY) is PhaseKind.CONTRIBUTIONS
    ops.set_phase_override(bn, convention, None)
    assert convention.current_phase_kind(TODAY) is PhaseKind.AMENDMENTS
    first, second = entries()
    assert (first.action, first.actor_id, first.object_type) == (
        "convention.phase_override",
        bn.id,
        "Convention",
    )
    assert first.data == {"old": None, "new": "contributions"}
    assert second.data == {"old": "contributions", "new": None}


def test_override_to_the_same_value_writes_nothing(bn, convention):
    ops.set_phase_override(bn, convention, None)
    assert entries() == []


def test_override_needs_a_phase_of_the_convention(bn, convention):
    convention.phases.remove(convention.phase(PhaseKind.CONVENTION_DAY))
    db.session.flush()
    with pytest.raises(DomainError, match="Journée de la convention"):
        ops.set_phase_override(bn, convention, PhaseKind.CONVENTION_DAY)
    assert convention.phase_override is None


def test_update_phase_dates_audits_old_and_new(bn, convention):
    phase = convention.phase(PhaseKind.AMENDMENTS)
    ops.update_phase_dates(bn, phase, dt.date(2026, 5, 2), dt.date(2026, 6, 1))
    assert (phase.starts_on, phase.ends_on) == (dt.date(2026, 5, 2), dt.date(2026, 6, 1))
    (entry,) = entries()
    assert entry.action == "phase.update_dates"
    assert entry.object_id == phase.id
    assert entry.data == {
        "kind": "amendments",
        "old": {"starts_on": "2026-05-01", "ends_on": "2026-05-31"},
        "new": {"starts_on": "2026-05-02", "ends_on": "2026-06-01"},
    }


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "ok"),
    [
        (dt.date(2026, 5, 1), dt.date(2026, 4, 30), False),
        (dt.date(2026, 5, 1), dt.date(2026, 5, 1), True),  # a one-day phase
        (dt.date(2026, 5, 1), None, True),  # open-ended
    ],
)
def test_update_phase_dates_validates_order(bn, convention, starts_on, ends_on, ok):
    phase = convention.phase(PhaseKind.AMENDMENTS)
    if ok:
        ops.update_phase_dates(bn, phase, starts_on, ends_on)
        assert (phase.starts_on, phase.ends_on) == (starts_on, ends_on)
    else:
        with pytest.raises(DomainError, match="ne peut pas précéder"):
            ops.update_phase_dates(bn, phase, starts_on, ends_on)
        assert phase.ends_on == dt.date(2026, 5, 31)
        assert entries() == []


def test_assign_and_revoke_roles(bn, convention):
    isere = make_federation()
    grenoble = make_section(isere)
    group = make_group(convention)
    user = make_user("secretaire@example.org")
    section_role = member_ops.assign_role(bn, user, Role.SECTION_SECRETARY, grenoble)
    member_ops.assign_role(bn, user, Role.PILOT, group)
    member_ops.assign_role(bn, user, Role.COMMITTEE, convention)
    assert user.has_role(Role.SECTION_SECRETARY, section_id=grenoble.id)
    assert user.has_role(Role.PILOT, working_group_id=group.id)
    assert user.has_role(Role.COMMITTEE, convention_id=convention.id)
    assert section_role.scope_label == "Section Grenoble (Fédération de Isère)"
    with pytest.raises(DomainError, match="déjà ce rôle"):
        member_ops.assign_role(bn, user, Role.SECTION_SECRETARY, grenoble)
    member_ops.revoke_role(bn, section_role)
    assert not user.has_role(Role.SECTION_SECRETARY)
    assert [e.action for e in entries()] == ["role.assign"] * 3 + ["role.revoke"]
    assert entries()[-1].data["section_id"] == grenoble.id


@pytest.mark.parametrize(
    ("role", "scope_name", "message"),
    [
        (Role.SECTION_SECRETARY, None, "périmètre"),
        (Role.SECTION_SECRETARY, "federation", "ne correspond pas"),
        (Role.FEDERATION_SECRETARY, "section", "ne correspond pas"),
        (Role.PILOT, "convention", "ne correspond pas"),
        (Role.NATIONAL_BUREAU, "section", "aucun périmètre"),
    ],
)
def test_assign_role_checks_the_scope(bn, convention, role, scope_name, message):
    federation = make_federation()
    scopes = {
        None: None,
        "federation": federation,
        "section": make_section(federation),
        "convention": convention,
    }
    user = make_user("x@example.org")
    with pytest.raises(DomainError, match=message):
        member_ops.assign_role(bn, user, role, scopes[scope_name])
    assert user.roles == []


def test_the_national_bureau_cannot_revoke_its_own_seat(bn):
    with pytest.raises(DomainError, match="propre rôle"):
        member_ops.revoke_role(bn, bn.roles[0])
    assert bn.is_national_bureau
