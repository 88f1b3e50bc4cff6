"""The demo convention's events: past ones with their minutes, coming ones open for registration.

The demo convention carries the document's events, moved into its (past) working groups'
phase. This adds, once: the minutes of the last three of them (published by the steering
committee's demo account), a coming hearing organised by the demo pilot three weeks after the
day of seeding, for group 1, with four seats (the other demo accounts register, the last two
on the waiting list), and a coming « rencontre fédérale » of the Isère, open for registration.
Found again by their ``seed_key``: re-seeding changes nothing and moves nothing.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from convention.calendar.models import Event, EventKind
from convention.calendar.operations import (
    EventData,
    PersonData,
    create_event,
    publish_minutes,
    register_for_event,
)
from convention.core.db import db
from convention.groups.models import WorkingGroup
from convention.members.models import Federation, User

PARIS = ZoneInfo("Europe/Paris")
SEED_KEY = "demo-audition"
FEDERAL_KEY = "demo-rencontre-federale"
MINUTES_KEY_SUFFIX = "#"  # the document's events: « 2024-12-09#1 »…
REGISTRANTS = ("militant", "section", "federation", "comite", "bn", "bn2")


def seed_demo_event(convention, today: dt.date | None = None) -> list[str]:
    """Create the hearing once and register the demo accounts; returns the lines to print."""
    if db.session.scalar(sa.select(Event.id).where(Event.convention_id == convention.id, Event.seed_key == SEED_KEY)):
        return ["Audition de démonstration déjà présente : rien n'a changé."]
    pilot = db.session.scalar(sa.select(User).where(User.email == "demo.pilote@exemple.fr"))
    group = db.session.scalar(
        sa.select(WorkingGroup).where(WorkingGroup.convention_id == convention.id, WorkingGroup.number == 1)
    )
    if pilot is None or group is None:
        return ["Audition de démonstration ignorée : pas de compte pilote ou pas de groupe de travail n° 1."]
    day = (today or dt.datetime.now(PARIS).date()) + dt.timedelta(days=21)
    starts = dt.datetime.combine(day, dt.time(18, 30), PARIS).astimezone(dt.UTC)
    event = create_event(
        pilot,
        convention,
        EventData(
            kind=EventKind.HEARING,
            title="Audition de démonstration : la prévention spécialisée dans les quartiers",
            starts_dt=starts,
            ends_dt=starts + dt.timedelta(hours=2),
            description="Une audition à venir, pour essayer l'inscription et la liste des inscrit·es du pilote.",
            place="Siège du Parti socialiste, 99 rue Molière, Ivry-sur-Seine",
            capacity=4,
            working_group_ids=[group.id],
            experts=[PersonData("Claire Dubreuil", "éducatrice spécialisée", "Association de prévention")],
        ),
    )
    event.seed_key = SEED_KEY
    for key in REGISTRANTS:
        user = db.session.scalar(sa.select(User).where(User.email == f"demo.{key}@exemple.fr"))
        if user is not None:
            register_for_event(user, event)
    lines = [f"Audition de démonstration le {day:%d/%m/%Y} : {len(REGISTRANTS)} inscrit·es, dont 2 en liste d'attente."]
    lines.extend(_federal_meeting(convention, day + dt.timedelta(days=7)))
    lines.extend(_past_minutes(convention))
    db.session.commit()
    return lines


def _federal_meeting(convention, day: dt.date) -> list[str]:
    """The Isère's « rencontre fédérale », created by its first secretary, open for registration."""
    secretary = db.session.scalar(sa.select(User).where(User.email == "demo.federation@exemple.fr"))
    isere = db.session.scalar(sa.select(Federation).where(Federation.code == "38"))
    if secretary is None or isere is None:
        return []
    starts = dt.datetime.combine(day, dt.time(19, 0), PARIS).astimezone(dt.UTC)
    event = create_event(
        secretary,
        convention,
        EventData(
            kind=EventKind.FEDERATION_MEETING,
            title="Rencontre fédérale de l'Isère : les amendements des sections",
            starts_dt=starts,
            ends_dt=starts + dt.timedelta(hours=2, minutes=30),
            description="Les sections de l'Isère présentent leurs amendements au projet de texte.",
            place="Fédération de l'Isère, Grenoble",
            capacity=60,
            federation_id=isere.id,
            federation_name=isere.name,
        ),
    )
    event.seed_key = FEDERAL_KEY
    member = db.session.scalar(sa.select(User).where(User.email == "demo.section@exemple.fr"))
    if member is not None:
        register_for_event(member, event)
    return [f"Rencontre fédérale de démonstration le {day:%d/%m/%Y} (inscriptions ouvertes)."]


def _past_minutes(convention) -> list[str]:
    """The minutes of the last three past events of the document (steering committee's account)."""
    committee = db.session.scalar(sa.select(User).where(User.email == "demo.comite@exemple.fr"))
    if committee is None:
        return []
    now = dt.datetime.now(dt.UTC)
    past = db.session.scalars(
        sa.select(Event)
        .where(Event.convention_id == convention.id, Event.seed_key.like(f"%{MINUTES_KEY_SUFFIX}%"))
        .where(Event.starts_dt < now, Event.minutes_published_dt.is_(None))
        .order_by(Event.starts_dt.desc())
        .limit(3)
    ).all()
    for event in past:
        summary = ""
        if event.is_hearing:
            summary = "La personne entendue a présenté son expérience et répondu aux questions des militant·es."
        publish_minutes(
            committee,
            event,
            f"Compte rendu de démonstration : « {event.title} ». Les échanges ont nourri le chapitre "
            "correspondant du projet de texte ; les propositions retenues y sont reprises.",
            summary,
            now=now,
        )
    return [f"Comptes rendus publiés pour {len(past)} rendez-vous passés."] if past else []
