"""Reproducible demonstration data: federations, sections, members and one account per role.

``seed_demo(members, seed_value)`` is idempotent: federations and sections are
matched by code and name, members by membership number (``PS0000001``…), demo
accounts by e-mail; a second run with the same arguments changes nothing, and a
run with more members only adds the missing ones. Member ``i`` is always the same
person for a given ``seed_value`` whatever the requested count. Members are
inserted in bulk (no ORM object per row), so 100,000 members take seconds.

The demo accounts share one password, printed by ``flask demo-accounts``. The
convention's own people (pilots, experts) are not demo accounts and are left alone.
The pilot's and the committee's roles hold in the demo convention (``seed/demo_convention.py``)
when it exists, else in the first convention imported.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import random
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from convention.core.db import db, utcnow
from convention.domain.roles import Role
from convention.members.models import Federation, Member, RoleAssignment, Section, User

logger = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parent / "data"
FEDERATIONS_FILE = DATA / "federations.csv"
DEMO_PASSWORD = "demo-convention-2025"
EMAIL_DOMAIN = "exemple.fr"
MEMBER_PREFIX = "PS"
CHUNK = 5000

FIRST_NAMES = (
    "Camille", "Léa", "Manon", "Chloé", "Emma", "Inès", "Sarah", "Julie", "Laura", "Marie",
    "Claire", "Anne", "Sophie", "Nathalie", "Isabelle", "Sylvie", "Catherine", "Martine",
    "Françoise", "Nadia", "Fatima", "Aïcha", "Yasmine", "Élise", "Hélène", "Agnès", "Céline",
    "Lucie", "Zoé", "Louise", "Thomas", "Nicolas", "Julien", "Antoine", "Pierre", "Jean",
    "Philippe", "Michel", "Alain", "Patrick", "Éric", "François", "Laurent", "Olivier",
    "Stéphane", "Christophe", "Sébastien", "Mathieu", "Hugo", "Lucas", "Louis", "Gabriel",
    "Karim", "Mehdi", "Youssef", "Rachid", "Jérôme", "Benoît", "Yannick", "Gaël", "Loïc",
    "Cédric", "Théo", "Maxime", "Bernard", "Jacques", "René", "Dominique", "Claude", "Frédéric",
)  # fmt: skip
LAST_NAMES = (
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
    "Laurent", "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand", "Morel",
    "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent",
    "Muller", "Lefebvre", "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier",
    "Chevalier", "François", "Legrand", "Gauthier", "Garcia", "Perrin", "Robin", "Clément",
    "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson", "Marchand",
    "Duval", "Denis", "Dumont", "Marie", "Lemaire", "Noël", "Meyer", "Dufour", "Meunier",
    "Brun", "Blanchard", "Giraud", "Joly", "Rivière", "Lucas", "Brunet", "Gaillard", "Barbier",
    "Arnaud", "Martínez", "Gérard", "Roche", "Renard", "Schmitt", "Roy", "Leroux", "Colin",
    "Vidal", "Caron", "Picard", "Roger", "Fabre", "Aubert", "Lemoine", "Renaud", "Dumas",
    "Lacroix", "Olivier", "Philippe", "Bourgeois", "Pierre", "Benoît", "Rey", "Leclerc",
    "Payet", "Rolland", "Le Gall", "Le Goff", "Benali", "Haddad", "Nguyen", "Da Silva",
    "Ferreira", "Kerbrat", "Hoarau", "Mendy", "Diallo", "Traoré", "Belkacem", "Cohen", "Lévy",
    "Ollivier", "Tessier", "Poirier", "Charpentier", "Guillot", "Baron", "Lebrun", "Carpentier",
)  # fmt: skip


@dataclass(frozen=True)
class FederationSpec:
    code: str
    name: str
    title: str
    sections: tuple[str, ...]


@dataclass(frozen=True)
class AccountSpec:
    key: str
    role_label: str
    first_name: str
    last_name: str
    federation_code: str
    section: str
    role: Role | None

    @property
    def email(self) -> str:
        return f"demo.{self.key}@{EMAIL_DOMAIN}"


ACCOUNTS = (
    AccountSpec("militant", "Militante (sans rôle)", "Camille", "Lefèvre", "38", "Grenoble", None),
    AccountSpec("pilote", "Pilote du groupe de travail 1", "Karim", "Benali", "75", "Paris 14e",
                Role.PILOT),
    AccountSpec("comite", "Membre du comité de pilotage", "Sophie", "Marchand", "31", "Toulouse",
                Role.COMMITTEE),
    AccountSpec("section", "Secrétaire de la section de Grenoble", "Julien", "Roux", "38",
                "Grenoble", Role.SECTION_SECRETARY),
    AccountSpec("federation", "Première secrétaire fédérale de l'Isère", "Nadia", "Girard", "38",
                "Vienne", Role.FEDERATION_SECRETARY),
    AccountSpec("bn", "Membre du Bureau national", "Thomas", "Lambert", "75", "Paris 10e",
                Role.NATIONAL_BUREAU),
    # A second member: a change to a frozen roll needs the approval of another member of the Bureau national.
    AccountSpec("bn2", "Membre du Bureau national (second·e)", "Aïcha", "Mansour", "13", "Marseille",
                Role.NATIONAL_BUREAU),
)  # fmt: skip


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    role_label: str


@dataclass
class DemoReport:
    members_requested: int
    seed_value: int
    federations_created: int = 0
    federations_total: int = 0
    sections_created: int = 0
    sections_total: int = 0
    members_created: int = 0
    accounts_created: list[str] = field(default_factory=list)
    accounts: list[DemoAccount] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(
            self.federations_created or self.sections_created or self.members_created
            or self.accounts_created
        )  # fmt: skip

    def lines(self) -> list[str]:
        out = [
            f"Démonstration (graine {self.seed_value}) : {self.federations_total} fédérations "
            f"({self.federations_created} créées), {self.sections_total} sections "
            f"({self.sections_created} créées), {self.members_requested} adhérents demandés "
            f"({self.members_created} créés) en {self.seconds:.1f} s.",
        ]
        if self.accounts:
            # Listed once, with their password, by `flask demo-accounts` (make run calls it).
            out.append(f"{len(self.accounts)} comptes de démonstration : voir « flask demo-accounts ».")
        out.extend(f"Ignoré : {reason}" for reason in self.skipped)
        if not self.changed:
            out.append("Données de démonstration déjà présentes : rien n'a changé.")
        return out


def load_federations(path: Path = FEDERATIONS_FILE) -> list[FederationSpec]:
    """The departmental federations (101 départements and the Français de l'étranger)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            FederationSpec(
                code=row["code"],
                name=row["nom"],
                title=row["titre"],
                sections=tuple(s for s in row["sections"].split("|") if s),
            )  # fmt: skip
            for row in csv.DictReader(handle, delimiter=";")
        ]


