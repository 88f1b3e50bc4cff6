"""The demo convention: the document's convention replayed around the day it is seeded.

``flask seed --demo`` adds it next to the archive (``seed/load.py``), built from the same
document: the same steering committee, working groups and animators (the same ``Person``
rows), the same text as its version 1, the same acronyms and the document's events. Its
phases are the archive's, moved by a whole number of days so that the amendment phase is
open on the day of seeding, two weeks before it closes (the members' vote then comes some
six weeks later, the convention day three weeks after it). The document's events move by
the same number of days: they fall in the (past) working groups' phase.

It is found again by its slug: re-seeding on a later day moves nothing (``flask demo shift``
moves it on purpose). It is published and featured when created (``/`` shows it); the
archive keeps every date of the document and gets none of the demo's data.

``shift_demo(days)`` moves every date of the demo convention — phases, events, contributions,
amendments, polls' windows and émargements, minutes… — by the same number of days. Flushes,
never commits.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from convention.conventions.models import PHASE_LABELS, Convention, Phase
from convention.core.db import db, utcnow
from convention.domain.phases import PhaseKind, PhaseSpan, is_open

logger = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
DEMO_SLUG = "demo-securite-prevention"
DEMO_MARK = " (démonstration)"
DEMO_DESCRIPTION = (
    "Convention de démonstration, construite à partir du texte, des groupes de travail et des "
    "personnes de la convention nationale sur la sécurité et la prévention de la délinquance, avec "
    "des dates replacées autour d'aujourd'hui : la phase des amendements est ouverte. Essayez-la avec "
    "les comptes de démonstration ; la convention d'origine reste consultable telle qu'elle s'est tenue."
)
# Where today stands in the phase that is to be open: this many days before its end (or at its start
# when the phase is shorter; at its start too for the open-ended phase of the adopted text).
DAYS_BEFORE_END = 14


@dataclass
class DemoConventionReport:
    created: bool = False
    days: int = 0  # how far the demo's dates are from the document's
    convention: Convention | None = None
    lines_: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        convention = self.convention
        if convention is None:
            return ["Convention de démonstration ignorée : aucune convention importée."]
        if not self.created:
            return [
                f"Convention de démonstration « {convention.slug} » déjà présente : ses dates ne bougent pas "
                "(« flask demo shift » les déplace)."
            ]
        return [
            f"Convention de démonstration « {convention.slug} » créée, mise à la une : dates du document "
            f"décalées de {self.days} jours, la phase « {PHASE_LABELS[PhaseKind.AMENDMENTS]} » ouverte aujourd'hui.",
            *self.lines_,
        ]


def find_demo_convention() -> Convention | None:
    return db.session.scalar(sa.select(Convention).where(Convention.slug == DEMO_SLUG))


def days_to_open(phases: list[Phase], kind: PhaseKind, today: dt.date) -> int:
    """Days to add to every date so that the phase ``kind`` is open ``today`` (0 if it already is).

    Today is placed ``DAYS_BEFORE_END`` days before the phase's last day, or on its first day when
    it is shorter or open-ended.
    """
    phase = next((p for p in phases if p.kind == kind), None)
    if phase is None:
        raise LookupError(kind)
    if is_open([PhaseSpan(p.kind, p.starts_on, p.ends_on) for p in phases], kind, today):
        return 0
    if phase.ends_on is None:
        target = phase.starts_on
    else:
        target = max(phase.starts_on, phase.ends_on - dt.timedelta(days=DAYS_BEFORE_END))
    return (today - target).days


def seed_demo_convention(archive: Convention, today: dt.date | None = None) -> DemoConventionReport:
    """Create the demo convention once from the document (nothing moves on a later run); flushes."""
    from seed.load import (
        PHASE_DESCRIPTIONS,
        SeedReport,
        _phase_dates,
        _upsert_acronyms,
        _upsert_events,
        _upsert_groups,
        _upsert_people,
        _upsert_steering,
        _upsert_text,
        link_units,
        parse_seed_document,
    )

    report = DemoConventionReport()
    demo = find_demo_convention()
    if demo is not None:
        report.convention = demo
        return report
    today = today or dt.date.today()
    doc = parse_seed_document()
    dates = _phase_dates(doc.convention)
    archived = [Phase(kind=k, position=i, starts_on=s, ends_on=e) for i, (k, s, e) in enumerate(dates, 1)]
    days = days_to_open(archived, PhaseKind.AMENDMENTS, today)
    delta = dt.timedelta(days=days)
    for other in db.session.scalars(sa.select(Convention).where(Convention.is_featured.is_(True))):
        other.is_featured = False  # one featured convention at a time
    demo = Convention(
        slug=DEMO_SLUG,
        title=archive.title + DEMO_MARK,
        short_title=archive.short_title + DEMO_MARK,
        initiator=archive.initiator,
        description=DEMO_DESCRIPTION,
        published_dt=utcnow(),
        is_featured=True,
    )
    db.session.add(demo)
    for position, (kind, starts_on, ends_on) in enumerate(dates, start=1):
        demo.phases.append(
            Phase(
                kind=kind,
                position=position,
                starts_on=starts_on + delta,
                ends_on=ends_on + delta if ends_on is not None else None,
                description=PHASE_DESCRIPTIONS[kind],
            )
        )
    db.session.flush()
    # The same people, committee, groups, events (moved), acronyms and text as the document.
    copy = SeedReport()
    moved = dataclasses.replace(doc, events=[dataclasses.replace(e, date=e.date + delta) for e in doc.events])
    with db.session.no_autoflush:
        people = _upsert_people(doc, copy)
        db.session.flush()
        _upsert_steering(demo, doc, people, copy)
        groups = _upsert_groups(demo, doc, people, copy)
        db.session.flush()
        _upsert_events(demo, moved, people, groups, copy)
        _upsert_acronyms(demo, doc, copy)
        _upsert_text(demo, doc, copy)
    link_units(demo)
    db.session.flush()
    report.created, report.days, report.convention = True, days, demo
    report.lines_ = [
        f"  {kind:<22} {copy.totals[kind]:>5}" for kind in ("pilotage", "groupe de travail", "événement", "acronyme")
    ]
    logger.info("demo convention created, %d days from the document's dates", days)
    return report


# --- flask demo shift ------------------------------------------------------------------------------


# Rows of these tables are shared by every convention: never moved, never walked through.
SHARED_TABLES = frozenset(
    {"convention", "users", "member", "federation", "section", "person", "job", "job_file", "notification",
     "audit_entry", "role_assignment", "search_document", "group_follow"}
)  # fmt: skip


def _date_columns(table: sa.Table) -> list[sa.Column]:
    out = []
    for column in table.columns:
        kind = column.type
        impl = getattr(kind, "impl", kind)
        if isinstance(kind, sa.Date | sa.DateTime) or isinstance(impl, sa.Date | sa.DateTime):
            out.append(column)
    return out


def _owned_tables() -> list[tuple[sa.Table, sa.ColumnElement]]:
    """Each table whose rows belong to one convention, with the condition for the demo's rows.

    Tables with a ``convention_id``, then (walking the foreign keys) the tables below them:
    a poll's questions, ballots and émargements, an amendment's steps and co-signatures…
    """
    metadata = db.metadata
    conditions: dict[str, sa.ColumnElement] = {}
    demo_id = sa.select(Convention.id).where(Convention.slug == DEMO_SLUG).scalar_subquery()
    for table in metadata.sorted_tables:
        if table.name not in SHARED_TABLES and "convention_id" in table.c:
            conditions[table.name] = table.c.convention_id == demo_id
    grew = True
    while grew:
        grew = False
        for table in metadata.sorted_tables:
            if table.name in conditions or table.name in SHARED_TABLES:
                continue
            links = []
            for fk in table.foreign_keys:
                parent = fk.column.table
                if parent.name in conditions and parent is not table:
                    chosen = sa.select(fk.column).where(conditions[parent.name])
                    links.append(fk.parent.in_(chosen))
            if links:
                conditions[table.name] = sa.or_(*links)
                grew = True
    return [(metadata.tables[name], condition) for name, condition in conditions.items()]


@dataclass
class ShiftReport:
    days: int = 0
    phase: PhaseKind = PhaseKind.AMENDMENTS
    moved: dict[str, int] = field(default_factory=dict)
    override_cleared: PhaseKind | None = None

    def lines(self) -> list[str]:
        label = PHASE_LABELS[self.phase]
        if not self.days:
            out = [f"La phase « {label} » de la démonstration est déjà ouverte aujourd'hui : aucune date n'a bougé."]
        else:
            out = [
                f"Dates de la démonstration décalées de {self.days:+d} jours : "
                f"la phase « {label} » est ouverte aujourd'hui."
            ]
            out.extend(f"  {name:<26} {count:>6} ligne(s)" for name, count in self.moved.items() if count)
        if self.override_cleared is not None:
            out.append(f"Phase forcée « {PHASE_LABELS[self.override_cleared]} » levée : les dates font foi.")
        return out


def shift_demo(phase: PhaseKind = PhaseKind.AMENDMENTS, today: dt.date | None = None) -> ShiftReport:
    """Move every date of the demo convention by the days that open ``phase`` today; flushes.

    Raises LookupError when there is no demo convention (or it lacks the phase).
    """
    demo = find_demo_convention()
    if demo is None:
        raise LookupError(DEMO_SLUG)
    today = today or dt.date.today()
    report = ShiftReport(phase=phase)
    if demo.phase_override is not None and demo.phase_override != phase:
        report.override_cleared = demo.phase_override
    demo.phase_override = None
    report.days = days_to_open(list(demo.phases), phase, today)
    if report.days:
        report.moved = _move(dt.timedelta(days=report.days))
        from convention.search.indexing import rebuild_index

        db.session.expire_all()
        rebuild_index(find_demo_convention().id)
    db.session.flush()
    return report


def _later(value, delta: dt.timedelta):
    """``value`` moved by ``delta`` days, keeping its wall-clock time in Paris (an all-day event stays
    at local midnight across a change of summer time)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return (value.astimezone(PARIS) + delta).astimezone(dt.UTC)
    return value + delta


def _move(delta: dt.timedelta) -> dict[str, int]:
    """Add ``delta`` to every date and time of the demo's rows, table by table (in Python: both engines)."""
    db.session.flush()
    moved: dict[str, int] = {}
    for table, condition in _owned_tables():
        columns = _date_columns(table)
        primary = list(table.primary_key.columns)
        if not columns or len(primary) != 1:
            continue
        (key,) = primary
        rows = db.session.execute(sa.select(key, *columns).where(condition)).all()
        updates = []
        for row in rows:
            values = {f"v_{c.name}": _later(row[i + 1], delta) for i, c in enumerate(columns)}
            updates.append({"k_id": row[0], **values})
        if updates:
            statement = (
                sa.update(table)
                .where(key == sa.bindparam("k_id"))
                .values({c.name: sa.bindparam(f"v_{c.name}") for c in columns})
            )
            db.session.execute(statement, updates, execution_options={"synchronize_session": False})
        moved[table.name] = len(updates)
    return moved
