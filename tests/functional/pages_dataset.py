"""A small convention built with the models, for the public page tests.

It mirrors the real document (the seven working groups, the 9 December 2024
meetings, proposals, acronyms) so that the page tests read the same whether
they run on it or on the seeded convention. ``build_pages_dataset()`` flushes
and commits nothing itself; the caller commits.

``pages_site`` (module scope) gives the seeded convention once the seed loader and
its demo data exist, else this dataset; import it into a test module to use it.
"""

from __future__ import annotations

import datetime as dt
import importlib.util

import pytest

from convention.calendar.models import Event, EventKind, EventPerson, EventPersonRole
from convention.contributions.models import Channel, Contribution
from convention.conventions.models import Convention, Phase
from convention.domain.lifecycle import ContributionStatus
from convention.domain.phases import PhaseKind
from convention.domain.textstructure import BlockKind, number_lines, proposal_reference
from convention.extensions import db
from convention.groups.models import (
    Person,
    SteeringRole,
    SteeringRoleKind,
    WorkingGroup,
    WorkingGroupAnimator,
)
from convention.members.models import Federation, Section
from convention.texts.models import (
    Acronym,
    Block,
    Chapter,
    Part,
    Proposal,
    Text,
    TextVersion,
    VersionStatus,
)
from tests.convention_fixtures import PUBLISHED  # conventions made here are published

GROUPS = (
    (
        "Quelle réforme de la police nationale ? Recrutement, formation, répartition, "
        "doctrine d’emploi, déontologie",
        ("Roger VICOT",),
    ),
    ("La prévention de la délinquance au cœur de notre vision", ("Nesrine REZZAG BARA",)),
    (
        "Le trafic de stupéfiants : quelle répression, quelle prévention, quelle stratégie "
        "globale ?",
        ("Jérôme DURAIN", "Anna PIC"),
    ),
    ("Police, gendarmerie, justice : quelles relations pour quoi faire ?", ("Floran VADILLO",)),
    (
        "Entre régalien et local : architecture de la gouvernance de la sécurité en France",
        ("Nicolas NORDMAN",),
    ),
    ("Relations police-population", ("Alexandra JARDIN", "Jérôme DURAIN")),
    ("Nouveaux défis technologiques et sécurité", ("Louis L’HARIDON",)),
)

PEOPLE = {
    "Roger VICOT": ("Roger", "Vicot", "Député du Nord, secrétaire national à la Sécurité\n"
                    "Ancien président du Forum français pour la sécurité urbaine", ""),
    "Nesrine REZZAG BARA": ("Nesrine", "Rezzag Bara", "Adjointe à la sécurité de Nanterre", ""),
    "Anna PIC": ("Anna", "Pic", "Députée de la Manche", ""),
    "Jérôme DURAIN": ("Jérôme", "Durain", "Sénateur de la Saône-et-Loire", ""),
    "Floran VADILLO": ("Floran", "Vadillo", "Secrétaire national à la Protection des libertés", ""),
    "Nicolas NORDMAN": ("Nicolas", "Nordman", "Adjoint à la Maire de Paris", ""),
    "Alexandra JARDIN": ("Alexandra", "Jardin", "Adjointe au Maire du 20e arrondissement", ""),
    "Louis L’HARIDON": ("Louis", "L’Haridon", "Porte-parole des Jeunes socialistes", ""),
    "Thomas DUMORTIER": ("Thomas", "Dumortier", "",
                         "Commission nationale consultative des droits de l’homme"),
    "Christophe KORELL": ("Christophe", "Korell", "", "Police nationale"),
}  # fmt: skip

ACRONYMS = (
    ("CLSPD", "Conseils Locaux de Sécurité et de Prévention de la Délinquance", "", ""),
    (
        "CNCDH",
        "Commission consultative nationale des droits de l’homme",
        "Commission nationale consultative des droits de l’homme",
        "Les mots « nationale » et « consultative » sont inversés dans le document.",
    ),
    ("IA", "Intelligence Artificielle", "", ""),
    ("OPJ", "Officier de Police Judiciaire", "", ""),
)

