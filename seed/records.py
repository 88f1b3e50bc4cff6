"""Plain records the document parser produces and the database loader consumes.

Pure Python: no Flask, no SQLAlchemy. The parser (``seed.parse``) turns the raw
PDF extraction plus the curated outline into a :class:`SeedDocument`; the loader
(``seed.load``) writes it to the database idempotently.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class PersonRecord:
    """Someone named by the document: a pilot, a committee member, an expert heard."""

    full_name: str  # "Roger VICOT" as written, normalised spacing
    first_name: str  # "Roger"
    last_name: str  # "Vicot" (title case for display) -- keep accents
    titles: str = ""  # the biography lines as written, joined with "\n"
    organisation: str = ""  # for experts: "Commission nationale consultative des droits de l'homme"


@dataclass(frozen=True)
class SteeringRecord:
    """A person's role in the convention's steering, as written in the document."""

    person: str  # PersonRecord.full_name
    role: str  # "pilot" | "co_pilot" | "committee"
    role_label: str  # French label as written: "Pilote de la convention", "Membre du comité de pilotage"
    representing: str = ""  # e.g. "TO3", "TO1", "Jeunes socialistes"
    note: str = ""  # e.g. "a succédé à François KALFON"
    position: int = 0


@dataclass(frozen=True)
class WorkingGroupRecord:
    number: int  # 1..7 in the document's order
    title: str  # the exact title, repaired (no line-break hyphenation, French spacing)
    animators: tuple[str, ...]  # PersonRecord.full_name, in the document's order


@dataclass(frozen=True)
class EventRecord:
    """One meeting of the 2024 calendar (one dated entry may give two records)."""

    date: dt.date
    kind: str  # "hearing" | "working_group" | "federation_meeting" | "debate" | "workshop" | "other"
    title: str  # short French title
    description: str  # the entry's full text, repaired
    people: tuple[str, ...] = ()  # full names of the party people leading/attending (pilots...)
    experts: tuple[str, ...] = ()  # full names of the experts heard (also in SeedDocument.people)
    working_groups: tuple[int, ...] = ()  # WorkingGroupRecord.number when the document names the group
    place: str = ""  # when given
    federation: str = ""  # "Haute-Garonne" when it is a federation meeting
    part_of_day: str = ""  # "Matin" / "Soir" when the entry says so
    position: int = 0  # order within the document


@dataclass(frozen=True)
class ContributionRecord:
    list_name: str  # "platform" (the numbered list) | "email" (received by e-mail)
    number: int  # number as printed in its list
    title: str  # repaired title
    author_name: str = ""  # person named by the title, if any ("Christian Mazé")
    section: str = ""  # section named by the title ("Rhône Crussol", "Paris 14e")
    federation: str = ""  # federation named by the title ("Ille-et-Vilaine", "Ariège", "Ardèche")


@dataclass(frozen=True)
class AcronymRecord:
    abbreviation: str
    expansion: str  # the source's text, repaired for line breaks only
    corrected_expansion: str = ""  # set when the source is wrong
    correction_note: str = ""  # why (French)


@dataclass(frozen=True)
class BlockRecord:
    kind: str  # "paragraph" | "subheading" | "proposal" | "recommendation" | "list_item" | "quote"
    text: str  # repaired text (one paragraph; no hard line breaks inside)
    number: str = ""  # recommendation number ("1"), proposal number within its chapter ("3")


@dataclass(frozen=True)
class ChapterRecord:
    number: str  # as printed: "1", "2" ... ("" for an unnumbered introduction/conclusion)
    title: str
    blocks: tuple[BlockRecord, ...]


@dataclass(frozen=True)
class PartRecord:
    number: str  # "I", "II", ... in the document's logical order ("" for a preamble)
    title: str
    chapters: tuple[ChapterRecord, ...]


@dataclass(frozen=True)
class ConventionRecord:
    slug: str
    title: str
    short_title: str
    initiator: str  # "Olivier Faure"
    description: str
    working_groups_start: dt.date
    working_groups_end: dt.date
    national_bureau_on: dt.date
    members_vote_on: dt.date
    convention_day_on: dt.date


@dataclass(frozen=True)
class SeedDocument:
    convention: ConventionRecord
    people: tuple[PersonRecord, ...]
    steering: tuple[SteeringRecord, ...]
    working_groups: tuple[WorkingGroupRecord, ...]
    events: tuple[EventRecord, ...]
    contributions: tuple[ContributionRecord, ...]
    acronyms: tuple[AcronymRecord, ...]
    parts: tuple[PartRecord, ...]
    warnings: tuple[str, ...] = field(default=())
