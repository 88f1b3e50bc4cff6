"""Federations, sections, members, user accounts, roles and one-time tokens."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import secrets

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convention.core.db import Model, UTCDateTime, str_enum, utcnow
from convention.domain.roles import Role


class Federation(Model):
    __tablename__ = "federation"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(8), unique=True)  # département: "38", "2A", "FFE"
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)  # "Isère"
    title: Mapped[str] = mapped_column(sa.String(160))  # "Fédération de l'Isère"
    sections: Mapped[list[Section]] = relationship(
        back_populates="federation", order_by="Section.name"
    )

    def __repr__(self) -> str:
        return f"<Federation {self.code} {self.name}>"


class Section(Model):
    __tablename__ = "section"

    id: Mapped[int] = mapped_column(primary_key=True)
    federation_id: Mapped[int] = mapped_column(sa.ForeignKey("federation.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    federation: Mapped[Federation] = relationship(back_populates="sections")
    members: Mapped[list[Member]] = relationship(back_populates="section")

    __table_args__ = (sa.UniqueConstraint("federation_id", "name"),)

    def __repr__(self) -> str:
        return f"<Section {self.name}>"


class Member(Model):
    """A party member (adhérent·e), imported from the membership file."""

    __tablename__ = "member"

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    first_name: Mapped[str] = mapped_column(sa.String(80))
    last_name: Mapped[str] = mapped_column(sa.String(80))
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    section_id: Mapped[int] = mapped_column(sa.ForeignKey("section.id"), index=True)
    dues_paid_until: Mapped[dt.date | None]
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    section: Mapped[Section] = relationship(back_populates="members")
    user: Mapped[User | None] = relationship(back_populates="member")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def is_dues_paid(self, on: dt.date) -> bool:
        """True if the member is à jour de cotisation on the given day."""
        return self.dues_paid_until is not None and self.dues_paid_until >= on

    def __repr__(self) -> str:
        return f"<Member {self.membership_number}>"


class User(UserMixin, Model):
    """A login account; most belong to a member, some (staff, experts) do not."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(160))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("member.id"), unique=True)
    is_enabled: Mapped[bool] = mapped_column(default=True)
    activated_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_login_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Part of every session and « se souvenir de moi » cookie (``get_id``): raising it ends
    # them all (password change or reset, logout, role withdrawn, « tous les appareils »).
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")

    member: Mapped[Member | None] = relationship(back_populates="user")
    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # Logging in looks the address up whatever its case (``lower(email)``): without this index every
    # login read the whole table (60 ms of PostgreSQL per login with 100,000 accounts).
    __table_args__ = (sa.Index("ix_users_email_lower", sa.func.lower(email)),)

    @property
    def is_active(self) -> bool:  # Flask-Login: may this account log in?
        return self.is_enabled and self.password_hash is not None

    def get_id(self) -> str:
        """Flask-Login's id, kept in the session and the remember cookie: ``"<id>:<generation>"``."""
        return f"{self.id}:{self.session_generation or 0}"

    def has_role(
        self,
        role: Role,
        *,
        convention_id: int | None = None,
        working_group_id: int | None = None,
        section_id: int | None = None,
        federation_id: int | None = None,
    ) -> bool:
        """True if the user holds ``role``, within the given scope when one is given.

        With ``convention_id``, a role bound to a convention counts only in that one: the steering
        committee of its convention, a pilot through their group's convention. Roles bound to
        no convention (the Bureau national, the secretaries of the shared sections and
        federations) count in every convention; a committee role without its convention, in none.
        """
        for assignment in self.roles:
            if assignment.role != role:
                continue
            if convention_id is not None:
                bound_to = assignment.scope_convention_id
                if bound_to is None and role == Role.COMMITTEE:
                    continue
                if bound_to is not None and bound_to != convention_id:
                    continue
            if working_group_id is not None and assignment.working_group_id != working_group_id:
                continue
            if section_id is not None and assignment.section_id != section_id:
                continue
            if federation_id is not None and assignment.federation_id != federation_id:
                continue
            return True
        return False

    @property
    def is_national_bureau(self) -> bool:
        return self.has_role(Role.NATIONAL_BUREAU)

    def __repr__(self) -> str:
        return f"<User {self.email}>"


ROLE_LABELS = {
    Role.PILOT: "Pilote de groupe de travail",
    Role.COMMITTEE: "Comité de pilotage",
    Role.SECTION_SECRETARY: "Secrétaire de section",
    Role.FEDERATION_SECRETARY: "Premier·e secrétaire fédéral·e",
    Role.NATIONAL_BUREAU: "Bureau national",
}


class RoleAssignment(Model):
    """A role held by a user, scoped to what the role is about."""

    __tablename__ = "role_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role))
    convention_id: Mapped[int | None] = mapped_column(sa.ForeignKey("convention.id"))
    working_group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("working_group.id"))
    section_id: Mapped[int | None] = mapped_column(sa.ForeignKey("section.id"))
    federation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("federation.id"))
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="roles")
    working_group = relationship("WorkingGroup")
    section: Mapped[Section | None] = relationship()
    federation: Mapped[Federation | None] = relationship()
    convention = relationship("Convention")

    __table_args__ = (
        sa.UniqueConstraint(
            "user_id", "role", "convention_id", "working_group_id", "section_id", "federation_id",
            name="uq_role_assignment_scope",
        ),
    )  # fmt: skip

    @property
    def label(self) -> str:
        return ROLE_LABELS[self.role]

    @property
    def scope_convention_id(self) -> int | None:
        """The convention this role is bound to: its own, or its working group's (None: all)."""
        if self.convention_id is not None:
            return self.convention_id
        if self.working_group_id is not None and self.working_group is not None:
            return self.working_group.convention_id
        return None

    @property
    def scope_label(self) -> str:
        """The scope in French: « Section de Voiron (Fédération de l'Isère) », « Groupe 3 : … »."""
        if self.working_group is not None:
            return f"Groupe de travail n° {self.working_group.number} : {self.working_group.title}"
        if self.section is not None:
            return f"Section {self.section.name} ({self.section.federation.title})"
        if self.federation is not None:
            return self.federation.title
        if self.convention is not None:
            return self.convention.short_title
        return "Toute la plateforme"


class TokenPurpose(enum.StrEnum):
    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"


class UserToken(Model):
    """A one-time token sent by e-mail: only its SHA-256 is stored."""

    __tablename__ = "user_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(str_enum(TokenPurpose))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @staticmethod
    def new_secret() -> str:
        return secrets.token_urlsafe(32)

    @staticmethod
    def hash(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    def is_usable(self, now: dt.datetime) -> bool:
        return self.used_dt is None and now < self.expires_dt