# (part number, part title, [(chapter number, chapter title, [(kind, text, number)])])
TEXT = (
    (
        "I",
        "Rétablir la vérité : la gauche, actrice majeure de la sécurité",
        (
            (
                "1",
                "Une histoire de la sécurité à gauche",
                (
                    ("paragraph", "Le Parti socialiste n’a jamais cessé de se préoccuper de ces "
                     "questions : les CLSPD ont été créés sous la gauche plurielle.", ""),
                    ("subheading", "Pierre Joxe, pionnier et réformateur", ""),
                    ("paragraph", "Sous les septennats de François Mitterrand, les questions de "
                     "sécurité ont bénéficié du travail de Pierre Joxe. Un texte <b>en gras</b> "
                     "reste du texte.", ""),
                    ("proposal", "Généraliser les CLSPD dans toutes les communes de plus de "
                     "10 000 habitants.", ""),
                ),
            ),
        ),
    ),
    (
        "II",
        "L’égalité : une sécurité pour toutes et tous",
        (
            (
                "1",
                "Une police formée et présente",
                (
                    ("paragraph", "La formation initiale des policiers doit être allongée ; "
                     "la CNCDH l’a recommandé à plusieurs reprises, tout comme l’usage "
                     "encadré de l’IA.", ""),
                    ("proposal", "Porter la formation initiale des gardiens de la paix à "
                     "deux ans.", ""),
                    ("proposal", "Créer 2 000 postes d’OPJ supplémentaires.", ""),
                    ("recommendation", "Rendre public chaque année un rapport sur la "
                     "déontologie.", "1"),
                    ("list_item", "un recrutement ouvert à tous les territoires ;", ""),
                    ("quote", "« La sécurité est la première des libertés. »", ""),
                ),
            ),
            (
                "2",
                "La prévention, premier maillon",
                (
                    ("paragraph", "La prévention de la délinquance est le premier maillon de "
                     "la chaîne prévention, sécurité, justice.", ""),
                    ("proposal", "Doter chaque département d’une stratégie de prévention "
                     "financée.", ""),
                ),
            ),
        ),
    ),
)


def seed_is_complete() -> bool:
    """True once ``seed.load`` and ``seed.demo`` (used by the ``seeded`` fixture) exist."""
    return all(importlib.util.find_spec(name) for name in ("seed.load", "seed.demo"))


@pytest.fixture(scope="module")
def pages_site(request, app):
    """The seeded convention when the seed is complete, else the pages dataset."""
    if seed_is_complete():
        yield request.getfixturevalue("seeded")
        return
    from tests.conftest import empty_tables

    with app.app_context():
        empty_tables()
        build_pages_dataset()
        db.session.commit()
        yield db
        empty_tables()


def _person(name: str) -> Person:
    first, last, titles, organisation = PEOPLE[name]
    return Person(
        full_name=name,
        first_name=first,
        last_name=last,
        titles=titles,
        organisation=organisation,
    )


