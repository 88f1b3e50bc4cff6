"""Builders for accounts, members, roles and a convention with phases (auth/admin tests).

Plain functions, called inside the ``database`` fixture; they flush and never commit
(the test commits when a request must see the data).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from itertools import count

from convention.conventions.models import Convention, Phase
from convention.core.security import hash_password
from convention.domain.phases import PhaseKind
from convention.domain.roles import Role
from convention.extensions import db
from convention.groups.models import WorkingGroup
from convention.members.models import Federation, Member, RoleAssignment, Section, User
from tests.convention_fixtures import PUBLISHED  # conventions made here are published

PASSWORD = "une phrase de passe solide"
_serial = count(1)

# Hashing is slow on purpose; the same hash serves every account with the default password.
_PASSWORD_HASH: str | None = None


def password_hash(password: str = PASSWORD) -> str:
    global _PASSWORD_HASH
    if password != PASSWORD:
        return hash_password(password)
    if _PASSWORD_HASH is None:
        _PASSWORD_HASH = hash_password(PASSWORD)
    return _PASSWORD_HASH


def make_federation(code: str = "38", name: str = "Isère") -> Federation:
    federation = Federation(code=code, name=name, title=f"Fédération de {name}")
    db.session.add(federation)
    db.session.flush()
    return federation


def make_section(federation: Federation, name: str = "Grenoble") -> Section:
    section = Section(federation=federation, name=name)
    db.session.add(section)
    db.session.flush()
    return section


def make_member(
    section: Section,
    first_name: str = "Camille",
    last_name: str | None = None,
    *,
    email: str | None = None,
    dues_paid_until: dt.date | None = dt.date(2099, 12, 31),
) -> Member:
    n = next(_serial)
    member = Member(
        membership_number=f"PS{n:06d}",
        first_name=first_name,
        last_name=last_name or f"Durand{n}",
        email=email or f"adherent{n}@example.org",
        section=section,
        dues_paid_until=dues_paid_until,
    )
    db.session.add(member)
    db.session.flush()
    return member


def make_user(
    email: str | None = None,
    *,
    member: Member | None = None,
    password: str | None = PASSWORD,
    roles: tuple = (),
    display_name: str | None = None,
    activated: bool = True,
) -> User:
    """An account; ``roles`` is a sequence of ``(Role, scope_or_None)``."""
    email = email or (member.email if member else f"compte{next(_serial)}@example.org")
    user = User(
        email=email,
        display_name=display_name or (member.full_name if member else "Dominique Martin"),
        member=member,
        password_hash=password_hash(password) if password else None,
        activated_dt=dt.datetime(2026, 1, 1, tzinfo=dt.UTC) if activated and password else None,
    )
    db.session.add(user)
    db.session.flush()
    for role, scope in roles:
        grant(user, role, scope)
    return user


def grant(user: User, role: Role, scope=None) -> RoleAssignment:
    values = {}
    if isinstance(scope, WorkingGroup):
        values["working_group_id"] = scope.id
    elif isinstance(scope, Section):
        values["section_id"] = scope.id
    elif isinstance(scope, Federation):
        values["federation_id"] = scope.id
    elif isinstance(scope, Convention):
        values["convention_id"] = scope.id
    assignment = RoleAssignment(user=user, role=role, **values)
    db.session.add(assignment)
    db.session.flush()
    return assignment


PHASE_DATES = [
    (PhaseKind.WORKING_GROUPS, dt.date(2026, 1, 10), dt.date(2026, 3, 31)),
    (PhaseKind.CONTRIBUTIONS, dt.date(2026, 2, 1), dt.date(2026, 4, 15)),
    (PhaseKind.AMENDMENTS, dt.date(2026, 5, 1), dt.date(2026, 5, 31)),
    (PhaseKind.NATIONAL_BUREAU, dt.date(2026, 6, 2), dt.date(2026, 6, 2)),
    (PhaseKind.MEMBERS_VOTE, dt.date(2026, 6, 10), dt.date(2026, 6, 12)),
    (PhaseKind.CONVENTION_DAY, dt.date(2026, 6, 20), dt.date(2026, 6, 20)),
    (PhaseKind.ADOPTED_TEXT, dt.date(2026, 6, 21), None),
]


def make_convention(slug: str = "securite") -> Convention:
    convention = Convention(
        published_dt=PUBLISHED,
        slug=slug,
        title="Convention nationale sur la sécurité et la prévention de la délinquance",
        short_title="Sécurité et prévention",
    )
    for position, (kind, starts_on, ends_on) in enumerate(PHASE_DATES):
        convention.phases.append(
            Phase(kind=kind, position=position, starts_on=starts_on, ends_on=ends_on)
        )
    db.session.add(convention)
    db.session.flush()
    return convention


def make_group(convention: Convention, number: int = 1) -> WorkingGroup:
    group = WorkingGroup(convention=convention, number=number, title=f"Groupe {number}")
    db.session.add(group)
    db.session.flush()
    return group


def login(client, email: str, password: str = PASSWORD, **extra):
    """Log in through the login form (CSRF must be off)."""
    return client.post("/compte/connexion", data={"email": email, "password": password, **extra})


def switch_user(client, email: str, password: str = PASSWORD):
    """Log out (if logged in) and log in as ``email`` with the same client.

    With the ``database`` fixture, requests reuse the test's app context, so ``g`` (and the
    user Flask-Login caches there) is shared between requests: use one client per test and
    switch users through the forms rather than with a second client.
    """
    client.post("/compte/deconnexion")
    response = login(client, email, password)
    assert response.status_code == 302, "login failed"
    return response


def link_from(message, prefix: str) -> str:
    """The path of the first link starting with ``prefix`` in a recorded e-mail's text body."""
    match = re.search(r"https?://[^/\s]+(" + re.escape(prefix) + r"[^\s]+)", message.body)
    assert match, f"no {prefix} link in {message.body!r}"
    return match.group(1)


def page_text(response) -> str:
    """The response body with HTML entities decoded (« n&#39;est » → « n'est »)."""
    return html.unescape(response.get_data(as_text=True))
