"""Several conventions in one database: a second, published convention with its own rows.

``add_convention(...)`` makes a convention (published unless ``published=False``; archived —
« Texte adopté » in force — unless ``archived=False``) with a phase, a working group, a
contribution, an event and a text of one chapter, so that a test has two conventions whose
pages, permissions and API can be compared. ``feature(convention)`` makes it the one ``/``
shows. Flushes; the caller commits (requests see only committed rows).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from convention.calendar.models import Event, EventKind
from convention.contributions.models import Channel, Contribution
from convention.conventions.models import Convention, Phase
from convention.domain.lifecycle import ContributionStatus
from convention.domain.phases import PhaseKind
from convention.extensions import db
from convention.groups.models import WorkingGroup
from convention.texts.models import Text
from convention.texts.operations import write_text_version
from seed.records import BlockRecord, ChapterRecord, PartRecord

PUBLISHED = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)

PARTS = (
    PartRecord(
        "I",
        "Se loger dignement",
        (
            ChapterRecord(
                "1",
                "Construire",
                (
                    BlockRecord("paragraph", "Le logement est un droit."),
                    BlockRecord("proposal", "Construire cent cinquante mille logements sociaux par an."),
                ),
            ),
        ),
    ),
)


@dataclass
class OtherConvention:
    convention: Convention
    group: WorkingGroup
    contribution: Contribution
    event: Event
    text: Text


def add_convention(
    slug: str = "logement",
    *,
    title: str = "Convention nationale sur le logement",
    short_title: str = "Logement",
    archived: bool = True,
    published: bool = True,
    today: dt.date | None = None,
) -> OtherConvention:
    """A convention with one phase, one group, one contribution, one event and one text."""
    today = today or dt.date.today()
    convention = Convention(
        slug=slug,
        title=title,
        short_title=short_title,
        published_dt=PUBLISHED if published else None,
    )
    if archived:
        convention.phases = [
            Phase(kind=PhaseKind.WORKING_GROUPS, position=1, starts_on=dt.date(2022, 1, 10),
                  ends_on=dt.date(2022, 6, 30)),
            Phase(kind=PhaseKind.ADOPTED_TEXT, position=2, starts_on=dt.date(2022, 12, 1), ends_on=None),
        ]  # fmt: skip
    else:
        convention.phases = [
            Phase(kind=PhaseKind.WORKING_GROUPS, position=1, starts_on=today - dt.timedelta(days=30),
                  ends_on=today + dt.timedelta(days=60)),
        ]  # fmt: skip
    db.session.add(convention)
    db.session.flush()
    group = WorkingGroup(convention_id=convention.id, number=1, title=f"Groupe 1 — {short_title}")
    db.session.add(group)
    db.session.flush()
    number = (
        db.session.scalar(
            sa.select(sa.func.max(Contribution.number)).where(Contribution.convention_id == convention.id)
        )
        or 0
    ) + 1
    contribution = Contribution(
        convention_id=convention.id,
        working_group=group,
        channel=Channel.PLATFORM,
        number=number,
        title=f"Une contribution sur le thème « {short_title} »",
        body="Nous proposons de construire.",
        author_name="Christian Mazé",
        status=ContributionStatus.SUBMITTED,
    )
    event = Event(
        convention_id=convention.id,
        kind=EventKind.HEARING,
        title=f"Audition — {short_title}",
        description="Une audition.",
        starts_dt=Event.local_midnight(dt.date(2022, 3, 14) if archived else today + dt.timedelta(days=7)),
        is_all_day=True,
        place="Paris",
    )
    event.working_groups.append(group)
    text = Text(convention_id=convention.id, slug="texte", title=f"Projet de texte — {short_title}")
    write_text_version(text, PARTS, label="Projet", line_length=80)
    db.session.add_all([contribution, event, text])
    db.session.flush()
    return OtherConvention(convention, group, contribution, event, text)


def publish(convention: Convention, when: dt.datetime = PUBLISHED) -> Convention:
    """Mark an existing (fixture-made) convention published."""
    convention.published_dt = convention.published_dt or when
    db.session.flush()
    return convention


def feature(convention: Convention) -> Convention:
    """Make ``convention`` the one ``/`` shows (and no other)."""
    for other in db.session.scalars(sa.select(Convention).where(Convention.is_featured.is_(True))):
        other.is_featured = False
    db.session.flush()
    convention.is_featured = True
    publish(convention)
    return convention