def _add_text(convention: Convention) -> Text:
    text = Text(
        convention=convention, slug="texte", title="Sécurité et prévention de la délinquance"
    )
    db.session.add(text)
    for number, (label, status) in enumerate(
        (("Projet de texte", VersionStatus.DRAFT), ("Texte amendé", VersionStatus.AMENDED)),
        start=1,
    ):
        version = TextVersion(text=text, number=number, label=label, status=status)
        db.session.add(version)
        db.session.flush()
        all_blocks = [
            (p, c, b) for p in TEXT for c in p[2] for b in c[2]
        ]
        spans = iter(number_lines([b[1] for _, _, b in all_blocks], version.line_length))
        for part_position, (part_number, part_title, chapters) in enumerate(TEXT):
            part = Part(version=version, position=part_position, number=part_number,
                        title=part_title)
            db.session.add(part)
            for chapter_position, (chapter_number, chapter_title, blocks) in enumerate(chapters):
                chapter = Chapter(
                    part=part,
                    version_id=version.id,
                    position=chapter_position,
                    number=chapter_number,
                    title=chapter_title,
                    anchor=f"{part_number}-{chapter_number}",
                )
                db.session.add(chapter)
                db.session.flush()
                rank = 0
                for block_position, (kind, body, block_number) in enumerate(blocks):
                    line_start, line_end = next(spans)
                    block = Block(
                        chapter=chapter,
                        version_id=version.id,
                        position=block_position,
                        anchor=f"{part_number}-{chapter_number}-{block_position + 1}",
                        kind=BlockKind(kind),
                        text=body if number == 1 else body.replace("deux ans", "trois ans"),
                        number=block_number,
                        line_start=line_start,
                        line_end=line_end,
                    )
                    db.session.add(block)
                    if block.kind == BlockKind.PROPOSAL:
                        rank += 1
                        db.session.flush()
                        db.session.add(
                            Proposal(
                                version_id=version.id,
                                block=block,
                                chapter_id=chapter.id,
                                reference=proposal_reference(part_number, chapter_number, rank),
                                rank=rank,
                            )
                        )
    return text


def _event(convention, day, kind, title, *, position=0, **values) -> Event:
    event = Event(
        convention=convention,
        kind=kind,
        title=title,
        starts_dt=Event.local_midnight(day),
        position=position,
        **values,
    )
    db.session.add(event)
    return event


