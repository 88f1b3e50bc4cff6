"""Operations on accounts and roles: invite members, assign and revoke roles."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from convention.auth.operations import get_user_by_email, invite_user, normalise_email
from convention.core.audit import audit
from convention.core.db import db
from convention.core.permissions import can_manage_roles, ensure
from convention.domain.errors import DomainError
from convention.domain.roles import ROLE_SCOPES, Role
from convention.members.models import Member, RoleAssignment, User

SCOPE_FIELDS = {
    "convention": "convention_id",
    "working_group": "working_group_id",
    "section": "section_id",
    "federation": "federation_id",
}


@dataclass
class InvitationReport:
    """What ``invite_members`` did: accounts created, invitations sent, members skipped."""

    created: list[User] = field(default_factory=list)
    invited: list[User] = field(default_factory=list)
    skipped: list[Member] = field(default_factory=list)


def create_member_user(member: Member) -> tuple[User, bool]:
    """The account of ``member`` (linked to one with the same e-mail, else created) and
    whether it was created."""
    if member.user is not None:
        return member.user, False
    user = get_user_by_email(member.email)
    if user is not None:
        if user.member_id not in (None, member.id):
            raise DomainError(
                f"L'adresse {member.email} est déjà celle du compte d'un·e autre adhérent·e."
            )
        user.member = member
        db.session.flush()
        return user, False
    user = User(
        email=normalise_email(member.email),
        display_name=member.full_name,
        member=member,
        password_hash=None,
    )
    db.session.add(user)
    db.session.flush()
    return user, True


def invite_members(
    actor: Any, members: Iterable[Member], *, resend: bool = False
) -> InvitationReport:
    """Create the accounts of ``members`` that have none and invite them.

    Members whose account is already activated are skipped; so are those already
    invited, unless ``resend`` (a new link replaces the old one).
    """
    report = InvitationReport()
    for member in members:
        had_user = member.user is not None
        if had_user and (member.user.activated_dt is not None or member.user.password_hash):
            report.skipped.append(member)
            continue
        if had_user and not resend:
            report.skipped.append(member)
            continue
        try:
            user, created = create_member_user(member)
        except DomainError:
            report.skipped.append(member)
            continue
        if created:
            report.created.append(user)
            audit(actor, "user.create", user, member_id=member.id, email=user.email)
        elif not had_user:
            audit(actor, "user.link_member", user, member_id=member.id)
        if user.activated_dt is not None or user.password_hash or not user.is_enabled:
            report.skipped.append(member)
            continue
        invite_user(actor, user)
        report.invited.append(user)
    return report


def _scope_values(role: Role, scope: Any) -> dict[str, int | None]:
    values: dict[str, int | None] = dict.fromkeys(SCOPE_FIELDS.values())
    scope_kind = ROLE_SCOPES[role]
    if scope_kind is None:
        if scope is not None:
            raise DomainError("Le rôle « Bureau national » ne se rattache à aucun périmètre.")
        return values
    if scope is None or getattr(scope, "id", None) is None:
        raise DomainError(
            "Ce rôle doit être rattaché à un périmètre (groupe, section, fédération…)."
        )
    expected = {
        "convention": "Convention",
        "working_group": "WorkingGroup",
        "section": "Section",
        "federation": "Federation",
    }[scope_kind]
    if type(scope).__name__ != expected:
        raise DomainError("Le périmètre choisi ne correspond pas au rôle.")
    values[SCOPE_FIELDS[scope_kind]] = scope.id
    return values


def assign_role(actor: Any, user: User, role: Role, scope: Any = None) -> RoleAssignment:
    """Give ``role`` to ``user`` within ``scope`` (a convention, group, section or federation)."""
    ensure(can_manage_roles(actor), "Seul le Bureau national attribue les rôles.")
    values = _scope_values(role, scope)
    for existing in user.roles:
        if existing.role == role and all(
            getattr(existing, name) == value for name, value in values.items()
        ):
            raise DomainError("Ce compte a déjà ce rôle sur ce périmètre.")
    assignment = RoleAssignment(user=user, role=role, **values)
    db.session.add(assignment)
    db.session.flush()
    audit(actor, "role.assign", user, role=role, assignment_id=assignment.id, **values)
    return assignment


def revoke_role(actor: Any, assignment: RoleAssignment) -> None:
    """Take a role away from its holder."""
    ensure(can_manage_roles(actor), "Seul le Bureau national retire les rôles.")
    user = assignment.user
    if (
        actor is not None
        and user.id == getattr(actor, "id", None)
        and (assignment.role == Role.NATIONAL_BUREAU)
    ):
        raise DomainError("Vous ne pouvez pas retirer votre propre rôle au Bureau national.")
    values = {name: getattr(assignment, name) for name in SCOPE_FIELDS.values()}
    audit(actor, "role.revoke", user, role=assignment.role, assignment_id=assignment.id, **values)
    user.roles.remove(assignment)
    db.session.delete(assignment)
    db.session.flush()
    # Pages open in the holder's browser were built with the role: make them log in again.
    from convention.auth.sessions import end_all_sessions

    end_all_sessions(actor, user, "role_revoked")
