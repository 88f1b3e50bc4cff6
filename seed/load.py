"""Write the parsed convention document to the database, idempotently.

``seed_convention()`` parses ``seed/data/document.txt`` with the curated
``seed/data/outline.toml`` and upserts every record: a second run finds
everything in place and changes nothing. It flushes but does not commit
(the ``flask seed`` command commits once).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from convention.calendar.models import Event, EventKind, EventPerson, EventPersonRole
from convention.contributions.models import Channel, Contribution
from convention.conventions.models import Convention, Phase
from convention.core.audit import audit
from convention.core.db import utcnow
from convention.domain.phases import PhaseKind
from convention.extensions import db
from convention.groups.models import (
    Person,
    SteeringRole,
    SteeringRoleKind,
    WorkingGroup,
    WorkingGroupAnimator,
)
from convention.members.models import Federation, Section
from convention.texts.models import Acronym, Text, VersionStatus
from seed.records import ConventionRecord, SeedDocument

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
DOCUMENT_PATH = DATA_DIR / "document.txt"
OUTLINE_PATH = DATA_DIR / "outline.toml"
TEXT_SLUG = "texte"


@dataclass
class SeedReport:
    """What a seed run created, updated or left unchanged, per kind of record."""

    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    totals: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    convention: Convention | None = None

    def count(self, kind: str, outcome: str) -> None:
        getattr(self, outcome)[kind] += 1

    @property
    def changed(self) -> bool:
        return bool(sum(self.created.values()) or sum(self.updated.values()))

    def lines(self) -> list[str]:
        out = ["Convention importée depuis seed/data/document.txt :"]
        for kind in self.totals:
            out.append(
                f"  {kind:<22} {self.totals[kind]:>5}  "
                f"({self.created[kind]} créés, {self.updated[kind]} mis à jour, "
                f"{self.unchanged[kind]} inchangés)"
            )
        if not self.changed:
            out.append("Rien à changer : la base était déjà à jour.")
        out.extend(f"  avertissement : {w}" for w in self.warnings)
        return out


@functools.lru_cache(maxsize=1)
def parse_seed_document() -> SeedDocument:
    """Parse the convention's document with its curated outline (once per process: it is immutable)."""
    from seed.parse import load_outline, parse_document

    raw = DOCUMENT_PATH.read_text(encoding="utf-8")
    return parse_document(raw, load_outline(OUTLINE_PATH))


def seed_convention(verbose: bool = False, document: SeedDocument | None = None) -> SeedReport:
    """Upsert the convention described by the document; flush, never commit."""
    doc = document or parse_seed_document()
    report = SeedReport(warnings=list(doc.warnings))
    with db.session.no_autoflush:
        convention = _upsert_convention(doc.convention, report)
        db.session.flush()
        people = _upsert_people(doc, report)
        db.session.flush()
        _upsert_steering(convention, doc, people, report)
        groups = _upsert_groups(convention, doc, people, report)
        db.session.flush()
        _upsert_events(convention, doc, people, groups, report)
        _upsert_contributions(convention, doc, report)
        _upsert_acronyms(convention, doc, report)
        _upsert_text(convention, doc, report)
    link_units(convention)
    db.session.flush()
    from convention.search.indexing import rebuild_index

    rebuild_index(convention.id)
    report.convention = convention
    if report.changed:
        audit(
            None,
            "convention.seed",
            convention,
            created=dict(report.created),
            updated=dict(report.updated),
        )
        db.session.flush()
    if verbose:
        for line in report.lines():
            logger.info(line)
    return report


def _set(obj: object, values: dict) -> bool:
    """Assign ``values`` to ``obj``; True if anything changed."""
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def _upsert(report: SeedReport, kind: str, obj: object | None, factory, values: dict):
    """Create ``factory(**values)`` or update ``obj``; count the outcome in ``report``."""
    if obj is None:
        obj = factory(**values)
        db.session.add(obj)
        report.count(kind, "created")
    elif _set(obj, values):
        report.count(kind, "updated")
    else:
        report.count(kind, "unchanged")
    report.totals[kind] = report.totals.get(kind, 0) + 1
    return obj


def _phase_dates(record: ConventionRecord) -> list[tuple[PhaseKind, dt.date, dt.date | None]]:
    """The seven phases of the convention, dated from the document's key dates."""
    day = dt.timedelta(days=1)
    return [
        (PhaseKind.WORKING_GROUPS, record.working_groups_start, record.working_groups_end),
        (PhaseKind.CONTRIBUTIONS, record.working_groups_start, record.working_groups_end),
        (PhaseKind.AMENDMENTS, record.working_groups_end + day, record.national_bureau_on - day),
        (PhaseKind.NATIONAL_BUREAU, record.national_bureau_on, record.members_vote_on - day),
        (PhaseKind.MEMBERS_VOTE, record.members_vote_on, record.members_vote_on),
        (PhaseKind.CONVENTION_DAY, record.members_vote_on + day, record.convention_day_on),
        (PhaseKind.ADOPTED_TEXT, record.convention_day_on + day, None),
    ]


