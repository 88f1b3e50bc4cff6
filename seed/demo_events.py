"""The demo's coming hearing: organised by the demo pilot, with registrants and a waiting list.

The seeded convention's events are all in the past (2024–2025), so without this a newcomer
signed in as the pilot would find nobody registered anywhere. The hearing is placed three weeks
after the day of seeding, for group 1, with four seats: the other demo accounts register, the
last two on the waiting list. Found again by its ``seed_key``: re-seeding changes nothing.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from convention.calendar.models import Event, EventKind
from convention.calendar.operations import EventData, PersonData, create_event, register_for_event
from convention.core.db import db
from convention.groups.models import WorkingGroup
from convention.members.models import User

PARIS = ZoneInfo("Europe/Paris")
SEED_KEY = "demo-audition"
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
    db.session.commit()
    return [f"Audition de démonstration le {day:%d/%m/%Y} : {len(REGISTRANTS)} inscrit·es, dont 2 en liste d'attente."]