def build_pages_dataset() -> Convention:
    """Add a convention like the real one (groups, calendar, contributions, text, glossary)."""
    convention = Convention(
        published_dt=PUBLISHED,
        slug="securite-prevention",
        title="Convention nationale sécurité et prévention de la délinquance",
        short_title="Convention sécurité",
        initiator="Olivier Faure",
        description="À l’été 2023, Olivier Faure a décidé de l’organisation d’une convention "
        "nationale dédiée à la sécurité.\n\nLes CLSPD sont nés de la coproduction de sécurité.",
    )
    db.session.add(convention)
    phases = (
        (PhaseKind.WORKING_GROUPS, dt.date(2023, 9, 1), dt.date(2024, 12, 31)),
        (PhaseKind.CONTRIBUTIONS, dt.date(2024, 4, 1), dt.date(2024, 12, 31)),
        (PhaseKind.AMENDMENTS, dt.date(2025, 1, 6), dt.date(2025, 2, 28)),
        (PhaseKind.NATIONAL_BUREAU, dt.date(2025, 3, 4), dt.date(2025, 3, 4)),
        (PhaseKind.MEMBERS_VOTE, dt.date(2025, 4, 3), dt.date(2025, 4, 3)),
        (PhaseKind.CONVENTION_DAY, dt.date(2025, 4, 26), dt.date(2025, 4, 26)),
        (PhaseKind.ADOPTED_TEXT, dt.date(2025, 4, 27), None),
    )
    for position, (kind, starts_on, ends_on) in enumerate(phases):
        convention.phases.append(
            Phase(kind=kind, position=position, starts_on=starts_on, ends_on=ends_on)
        )
    people = {name: _person(name) for name in PEOPLE}
    db.session.add_all(people.values())
    db.session.flush()

    for position, name in enumerate(("Roger VICOT", "Nesrine REZZAG BARA")):
        db.session.add(SteeringRole(convention_id=convention.id, person=people[name],
                                    kind=SteeringRoleKind.PILOT, position=position,
                                    label="Pilote de la convention"))
    for position, name in enumerate(("Anna PIC", "Jérôme DURAIN", "Nicolas NORDMAN"), start=2):
        db.session.add(SteeringRole(convention_id=convention.id, person=people[name],
                                    kind=SteeringRoleKind.COMMITTEE, position=position,
                                    label="Membre du comité de pilotage",
                                    representing="TO3" if name == "Nicolas NORDMAN" else ""))

    groups = []
    for number, (title, animators) in enumerate(GROUPS, start=1):
        group = WorkingGroup(convention_id=convention.id, number=number, title=title)
        for position, name in enumerate(animators):
            group.animators.append(WorkingGroupAnimator(person=people[name], position=position))
        groups.append(group)
    db.session.add_all(groups)

    isere = Federation(code="38", name="Isère", title="Fédération de l’Isère")
    garonne = Federation(code="31", name="Haute-Garonne", title="Fédération de Haute-Garonne")
    paris = Federation(code="75", name="Paris", title="Fédération de Paris")
    section = Section(federation=paris, name="Paris 14e")
    db.session.add_all([isere, garonne, paris, section])
    db.session.flush()

    _event(convention, dt.date(2024, 4, 17), EventKind.FEDERATION_MEETING,
           "Rencontre avec la fédération de Haute-Garonne", federation=garonne)
    hearing = _event(convention, dt.date(2024, 5, 2), EventKind.HEARING,
                     "Audition de Thomas Dumortier (CNCDH)")
    hearing.participants = [
        EventPerson(person=people["Roger VICOT"], role=EventPersonRole.HOST, position=0),
        EventPerson(person=people["Thomas DUMORTIER"], role=EventPersonRole.EXPERT, position=1),
    ]
    hearing.working_groups = [groups[0]]
    tech = _event(convention, dt.date(2024, 11, 12), EventKind.HEARING,
                  "Nouvelles technologies et sécurité : audition")
    tech.working_groups = [groups[6]]
    korell = _event(convention, dt.date(2024, 12, 4), EventKind.HEARING,
                    "Audition de Christophe Korell")
    korell.working_groups = [groups[2], groups[5]]
    korell.participants = [
        EventPerson(person=people["Anna PIC"], role=EventPersonRole.HOST, position=0),
        EventPerson(person=people["Christophe KORELL"], role=EventPersonRole.EXPERT, position=1),
    ]
    grenoble = _event(convention, dt.date(2024, 12, 9), EventKind.OTHER,
                      "Réunion avec les élus de Grenoble-Alpes Métropole", position=1,
                      part_of_day="Matin", place="Grenoble",
                      description="Sécurité et narcotrafic avec les élus de la métropole.")
    grenoble.participants = [
        EventPerson(person=people["Roger VICOT"], role=EventPersonRole.HOST, position=0),
        EventPerson(person=people["Jérôme DURAIN"], role=EventPersonRole.HOST, position=1),
    ]
    _event(convention, dt.date(2024, 12, 9), EventKind.FEDERATION_MEETING,
           "Réunion fédérale avec les militants de l’Isère", position=2,
           part_of_day="Soir", federation=isere)

    statuses = list(ContributionStatus)
    for number in range(1, 27):
        values = {}
        if number == 3:
            values["author_name"] = "Christian Mazé"
        if number == 21:
            values["section"] = section
        db.session.add(
            Contribution(
                convention_id=convention.id,
                channel=Channel.PLATFORM,
                number=number,
                title=f"Contribution de la plateforme n° {number}",
                body="Premier paragraphe.\n\nSecond paragraphe <script>alert(1)</script>."
                if number == 1
                else "",
                status=statuses[number % len(statuses)],
                working_group=groups[1] if number in (1, 2) else None,
                **values,
            )
        )
    for number, title in enumerate(("Section PS Paris 10e, lien sécurité-Justice",
                                     "Fédération Ariège"), start=1):
        db.session.add(
            Contribution(
                convention_id=convention.id,
                channel=Channel.EMAIL,
                number=26 + number,  # one series per convention, after the platform's
                title=title,
                federation_name="Ariège" if number == 2 else "",
                submitted_date_known=False,
                status=ContributionStatus.UNDER_REVIEW,
            )
        )

    for abbreviation, expansion, corrected, note in ACRONYMS:
        db.session.add(
            Acronym(
                convention_id=convention.id,
                abbreviation=abbreviation,
                expansion=expansion,
                corrected_expansion=corrected,
                correction_note=note,
            )
        )
    _add_text(convention)
    db.session.flush()
    return convention
