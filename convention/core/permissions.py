"""Cross-cutting permission helpers: who may see or do what, across features.

The rules that belong to one object live on its model (``WorkingGroup.can_moderate``,
``Convention.can_manage_phases``, ``Convention.is_steering``); the helpers here either
delegate to them or cover rules that span several models (a federation secretary sees
the members of every section of their federation). Views call them and ``require(...)``;
operations check them again and raise ``PermissionDenied`` (defence in depth).
"""

from __future__ import annotations

from typing import Any

from flask import abort

from convention.domain.errors import DomainError
from convention.domain.roles import Role


class PermissionDenied(DomainError):
    """The actor is not allowed to perform this operation (HTTP 403)."""

    def __init__(self, message: str = "Vous n'avez pas les droits nécessaires pour cette action."):
        super().__init__(message)


def _authenticated(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def is_national_bureau(user: Any) -> bool:
    """True for a member of the Bureau national."""
    return _authenticated(user) and user.has_role(Role.NATIONAL_BUREAU)


def can_view_unit_members(user: Any, section: Any = None, federation: Any = None) -> bool:
    """May ``user`` read the list of members of ``section`` or ``federation``?

    - the Bureau national sees every unit (and, with no unit given, all members);
    - a federation secretary sees their federation and each of its sections;
    - a section secretary sees their own section only;
    - anyone else sees no unit.
    """
    if not _authenticated(user):
        return False
    if user.has_role(Role.NATIONAL_BUREAU):
        return True
    if section is not None:
        return user.has_role(Role.SECTION_SECRETARY, section_id=section.id) or user.has_role(
            Role.FEDERATION_SECRETARY, federation_id=section.federation_id
        )
    if federation is not None:
        return user.has_role(Role.FEDERATION_SECRETARY, federation_id=federation.id)
    return False


def can_manage_phases(user: Any, convention: Any) -> bool:
    """May ``user`` change the dates of the phases and force the current phase?"""
    return convention is not None and convention.can_manage_phases(user)


def can_moderate_group(user: Any, group: Any) -> bool:
    """May ``user`` moderate the working group ``group``?"""
    return group is not None and group.can_moderate(user)


def can_steer(user: Any, convention: Any) -> bool:
    """Is ``user`` on the steering committee of ``convention`` (or the Bureau national)?"""
    return convention is not None and convention.is_steering(user)


def can_manage_roles(user: Any) -> bool:
    """Only the Bureau national assigns and revokes roles."""
    return is_national_bureau(user)


def can_administer(user: Any) -> bool:
    """The administration pages are the Bureau national's."""
    return is_national_bureau(user)


def require(allowed: bool) -> None:
    """Abort with the French 403 page unless ``allowed``."""
    if not allowed:
        abort(403)


def ensure(allowed: bool, message: str | None = None) -> None:
    """Raise ``PermissionDenied`` unless ``allowed`` (for operations)."""
    if not allowed:
        raise PermissionDenied(message) if message else PermissionDenied()