def ascii_slug(value: str) -> str:
    """« Lefèvre » → ``lefevre``; « Le Gall » → ``le-gall`` (for e-mail addresses)."""
    text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()
    return "-".join("".join(ch if ch.isalnum() else " " for ch in text).split())


def membership_number(index: int) -> str:
    return f"{MEMBER_PREFIX}{index:07d}"


def dues_dates(today: dt.date) -> tuple[dt.date, dt.date, dt.date, dt.date]:
    """Paid for next year, paid for this year, lapsed last year, lapsed two years ago."""
    year = today.year
    return (
        dt.date(year + 1, 12, 31),
        dt.date(year, 12, 31),
        dt.date(year - 1, 12, 31),
        dt.date(year - 2, 12, 31),
    )


def demo_member_rows(
    count: int, seed_value: int, section_keys: list[tuple[str, str]], today: dt.date
) -> list[dict]:
    """The ``count`` first demo members for ``seed_value`` (section given as (code, name))."""
    rng = random.Random(seed_value)
    paid_next, paid_this, lapsed, long_lapsed = dues_dates(today)
    rows = []
    for index in range(1, count + 1):
        first = rng.choice(FIRST_NAMES)
        last = rng.choice(LAST_NAMES)
        section = section_keys[rng.randrange(len(section_keys))]
        draw = rng.random()
        if draw < 0.55:
            dues = paid_next
        elif draw < 0.85:
            dues = paid_this
        elif draw < 0.95:
            dues = lapsed
        else:
            dues = long_lapsed
        rows.append(
            {
                "membership_number": membership_number(index),
                "first_name": first,
                "last_name": last,
                "email": f"{ascii_slug(first)}.{ascii_slug(last)}.{index}@{EMAIL_DOMAIN}",
                "section": section,
                "dues_paid_until": dues,
            }
        )
    return rows


