"""The demo convention's contributions: what demo members, a section and the demo militant sent.

Dated inside the demo's (past) contributions phase, numbered in one series, at every stage:
some still « Déposée » for working group 1 (the demo pilot examines them at once), one in
examination, some decided with the pilot's answer. Written as rows (the operations refuse a
contribution once the phase is over), then indexed for the search. Found again by the demo
convention having contributions: re-seeding adds nothing and moves nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from convention.contributions.models import Channel, Contribution, ContributionStatus
from convention.core.db import db
from convention.domain.phases import PhaseKind
from convention.groups.models import WorkingGroup
from convention.members.models import Federation, Member, Section, User
from seed.demo import EMAIL_DOMAIN, MEMBER_PREFIX

PARIS = ZoneInfo("Europe/Paris")

# (group number or None for the whole convention, title, body, status, answer)
ENTRIES = (
    (1, "Des commissariats ouverts le soir dans les quartiers",
     "Dans nos quartiers, le commissariat ferme quand les problèmes commencent. Nous proposons des "
     "permanences ouvertes jusqu'à 22 heures, tenues par des agents formés à l'accueil des victimes.",
     ContributionStatus.SUBMITTED, ""),
    (1, "Former les policiers à l'accueil des victimes de violences intrafamiliales",
     "Une formation initiale et continue, évaluée, et un référent dans chaque circonscription.",
     ContributionStatus.SUBMITTED, ""),
    (1, "Recruter des policiers issus des territoires où ils serviront",
     "Des classes préparatoires et un concours à affectation locale pour stabiliser les effectifs.",
     ContributionStatus.UNDER_REVIEW, ""),
    (1, "Mesurer le temps que les policiers passent sur la voie publique",
     "Publier chaque année, par circonscription, la part du temps passée hors des murs.",
     ContributionStatus.INTEGRATED,
     "Merci : la proposition rejoint la partie sur la doctrine d'emploi, où elle a été reprise."),
    (2, "Des éducateurs de rue dans chaque quartier prioritaire",
     "La prévention spécialisée manque de moyens : un financement pluriannuel garanti par l'État.",
     ContributionStatus.SUBMITTED, ""),
    (2, "Associer les parents aux conseils locaux de sécurité",
     "Les parents sont les premiers acteurs de la prévention : donnons-leur une place dans les CLSPD.",
     ContributionStatus.PARTIALLY_INTEGRATED,
     "La place des parents est reprise ; la présidence partagée des CLSPD n'a pas été retenue."),
    (3, "Un plan national contre les trafics dans les villes moyennes",
     "Les trafics se déplacent vers les villes moyennes : des moyens d'enquête mutualisés entre départements.",
     ContributionStatus.NOT_RETAINED,
     "Le groupe a préféré une proposition plus large sur la police judiciaire, qui couvre ce point."),
    (4, "La vidéoprotection sous le contrôle d'un comité d'éthique local",
     "Chaque dispositif évalué au bout de deux ans, avec des citoyen·nes tiré·es au sort.",
     ContributionStatus.SUBMITTED, ""),
    (None, "Une convention ouverte aux sympathisant·es",
     "Nous souhaitons que les sympathisant·es puissent contribuer, sans voter.",
     ContributionStatus.NOT_RETAINED,
     "Les statuts réservent la convention aux adhérent·es ; les auditions restent ouvertes à tous."),
)  # fmt: skip
MILITANT_ENTRY = (
    1, "Rendre visibles les policiers de proximité",
    "Des îlotiers connus des habitant·es, présents aux mêmes heures, avec une adresse de contact publique.",
)  # fmt: skip
SECTION_ENTRY = (
    2, "Contribution de la section de Grenoble : la prévention dans les transports",
    "Adoptée en assemblée générale : médiateurs dans les tramways, éclairage des arrêts, marches exploratoires.",
)  # fmt: skip


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 0), PARIS).astimezone(dt.UTC)


def seed_demo_contributions(convention, seed_value: int = 2025) -> list[str]:
    """Write the demo contributions once (dated in the contributions phase); flushes."""
    from convention.search.indexing import index_contribution

    if db.session.scalar(sa.select(Contribution.id).where(Contribution.convention_id == convention.id).limit(1)):
        return ["Contributions de démonstration déjà présentes : rien n'a changé."]
    phase = convention.phase(PhaseKind.CONTRIBUTIONS)
    if phase is None or phase.ends_on is None:
        return ["Contributions de démonstration ignorées : pas de phase des contributions datée."]
    rng = random.Random(seed_value)
    groups = {
        g.number: g
        for g in db.session.scalars(sa.select(WorkingGroup).where(WorkingGroup.convention_id == convention.id))
    }
    members = list(
        db.session.scalars(
            sa.select(Member).where(Member.membership_number.like(f"{MEMBER_PREFIX}%")).order_by(Member.id).limit(200)
        )
    )
    pilot = db.session.scalar(sa.select(User).where(User.email == f"demo.pilote@{EMAIL_DOMAIN}"))
    militant = db.session.scalar(sa.select(User).where(User.email == f"demo.militant@{EMAIL_DOMAIN}"))
    secretary = db.session.scalar(sa.select(User).where(User.email == f"demo.section@{EMAIL_DOMAIN}"))
    span = max(1, (phase.ends_on - phase.starts_on).days)
    # In the last months of the phase, in order.
    days = sorted(phase.ends_on - dt.timedelta(days=rng.randint(1, min(span, 120))) for _ in range(len(ENTRIES) + 2))
    rows: list[Contribution] = []
    for (number, title, body, status, answer), day in zip(ENTRIES, days, strict=False):
        if not members:
            break
        member = rng.choice(members)
        contribution = Contribution(
            convention_id=convention.id,
            working_group=groups.get(number) if number else None,
            channel=Channel.PLATFORM,
            title=title,
            body=body,
            author_name=f"{member.first_name} {member.last_name}",
            author_member_id=member.id,
            section_id=member.section_id,
            status=status,
            submitted_dt=_at(day, rng.randint(8, 21)),
        )
        if answer:
            contribution.answer = answer
            contribution.decided_dt = _at(min(day + dt.timedelta(days=10), phase.ends_on), 18)
            contribution.decided_by_id = pilot.id if pilot is not None else None
        rows.append(contribution)
    if militant is not None:
        number, title, body = MILITANT_ENTRY
        rows.append(
            Contribution(
                convention_id=convention.id, working_group=groups.get(number), channel=Channel.PLATFORM,
                title=title, body=body, author_name=militant.display_name, author_member_id=militant.member_id,
                submitted_by_id=militant.id, status=ContributionStatus.SUBMITTED, submitted_dt=_at(days[-2], 20),
            )
        )  # fmt: skip
    if secretary is not None:
        number, title, body = SECTION_ENTRY
        section = db.session.scalar(
            sa.select(Section).join(Section.federation).where(Federation.code == "38", Section.name == "Grenoble")
        )
        if section is not None:
            rows.append(
                Contribution(
                    convention_id=convention.id, working_group=groups.get(number), channel=Channel.PLATFORM,
                    title=title, body=body, author_name=secretary.display_name, submitted_by_id=secretary.id,
                    section_id=section.id, federation_id=section.federation_id,
                    adopted_on=days[-1] - dt.timedelta(days=3), status=ContributionStatus.SUBMITTED,
                    submitted_dt=_at(days[-1], 21),
                )
            )  # fmt: skip
    rows.sort(key=lambda c: c.submitted_dt)
    for number, contribution in enumerate(rows, start=1):
        contribution.number = number
        db.session.add(contribution)
    db.session.flush()
    for contribution in rows:
        index_contribution(contribution)
    waiting = sum(1 for c in rows if c.status == ContributionStatus.SUBMITTED and c.working_group is groups.get(1))
    return [f"Contributions de démonstration : {len(rows)}, dont {waiting} à examiner par le groupe de travail 1."]
