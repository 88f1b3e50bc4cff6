"""Read helpers for members, their units and their accounts."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from convention.core.db import db
from convention.core.pagination import paginate
from convention.domain.roles import Role
from convention.members.models import Federation, Member, RoleAssignment, Section, User


def get_section(section_id: int) -> Section | None:
    return db.session.get(Section, section_id)


def get_federation(federation_id: int) -> Federation | None:
    return db.session.get(Federation, federation_id)


def list_federations() -> list[Federation]:
    return list(db.session.scalars(sa.select(Federation).order_by(Federation.code)))


def list_sections() -> list[Section]:
    return list(
        db.session.scalars(
            sa.select(Section).join(Section.federation).order_by(Federation.code, Section.name)
        )
    )


def unit_members_select(
    section: Section | None = None, federation: Federation | None = None
) -> sa.Select:
    """Members of a section, or of every section of a federation, by section then name."""
    query = (
        sa.select(Member)
        .join(Member.section)
        .options(joinedload(Member.section), joinedload(Member.user))
        .order_by(Section.name, Member.last_name, Member.first_name, Member.id)
    )
    if section is not None:
        query = query.where(Member.section_id == section.id)
    elif federation is not None:
        query = query.where(Section.federation_id == federation.id)
    return query


def paginate_unit_members(
    section: Section | None = None,
    federation: Federation | None = None,
    *,
    page: int = 1,
    per_page: int = 100,
) -> Any:
    """One page of the members of a unit (``db.paginate``; 404 past the last page)."""
    return paginate(
        unit_members_select(section, federation), page=page, per_page=per_page, max_per_page=500,
        error_out=True,
    )


def count_unit_members(section: Section | None = None, federation: Federation | None = None) -> int:
    query = sa.select(sa.func.count(Member.id)).join(Member.section)
    if section is not None:
        query = query.where(Member.section_id == section.id)
    elif federation is not None:
        query = query.where(Section.federation_id == federation.id)
    return db.session.scalar(query) or 0


def list_visible_units(user: Any) -> tuple[list[Federation], list[Section]]:
    """The federations and sections whose members ``user`` may list, from their roles."""
    federation_ids = {
        a.federation_id
        for a in user.roles
        if a.role == Role.FEDERATION_SECRETARY and a.federation_id
    }
    section_ids = {
        a.section_id for a in user.roles if a.role == Role.SECTION_SECRETARY and a.section_id
    }
    federations = (
        list(
            db.session.scalars(
                sa.select(Federation)
                .where(Federation.id.in_(federation_ids))
                .order_by(Federation.code)
            )
        )
        if federation_ids
        else []
    )
    sections = (
        list(
            db.session.scalars(
                sa.select(Section)
                .where(Section.id.in_(section_ids), Section.federation_id.not_in(federation_ids))
                .order_by(Section.name)
            )
        )
        if section_ids
        else []
    )
    return federations, sections


def list_role_assignments() -> list[RoleAssignment]:
    """Every role held, by role then holder's name (for the Bureau national)."""
    return list(
        db.session.scalars(
            sa.select(RoleAssignment)
            .join(RoleAssignment.user)
            .options(joinedload(RoleAssignment.user))
            .order_by(RoleAssignment.role, User.display_name, RoleAssignment.id)
        )
    )


def members_without_account(
    section: Section | None = None, federation: Federation | None = None
) -> list[Member]:
    """Members of a unit (or all) that have no login account yet."""
    query = unit_members_select(section, federation).where(~Member.user.has())
    return list(db.session.scalars(query).unique())
