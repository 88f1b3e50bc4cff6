"""A small world for the amendment tests: a convention, its text cut into lines, one account per role.

The text is written with ``write_text_version`` (two chapters, a few paragraphs long enough to
wrap over several lines); chapter I-1 is assigned to working group 1, chapter I-2 is the
committee's. The phase is forced with ``Convention.phase_override`` (the Bureau national's
switch), so that every cell of the permission matrix is reached whatever today's date.
Built inside the ``database`` fixture; flushes, and commits at the end so requests see it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import sqlalchemy as sa

from convention.amendments import operations as ops
from convention.amendments.models import Amendment, ChapterAssignment
from convention.conventions.models import Convention, Phase
from convention.domain.amendments import AmendmentStatus
from convention.domain.phases import PhaseKind
from convention.domain.roles import Role
from convention.extensions import db
from convention.texts.models import Block, Text, TextVersion
from convention.texts.operations import write_text_version
from seed.records import BlockRecord, ChapterRecord, PartRecord
from tests.auth_fixtures import make_federation, make_group, make_member, make_section, make_user
from tests.convention_fixtures import PUBLISHED  # conventions made here are published

TODAY = dt.date.today()
PAID = dt.date(2099, 12, 31)
LAPSED = dt.date(2020, 12, 31)

# The rows of the permission matrix.
ROLES = (
    "anonymous",
    "member_paid",
    "member_lapsed",
    "section_secretary",  # secretary of Grenoble, whose own dues have lapsed
    "pilot_this_group",  # pilot of group 1, to which chapter I-1 is assigned
    "pilot_other_group",
    "committee",
    "national_bureau",
)
REVIEWERS = frozenset({"pilot_this_group", "committee", "national_bureau"})
# Accounts with a member whose dues are paid (they submit and co-sign in their own name).
DUES_PAID = frozenset({"member_paid", "pilot_this_group", "pilot_other_group", "committee", "national_bureau"})
PHASES = tuple(PhaseKind)
REVIEW_PHASES = frozenset({PhaseKind.AMENDMENTS, PhaseKind.NATIONAL_BUREAU})

P1 = (
    "La prévention de la délinquance commence dès l'école, avec les familles, les éducateurs "
    "de rue et les associations de quartier, qui connaissent les jeunes et leurs difficultés."
)
P2 = "Créer une maison de la justice et du droit dans chaque département d'ici à la fin du mandat."
P3 = (
    "Les polices municipales travaillent avec les habitants, sous l'autorité du maire, dans le "
    "respect des compétences de la police nationale et de la gendarmerie."
)
Q1 = "La justice des mineurs doit rester éducative avant d'être répressive."
Q2 = "Les délais de jugement seront réduits par des recrutements de greffiers et de magistrats."

PARTS = (
    PartRecord(
        "I",
        "Prévenir et protéger",
        (
            ChapterRecord(
                "1",
                "La prévention",
                (
                    BlockRecord("paragraph", P1),
                    BlockRecord("proposal", P2),
                    BlockRecord("paragraph", P3),
                ),
            ),
            ChapterRecord(
                "2",
                "La justice",
                (BlockRecord("paragraph", Q1), BlockRecord("paragraph", Q2)),
            ),
        ),
    ),
)


@dataclass
class World:
    convention: Convention
    group1: object
    group2: object
    federation: object
    section: object  # Grenoble (Isère)
    other_section: object  # Lyon (Rhône)
    other_federation: object
    text: Text
    version: TextVersion
    users: dict = field(default_factory=dict)
    blocks: dict = field(default_factory=dict)  # anchor → Block

    def block(self, anchor: str) -> Block:
        return self.blocks[anchor]


def phase_dates(today: dt.date = TODAY) -> list[tuple[PhaseKind, dt.date, dt.date | None]]:
    """Phase dates around ``today``: the amendment phase runs today (the override wins anyway)."""
    day = dt.timedelta(days=1)
    return [
        (PhaseKind.WORKING_GROUPS, today - 120 * day, today - 61 * day),
        (PhaseKind.CONTRIBUTIONS, today - 90 * day, today - 31 * day),
        (PhaseKind.AMENDMENTS, today - 10 * day, today + 10 * day),
        (PhaseKind.NATIONAL_BUREAU, today + 12 * day, today + 12 * day),
        (PhaseKind.MEMBERS_VOTE, today + 20 * day, today + 22 * day),
        (PhaseKind.CONVENTION_DAY, today + 30 * day, today + 30 * day),
        (PhaseKind.ADOPTED_TEXT, today + 31 * day, None),
    ]


def build_world(phase: PhaseKind | None = PhaseKind.AMENDMENTS) -> World:
    """The convention in ``phase`` (forced), with its text, groups, units and accounts. Commits."""
    convention = Convention(
        published_dt=PUBLISHED,
        slug="securite",
        title="Convention nationale sur la sécurité et la prévention de la délinquance",
        short_title="Sécurité et prévention",
        phase_override=phase,
    )
    for position, (kind, starts_on, ends_on) in enumerate(phase_dates()):
        convention.phases.append(Phase(kind=kind, position=position, starts_on=starts_on, ends_on=ends_on))
    db.session.add(convention)
    db.session.flush()
    group1, group2 = make_group(convention, 1), make_group(convention, 2)
    isere = make_federation("38", "Isère")
    rhone = make_federation("69", "Rhône")
    grenoble = make_section(isere, "Grenoble")
    lyon = make_section(rhone, "Lyon")
    text = Text(convention_id=convention.id, slug="texte", title="Projet de texte")
    version = write_text_version(text, PARTS, label="Projet", line_length=80)
    db.session.add(ChapterAssignment(convention_id=convention.id, chapter_anchor="I-1", working_group_id=group1.id))
    world = World(convention, group1, group2, isere, grenoble, lyon, rhone, text, version)
    world.blocks = {
        b.anchor: b for b in db.session.scalars(sa.select(Block).where(Block.version_id == version.id))
    }

    def account(key, *roles, dues=PAID, section=grenoble, name=None):
        member = make_member(section, name or key.replace("_", " ").title(), "Testeur",
                             email=f"{key}@exemple.fr", dues_paid_until=dues)  # fmt: skip
        world.users[key] = make_user(member=member, roles=roles, display_name=name or key)

    account("member_paid", name="Camille Martin")
    account("member_lapsed", dues=LAPSED, name="Lou Lapsus")
    account("section_secretary", (Role.SECTION_SECRETARY, grenoble), dues=LAPSED, name="Sacha Secrétaire")
    account("pilot_this_group", (Role.PILOT, group1), name="Paule Pilote")
    account("pilot_other_group", (Role.PILOT, group2), name="Pierre Pilote")
    account("committee", (Role.COMMITTEE, convention), name="Claude Comité")
    account("national_bureau", (Role.NATIONAL_BUREAU, None), name="Bérénice Bureau")
    account("author", section=lyon, name="Aurore Autrice")
    db.session.commit()
    return world


# --- one world for many tests (the permission matrix) ---------------------------------------------

# What the amendment actions write; emptied between two cells of the matrix.
WRITTEN_TABLES = (
    "amendment_step",
    "amendment_cosignature",
    "amendment",
    "amendment_cluster",
    "notification",
    "search_document",
    "audit_entry",
    "unsubscribe_token",  # written with the e-mails of the notifications
)


def load_world() -> World:
    """The world ``build_world`` committed, loaded again in the current application context."""
    from convention.groups.models import WorkingGroup
    from convention.members.models import Federation, Section, User

    convention = db.session.scalars(sa.select(Convention)).one()
    groups = {g.number: g for g in db.session.scalars(sa.select(WorkingGroup))}
    federations = {f.code: f for f in db.session.scalars(sa.select(Federation))}
    sections = {s.name: s for s in db.session.scalars(sa.select(Section))}
    text = db.session.scalars(sa.select(Text)).one()
    world = World(convention, groups[1], groups[2], federations["38"], sections["Grenoble"], sections["Lyon"],
                  federations["69"], text, text.current_version)  # fmt: skip
    world.users = {u.email.split("@")[0]: u for u in db.session.scalars(sa.select(User))}
    world.blocks = {b.anchor: b for b in db.session.scalars(sa.select(Block).where(Block.version_id == world.version.id))}
    return world


def table_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def reset_world(world: World, baseline: dict[str, int], dues: dict[int, dt.date | None]) -> None:
    """Remove what a cell wrote, put the world back as built, and check nothing else was left."""
    db.session.rollback()
    for name in WRITTEN_TABLES:
        db.session.execute(db.metadata.tables[name].delete())
    world = load_world()
    world.convention.phase_override = None
    world.convention.amendment_cosignatures_required = 5
    for user in world.users.values():
        user.member.dues_paid_until = dues[user.member_id]
    db.session.commit()
    left = {name: count for name, count in table_counts().items() if count != baseline[name]}
    assert not left, f"rows left behind by the test: {left}"


def make_cosigners(world: World, count: int, *, prefix: str = "cosignataire") -> list:
    """``count`` more accounts of members with dues paid (Lyon). Commits."""
    users = []
    for index in range(count):
        key = f"{prefix}{len(world.users)}_{index}"
        member = make_member(world.other_section, f"Cosi{index}", "Gnataire", email=f"{key}@exemple.fr")
        user = make_user(member=member, display_name=f"Cosi{index} Gnataire")
        world.users[key] = user
        users.append(user)
    db.session.commit()
    return users


def set_phase(world: World, phase: PhaseKind | None) -> None:
    world.convention.phase_override = phase
    db.session.commit()


def edit(text: str, old: str, new: str) -> str:
    """The paragraph ``text`` with ``old`` replaced by ``new`` (once)."""
    assert old in text, old
    return text.replace(old, new, 1)


def submit(
    world: World,
    author: str = "author",
    anchor: str = "I-1-1",
    edited: str | None = None,
    *,
    requested: str = ops.RequestedKind.EDIT,
    rationale: str = "Parce que la prévention est l'affaire de tous.",
    unit=None,
    adopted_on: dt.date | None = None,
    status: AmendmentStatus | None = None,
    commit: bool = True,
) -> Amendment:
    """File an amendment through the operation, the amendment phase forced for the while.

    ``status``: then set directly (the matrix needs an admissible amendment without running
    the whole review). Restores the world's phase and commits.
    """
    phase = world.convention.phase_override
    world.convention.phase_override = PhaseKind.AMENDMENTS
    block = world.block(anchor)
    if edited is None and requested == ops.RequestedKind.EDIT:
        edited = edit(block.text, "dès l'école", "dès la crèche")
    data = ops.AmendmentData(
        requested=requested,
        edited=edited or "",
        rationale=rationale,
        unit=unit,
        adopted_on=adopted_on or (TODAY - dt.timedelta(days=3) if unit is not None else None),
    )
    amendment = ops.submit_amendment(world.users[author], world.convention, world.version, block, data, today=TODAY)
    if status is not None:
        amendment.status = status
    world.convention.phase_override = phase
    db.session.flush()
    if commit:
        db.session.commit()
    return amendment


def log_in(client, user) -> None:
    """Log ``user`` in by the session cookie (no password hashing, no rate limit)."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def log_out(client) -> None:
    with client.session_transaction() as session:
        session.pop("_user_id", None)
        session.pop("_fresh", None)


def preview_key(html: str) -> str:
    """The ``preview_key`` the preview page put in its form."""
    match = re.search(r'name="preview_key" type="hidden" value="([0-9a-f]*)"', html) or re.search(
        r'id="preview_key" name="preview_key" type="hidden" value="([0-9a-f]*)"', html
    )
    assert match and match.group(1), "no preview_key in the page"
    return match.group(1)


def amendment_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Amendment.id)))