def _seed_federations(report: DemoReport) -> dict[tuple[str, str], int]:
    """Create the missing federations and sections; section ids by (federation code, name)."""
    specs = load_federations()
    federations = {f.code: f for f in db.session.scalars(sa.select(Federation))}
    for spec in specs:
        federation = federations.get(spec.code)
        if federation is None:
            federation = Federation(code=spec.code, name=spec.name, title=spec.title)
            db.session.add(federation)
            federations[spec.code] = federation
            report.federations_created += 1
    db.session.flush()
    existing = {
        (code, name): section_id
        for section_id, code, name in db.session.execute(
            sa.select(Section.id, Federation.code, Section.name).join(Section.federation)
        )
    }
    new_sections = []
    for spec in specs:
        for name in spec.sections:
            if (spec.code, name) not in existing:
                section = Section(federation_id=federations[spec.code].id, name=name)
                db.session.add(section)
                new_sections.append(((spec.code, name), section))
    if new_sections:
        db.session.flush()
    for key, section in new_sections:
        existing[key] = section.id
    report.sections_created = len(new_sections)
    report.federations_total = len(specs)
    report.sections_total = sum(len(spec.sections) for spec in specs)
    return existing


def _seed_members(report: DemoReport, sections: dict[tuple[str, str], int], today: dt.date) -> None:
    keys = [(spec.code, name) for spec in load_federations() for name in spec.sections]
    rows = demo_member_rows(report.members_requested, report.seed_value, keys, today)
    prefix = f"{MEMBER_PREFIX}%"
    known_numbers = set(
        db.session.scalars(
            sa.select(Member.membership_number).where(Member.membership_number.like(prefix))
        )
    )
    known_emails = set(
        db.session.scalars(sa.select(Member.email).where(Member.email.like(f"%@{EMAIL_DOMAIN}")))
    )
    now = utcnow()
    inserts = []
    for row in rows:
        if row["membership_number"] in known_numbers or row["email"] in known_emails:
            continue
        section_key = row.pop("section")
        inserts.append({**row, "section_id": sections[section_key], "created_dt": now})
    for start in range(0, len(inserts), CHUNK):
        db.session.execute(sa.insert(Member), inserts[start : start + CHUNK])
    report.members_created = len(inserts)