PHASE_DESCRIPTIONS = {
    PhaseKind.WORKING_GROUPS: "Les groupes de travail thématiques auditionnent des experts et "
    "rencontrent les fédérations.",
    PhaseKind.CONTRIBUTIONS: "Militants, sections et fédérations envoient leurs contributions.",
    PhaseKind.AMENDMENTS: "Les militants amendent le projet de texte.",
    PhaseKind.NATIONAL_BUREAU: "Le Bureau national examine le texte amendé et décide de le "
    "soumettre au vote militant.",
    PhaseKind.MEMBERS_VOTE: "Les adhérents à jour de cotisation votent sur le texte.",
    PhaseKind.CONVENTION_DAY: "La journée de la convention adopte définitivement le texte.",
    PhaseKind.ADOPTED_TEXT: "Le texte adopté est la position du Parti socialiste.",
}


def _upsert_convention(record: ConventionRecord, report: SeedReport) -> Convention:
    convention = db.session.scalar(sa.select(Convention).filter_by(slug=record.slug))
    convention = _upsert(
        report,
        "convention",
        convention,
        Convention,
        {
            "slug": record.slug,
            "title": record.title,
            "short_title": record.short_title,
            "initiator": record.initiator,
            "description": record.description,
        },
    )
    if convention.published_dt is None:
        # The archive is public as soon as it is imported; featured only if no other convention is.
        convention.published_dt = utcnow()
        if not db.session.scalar(sa.select(Convention.id).where(Convention.is_featured.is_(True)).limit(1)):
            convention.is_featured = True
    existing = {p.kind: p for p in convention.phases}
    for position, (kind, starts_on, ends_on) in enumerate(_phase_dates(record), start=1):
        values = {
            "kind": kind,
            "position": position,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "description": PHASE_DESCRIPTIONS[kind],
        }
        phase = _upsert(report, "phase", existing.get(kind), Phase, values)
        if phase not in convention.phases:
            convention.phases.append(phase)
    return convention


def _upsert_people(doc: SeedDocument, report: SeedReport) -> dict[str, Person]:
    names = [p.full_name for p in doc.people]
    existing = {
        p.full_name: p
        for p in db.session.scalars(sa.select(Person).where(Person.full_name.in_(names)))
    }
    people = {}
    for record in doc.people:
        people[record.full_name] = _upsert(
            report, "personne", existing.get(record.full_name), Person, asdict(record)
        )
    return people


def _upsert_steering(
    convention: Convention, doc: SeedDocument, people: dict[str, Person], report: SeedReport
) -> None:
    existing = {
        (s.person_id, s.kind): s
        for s in db.session.scalars(sa.select(SteeringRole).filter_by(convention_id=convention.id))
    }
    for record in doc.steering:
        person = people[record.person]
        kind = SteeringRoleKind(record.role)
        _upsert(
            report,
            "pilotage",
            existing.get((person.id, kind)),
            SteeringRole,
            {
                "convention_id": convention.id,
                "person_id": person.id,
                "kind": kind,
                "label": record.role_label,
                "representing": record.representing,
                "note": record.note,
                "position": record.position,
            },
        )


def _upsert_groups(
    convention: Convention, doc: SeedDocument, people: dict[str, Person], report: SeedReport
) -> dict[int, WorkingGroup]:
    existing = {
        g.number: g
        for g in db.session.scalars(sa.select(WorkingGroup).filter_by(convention_id=convention.id))
    }
    groups = {}
    for record in doc.working_groups:
        group = _upsert(
            report,
            "groupe de travail",
            existing.get(record.number),
            WorkingGroup,
            {"convention_id": convention.id, "number": record.number, "title": record.title},
        )
        wanted = [people[name] for name in record.animators]
        current = [a.person for a in group.animators]
        if [p.full_name for p in current] != [p.full_name for p in wanted]:
            group.animators.clear()
            db.session.flush()
            for position, person in enumerate(wanted):
                group.animators.append(WorkingGroupAnimator(person=person, position=position))
            if report.created["groupe de travail"] == 0:
                report.count("animateur", "updated")
        groups[record.number] = group
    return groups


