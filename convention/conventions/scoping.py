"""Keeping a convention's pages to its own rows, and its rights to its own people.

``ensure_in_convention`` (conventions/web.py) checks a row that carries ``convention_id``. The
helpers here cover the two other cases the views meet:

- a row looked up *within* the convention (``queries.get_x(convention.id, x_id)``) that is not
  found: the same id may be a row of another convention, which ``ensure_in_convention`` turns
  into a 404 (or a redirect to that convention's page) — never another convention's data;
- a row without ``convention_id`` (a cluster of amendments, a version, a registration…), checked
  through the parent that has one.

And the rights that depend on the convention being viewed: a pilot moderates the groups *of
this convention* they animate, a committee member reviews in *their* convention only.
"""

from __future__ import annotations

from typing import Any

from flask import abort

from convention.conventions.web import ensure_in_convention
from convention.domain.roles import Role
from convention.extensions import db


def found_in_convention(found: Any, model: Any, obj_id: int, convention: Any) -> Any:
    """``found`` (a row looked up within ``convention``) or, if it is None, what
    ``ensure_in_convention`` says about the row ``obj_id`` of ``model``: a 404 when it does not
    exist, the answer for another convention's row when it belongs to one."""
    if found is not None:
        return found
    ensure_in_convention(db.session.get(model, obj_id), convention)
    abort(404)  # pragma: no cover - ensure_in_convention never returns for a missing or foreign row


def ensure_through(obj: Any, parent: Any, convention: Any) -> Any:
    """``obj`` if its ``parent`` (a row with ``convention_id``) belongs to ``convention``; else 404."""
    if obj is None or parent is None:
        abort(404)
    ensure_in_convention(parent, convention)
    return obj


def _authenticated(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def pilot_group_ids(user: Any, convention: Any) -> set[int]:
    """Ids of the working groups of ``convention`` that ``user`` animates (PILOT role)."""
    if not _authenticated(user) or convention is None:
        return set()
    ids = {a.working_group_id for a in user.roles if a.role == Role.PILOT and a.working_group_id is not None}
    if not ids:
        return set()
    from convention.groups.models import WorkingGroup

    return set(
        db.session.scalars(
            db.select(WorkingGroup.id).where(WorkingGroup.id.in_(ids), WorkingGroup.convention_id == convention.id)
        )
    )


def moderates_in(user: Any, convention: Any) -> bool:
    """Does ``user`` review contributions in ``convention``: the Bureau national, the convention's
    steering committee, a pilot of one of its groups (never a pilot or committee member of
    another convention)."""
    if not _authenticated(user) or convention is None:
        return False
    return convention.is_steering(user) or bool(pilot_group_ids(user, convention))