def _seed_accounts(
    report: DemoReport, sections: dict[tuple[str, str], int], today: dt.date
) -> None:
    from convention.core.security import hash_password, verify_password
    from convention.groups.models import WorkingGroup

    convention = role_convention()
    group = None
    if convention is not None:
        group = db.session.scalars(
            sa.select(WorkingGroup).where(
                WorkingGroup.convention_id == convention.id, WorkingGroup.number == 1
            )
        ).first()
    paid_next = dues_dates(today)[0]
    # argon2 is slow by design: one hash for all the demo accounts, each distinct hash checked once.
    checked: dict[str | None, bool] = {}
    shared_hash: list[str] = []

    def demo_hash() -> str:
        if not shared_hash:
            shared_hash.append(hash_password(DEMO_PASSWORD))
        return shared_hash[0]

    def has_demo_password(password_hash: str | None) -> bool:
        if password_hash not in checked:
            checked[password_hash] = verify_password(password_hash, DEMO_PASSWORD)
        return checked[password_hash]

    for position, spec in enumerate(ACCOUNTS, start=1):
        scope: dict[str, int | None] = {}
        if spec.role == Role.PILOT:
            if group is None:
                report.skipped.append(
                    f"{spec.role_label} : pas de groupe de travail n° 1 "
                    "(lancez d'abord « flask seed »)."
                )
                continue
            scope = {"working_group_id": group.id, "convention_id": convention.id}
        elif spec.role == Role.COMMITTEE:
            if convention is None:
                report.skipped.append(f"{spec.role_label} : aucune convention en base.")
                continue
            scope = {"convention_id": convention.id}
        elif spec.role == Role.SECTION_SECRETARY:
            scope = {"section_id": sections[(spec.federation_code, spec.section)]}
        elif spec.role == Role.FEDERATION_SECRETARY:
            scope = {"federation_id": db.session.scalar(
                sa.select(Federation.id).where(Federation.code == spec.federation_code)
            )}  # fmt: skip

        user = db.session.scalars(sa.select(User).where(User.email == spec.email)).first()
        if user is None:
            member = db.session.scalars(sa.select(Member).where(Member.email == spec.email)).first()
            if member is None:
                member = Member(
                    membership_number=f"DEMO{position:03d}",
                    first_name=spec.first_name,
                    last_name=spec.last_name,
                    email=spec.email,
                    section_id=sections[(spec.federation_code, spec.section)],
                    dues_paid_until=paid_next,
                )
                db.session.add(member)
            user = User(
                email=spec.email,
                display_name=f"{spec.first_name} {spec.last_name}",
                password_hash=demo_hash(),
                member=member,
                activated_dt=utcnow(),
            )
            db.session.add(user)
            db.session.flush()
            report.accounts_created.append(spec.email)
        elif not has_demo_password(user.password_hash):
            user.password_hash = demo_hash()
            report.accounts_created.append(spec.email)
        if spec.role is not None:
            held = db.session.scalars(
                sa.select(RoleAssignment).where(
                    RoleAssignment.user_id == user.id,
                    RoleAssignment.role == spec.role,
                    *(getattr(RoleAssignment, k) == v for k, v in scope.items()),
                )
            ).first()
            if held is None:
                db.session.add(RoleAssignment(user_id=user.id, role=spec.role, **scope))
                if spec.email not in report.accounts_created:
                    report.accounts_created.append(spec.email)
        report.accounts.append(DemoAccount(spec.email, DEMO_PASSWORD, spec.role_label))
    db.session.flush()


def role_convention():
    """The convention the demo accounts' roles (pilot, committee) hold in: the demo convention
    when there is one (``flask seed --demo``), else the first convention imported."""
    from convention.conventions.models import Convention
    from seed.demo_convention import find_demo_convention

    return find_demo_convention() or db.session.scalars(
        sa.select(Convention).order_by(Convention.id).limit(1)
    ).first()


def seed_demo(
    members: int = 2000, seed_value: int = 2025, today: dt.date | None = None
) -> DemoReport:
    """Add the demo population (idempotent, reproducible); flushes, never commits."""
    import time

    if members < 0:
        raise ValueError("members must be >= 0")
    started = time.perf_counter()
    today = today or dt.date.today()
    report = DemoReport(members_requested=members, seed_value=seed_value)
    sections = _seed_federations(report)
    _seed_members(report, sections, today)
    _seed_accounts(report, sections, today)
    db.session.flush()
    report.seconds = time.perf_counter() - started
    logger.info(
        "demo: %d federations, %d sections, %d members created",
        report.federations_created, report.sections_created, report.members_created,
    )  # fmt: skip
    return report


def demo_accounts() -> list[DemoAccount]:
    """The demo accounts present in the database, with their shared password and French role."""
    emails = [spec.email for spec in ACCOUNTS]
    present = set(db.session.scalars(sa.select(User.email).where(User.email.in_(emails))))
    return [
        DemoAccount(spec.email, DEMO_PASSWORD, spec.role_label)
        for spec in ACCOUNTS
        if spec.email in present
    ]