def _upsert_events(
    convention: Convention,
    doc: SeedDocument,
    people: dict[str, Person],
    groups: dict[int, WorkingGroup],
    report: SeedReport,
) -> None:
    existing = {
        e.seed_key: e
        for e in db.session.scalars(
            sa.select(Event).where(
                Event.convention_id == convention.id, Event.seed_key.is_not(None)
            )
        )
    }
    per_day: Counter = Counter()
    for record in doc.events:
        per_day[record.date] += 1
        seed_key = f"{record.date.isoformat()}#{per_day[record.date]}"
        event = _upsert(
            report,
            "événement",
            existing.get(seed_key),
            Event,
            {
                "convention_id": convention.id,
                "seed_key": seed_key,
                "kind": EventKind(record.kind),
                "title": record.title,
                "description": record.description,
                "starts_dt": Event.local_midnight(record.date),
                "is_all_day": True,
                "part_of_day": record.part_of_day,
                "place": record.place,
                "federation_name": record.federation,
                "position": record.position,
            },
        )
        wanted_groups = [groups[n] for n in record.working_groups]
        if [g.number for g in event.working_groups] != [g.number for g in wanted_groups]:
            event.working_groups = wanted_groups
        wanted_people = [(people[n], EventPersonRole.HOST) for n in record.people] + [
            (people[n], EventPersonRole.EXPERT) for n in record.experts
        ]
        current_people = [(p.person.full_name, p.role) for p in event.participants]
        if current_people != [(p.full_name, r) for p, r in wanted_people]:
            event.participants.clear()
            db.session.flush()
            for position, (person, role) in enumerate(wanted_people):
                event.participants.append(EventPerson(person=person, role=role, position=position))


def _upsert_contributions(convention: Convention, doc: SeedDocument, report: SeedReport) -> None:
    """The document's two lists, numbered in one series within the convention.

    The platform list keeps its printed numbers; the e-mail list follows it (its « N° 1 »
    becomes the number after the platform list's last), so no number appears twice.
    """
    existing = {
        (c.channel, c.number): c
        for c in db.session.scalars(sa.select(Contribution).filter_by(convention_id=convention.id))
    }
    platform_last = max(
        (r.number for r in doc.contributions if r.list_name == "platform"), default=0
    )
    for record in doc.contributions:
        channel = Channel.PLATFORM if record.list_name == "platform" else Channel.EMAIL
        number = record.number if channel == Channel.PLATFORM else platform_last + record.number
        _upsert(
            report,
            "contribution",
            existing.get((channel, number)),
            Contribution,
            {
                "convention_id": convention.id,
                "channel": channel,
                "number": number,
                "submitted_date_known": False,
                "title": record.title,
                "author_name": record.author_name,
                "section_name": record.section,
                "federation_name": record.federation,
            },
        )


def _upsert_acronyms(convention: Convention, doc: SeedDocument, report: SeedReport) -> None:
    existing = {
        a.abbreviation: a
        for a in db.session.scalars(sa.select(Acronym).filter_by(convention_id=convention.id))
    }
    for record in doc.acronyms:
        _upsert(
            report,
            "acronyme",
            existing.get(record.abbreviation),
            Acronym,
            {"convention_id": convention.id, **asdict(record)},
        )


def text_checksum(doc: SeedDocument) -> str:
    """SHA-256 of the text's structure: the same document always gives the same checksum."""
    payload = json.dumps([asdict(p) for p in doc.parts], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def _upsert_text(convention: Convention, doc: SeedDocument, report: SeedReport) -> None:
    from convention.texts.operations import write_text_version

    text = db.session.scalar(sa.select(Text).filter_by(convention_id=convention.id, slug=TEXT_SLUG))
    if text is None:
        text = Text(convention_id=convention.id, slug=TEXT_SLUG, title=convention.title)
        db.session.add(text)
        db.session.flush()
    checksum = text_checksum(doc)
    first = next((v for v in text.versions if v.number == 1), None)
    report.totals["version du texte"] = 1
    if first is not None and first.checksum == checksum:
        report.count("version du texte", "unchanged")
        return
    if first is not None:
        # The curated outline changed: rebuild the seeded draft in place.
        text.versions.remove(first)
        db.session.flush()
        report.count("version du texte", "updated")
    else:
        report.count("version du texte", "created")
    version = write_text_version(
        text,
        doc.parts,
        label="Projet de texte",
        status=VersionStatus.DRAFT,
        source="seed/data/document.txt",
        line_length=current_app.config["TEXT_LINE_LENGTH"],
        number=1,
    )
    version.checksum = checksum


def link_units(convention: Convention) -> None:
    """Link contributions and events to the Federation/Section rows their names designate."""
    federations = {f.name.casefold(): f for f in db.session.scalars(sa.select(Federation))}
    if not federations:
        return
    sections = {}
    for section in db.session.scalars(sa.select(Section)):
        sections.setdefault(section.name.casefold(), section)
    for contribution in db.session.scalars(
        sa.select(Contribution).filter_by(convention_id=convention.id)
    ):
        federation = federations.get(contribution.federation_name.casefold())
        if federation is not None and contribution.federation_id != federation.id:
            contribution.federation = federation
        section = sections.get(contribution.section_name.casefold())
        if section is not None and contribution.section_id != section.id:
            contribution.section = section
    for event in db.session.scalars(sa.select(Event).filter_by(convention_id=convention.id)):
        federation = federations.get(event.federation_name.casefold())
        if federation is not None and event.federation_id != federation.id:
            event.federation = federation
