"""A small world for the contribution and provenance tests.

One convention whose contributions phase is before, during or after today; two working
groups; one account per role of the permission matrix (each with a member record); a
text with one chapter of three blocks (one a proposal); a hearing of group 1.
Built inside the ``database`` fixture; flushes, and commits at the end so requests see it.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field

from convention.calendar.models import Event, EventKind
from convention.contributions.models import Channel, Contribution
from convention.conventions.models import Convention, Phase
from convention.domain.lifecycle import ContributionStatus
from convention.domain.phases import PhaseKind
from convention.domain.roles import Role
from convention.domain.textstructure import BlockKind
from convention.extensions import db
from convention.texts.models import Block, Chapter, Part, Proposal, Text, TextVersion
from tests.auth_fixtures import (
    make_federation,
    make_group,
    make_member,
    make_section,
    make_user,
)
from tests.convention_fixtures import PUBLISHED  # conventions made here are published

ROLES = (
    "militant",
    "pilot_this_group",
    "pilot_other_group",
    "committee",
    "section_secretary",
    "federation_secretary",
    "national_bureau",
)
PHASES = ("before", "during", "after")
MODERATORS = {"pilot_this_group", "committee", "national_bureau"}


def contribution_dates(when: str, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """Dates of the contributions phase so that ``today`` is before, during or after it."""
    today = today or dt.date.today()
    day = dt.timedelta(days=1)
    return {
        "before": (today + 10 * day, today + 40 * day),
        "during": (today - 10 * day, today + 10 * day),
        "after": (today - 40 * day, today - 10 * day),
    }[when]


@dataclass
class World:
    convention: Convention
    group1: object
    group2: object
    section: object
    federation: object
    users: dict = field(default_factory=dict)
    text: Text | None = None
    version: TextVersion | None = None
    chapter: Chapter | None = None
    blocks: list = field(default_factory=list)
    hearing: Event | None = None


def build_world(when: str = "during") -> World:
    today = dt.date.today()
    convention = Convention(
        published_dt=PUBLISHED,
        slug="securite",
        title="Convention nationale sur la sécurité et la prévention de la délinquance",
        short_title="Sécurité et prévention",
    )
    starts, ends = contribution_dates(when, today)
    convention.phases.append(
        Phase(kind=PhaseKind.WORKING_GROUPS, position=0, starts_on=today - dt.timedelta(days=90),
              ends_on=today + dt.timedelta(days=90))
    )  # fmt: skip
    convention.phases.append(
        Phase(kind=PhaseKind.CONTRIBUTIONS, position=1, starts_on=starts, ends_on=ends)
    )
    db.session.add(convention)
    db.session.flush()
    group1, group2 = make_group(convention, 1), make_group(convention, 2)
    isere = make_federation("38", "Isère")
    grenoble = make_section(isere, "Grenoble")
    world = World(convention, group1, group2, grenoble, isere)

    def account(key, *roles):
        member = make_member(grenoble, key.capitalize(), email=f"{key}@exemple.fr")
        world.users[key] = make_user(member=member, roles=roles, display_name=key)

    account("militant")
    account("pilot_this_group", (Role.PILOT, group1))
    account("pilot_other_group", (Role.PILOT, group2))
    account("committee", (Role.COMMITTEE, convention))
    account("section_secretary", (Role.SECTION_SECRETARY, grenoble))
    account("federation_secretary", (Role.FEDERATION_SECRETARY, isere))
    account("national_bureau", (Role.NATIONAL_BUREAU, None))

    text = Text(convention_id=convention.id, slug="texte", title="Projet de texte")
    version = TextVersion(text=text, number=1, label="Projet")
    part = Part(version=version, position=1, number="I", title="Prévenir")
    db.session.add_all([text, version, part])
    db.session.flush()
    chapter = Chapter(part=part, version_id=version.id, position=1, number="1",
                      title="La prévention", anchor="I-1")  # fmt: skip
    db.session.add(chapter)
    db.session.flush()
    texts = [
        (BlockKind.PARAGRAPH, "La prévention de la délinquance commence tôt."),
        (BlockKind.PROPOSAL, "Créer une maison de la justice dans chaque département."),
        (BlockKind.PARAGRAPH, "Les polices municipales travaillent avec les habitants."),
    ]
    for position, (kind, body) in enumerate(texts, start=1):
        block = Block(chapter=chapter, version_id=version.id, position=position,
                      anchor=f"I-1-{position}", kind=kind, text=body,
                      line_start=position * 2 - 1, line_end=position * 2)  # fmt: skip
        db.session.add(block)
        db.session.flush()
        if kind == BlockKind.PROPOSAL:
            db.session.add(Proposal(version_id=version.id, block_id=block.id,
                                    chapter_id=chapter.id, reference="I.1.1", rank=1))  # fmt: skip
        world.blocks.append(block)
    hearing = Event(
        convention_id=convention.id,
        kind=EventKind.HEARING,
        title="Audition d'une magistrate",
        starts_dt=Event.local_midnight(today - dt.timedelta(days=5)),
    )
    hearing.working_groups.append(group1)
    db.session.add(hearing)
    db.session.flush()
    world.text, world.version, world.chapter, world.hearing = text, version, chapter, hearing
    db.session.commit()
    return world


def make_contribution(
    world: World,
    *,
    author: str = "militant",
    group=None,
    status: ContributionStatus = ContributionStatus.SUBMITTED,
    title: str = "Pour une police de proximité",
    body: str = "Nous proposons **plus** de présence humaine.",
    whole_convention: bool = False,
) -> Contribution:
    user = world.users[author]
    contribution = Contribution(
        convention_id=world.convention.id,
        working_group=None if whole_convention else (group or world.group1),
        channel=Channel.PLATFORM,
        title=title,
        body=body,
        author_name=user.display_name,
        author_member_id=user.member_id,
        submitted_by_id=user.id,
        status=status,
    )
    db.session.add(contribution)
    db.session.commit()
    return contribution


def log_in(client, user) -> None:
    """Log ``user`` in by the session cookie (no password hashing, no rate limit)."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


# --- documents --------------------------------------------------------------------------------

PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>"
    b"endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
# The start of a Windows executable (MZ header) and of a Linux one (ELF).
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
ELF_BYTES = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200


def odt_bytes(
    *, macros: bool = False, mimetype: str = "application/vnd.oasis.opendocument.text"
) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), mimetype)
        archive.writestr("content.xml", "<office:document-content/>")
        archive.writestr("META-INF/manifest.xml", "<manifest:manifest/>")
        if macros:
            archive.writestr("Basic/Standard/Module1.xml", "<script/>")
    return buffer.getvalue()


def docx_bytes(*, macro_enabled: bool = False) -> bytes:
    main = (
        "application/vnd.ms-word.document.macroEnabled.main+xml"
        if macro_enabled
        else "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            f'<Types><Override PartName="/word/document.xml" ContentType="{main}"/></Types>',
        )
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def plain_zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("virus.exe", EXE_BYTES)
    return buffer.getvalue()
