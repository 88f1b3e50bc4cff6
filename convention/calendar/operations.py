"""Writing the calendar: events, their minutes, registrations and private feed tokens.

Every function takes the actor, checks the permission again (defence in depth), flushes,
writes an audit entry and never commits.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from convention.calendar.models import (
    CalendarFeedToken,
    Event,
    EventKind,
    EventPerson,
    EventPersonRole,
    EventRegistration,
    RegistrationStatus,
)
from convention.core.audit import AuditEntry, audit
from convention.core.db import db, savepoint, utcnow
from convention.core.links import path_for
from convention.core.permissions import ensure
from convention.domain.cleaning import multiline, one_line
from convention.domain.errors import DomainError
from convention.domain.roles import Role
from convention.groups.models import Person, WorkingGroup
from convention.groups.operations import notify_followers
from convention.notifications.models import NotificationKind
from convention.notifications.operations import notify, notify_each
from convention.search.indexing import index_event

PARIS = ZoneInfo("Europe/Paris")

_NOT_ALLOWED_EVENT = "Seuls les pilotes des groupes concernés et le comité de pilotage peuvent modifier ce rendez-vous."
_NOT_ALLOWED_GROUP = "Vous ne pouvez programmer des rendez-vous que pour les groupes que vous animez."
_NOT_ALLOWED_FEDERATION = "Vous ne pouvez programmer que des rencontres fédérales, et seulement pour votre fédération."
_NOT_ALLOWED_REGISTRATIONS = (
    "Seuls les organisateurs du rendez-vous (pilotes des groupes concernés, comité de pilotage, "
    "premier·e secrétaire de la fédération pour une rencontre fédérale) voient ses inscrit·es."
)
# Writing to the registrants: what one message may hold, and how many an event may send a day.
MESSAGE_SUBJECT_MAX = 150
MESSAGE_BODY_MAX = 5000
MESSAGES_PER_EVENT_PER_DAY = 3
MESSAGE_WINDOW = dt.timedelta(hours=24)
# The organisers' messages reach the registrants with this kind: a member who turned event
# e-mails off still finds them among their notifications.
MESSAGE_NOTIFICATION = NotificationKind.EVENT_REMINDER
# Promotions from the waiting list are notified with this kind (no dedicated kind yet).
PROMOTION_NOTIFICATION = NotificationKind.EVENT_REMINDER


class RegistrationError(DomainError):
    """A registration rule refuses the request (already registered, past event…)."""


class MessageLimitError(DomainError):
    """The event's organisers already sent as many messages as allowed in the last 24 hours."""


class MessageAudience(enum.StrEnum):
    """Who an organiser's message goes to."""

    ALL = "all"  # every active registration: seats and waiting list
    REGISTERED = "registered"  # those who hold a seat
    WAITING = "waiting"  # the waiting list


@dataclass(frozen=True)
class PersonData:
    """Someone named on an event: a host, or an expert heard (with titles and organisation)."""

    full_name: str
    titles: str = ""
    organisation: str = ""


@dataclass
class EventData:
    """What the event form gives (times already converted to aware UTC datetimes)."""

    kind: EventKind
    title: str
    starts_dt: dt.datetime
    ends_dt: dt.datetime | None = None
    is_all_day: bool = False
    description: str = ""
    place: str = ""
    online_url: str = ""
    capacity: int | None = None
    federation_id: int | None = None
    federation_name: str = ""
    working_group_ids: list[int] = field(default_factory=list)
    hosts: list[PersonData] = field(default_factory=list)
    experts: list[PersonData] = field(default_factory=list)


def can_create_events(user: Any, convention: Any) -> bool:
    """Who schedules events: the steering committee, the pilots (for their groups) and the
    federations' first secretaries (federation meetings of their federation)."""
    if not (user and user.is_authenticated) or convention is None:
        return False
    if convention.is_steering(user):
        return True
    if moderated_group_ids(user, convention):
        return True
    # A secretary's role holds in every convention, but a finished convention's calendar is a
    # record that only its own steering and pilots complete.
    return bool(
        secretary_federation_ids(user) and not convention.is_archived(dt.datetime.now(PARIS).date())
    )


def secretary_federation_ids(user: Any) -> set[int]:
    """Ids of the federations whose first secretary ``user`` is."""
    if not (user and user.is_authenticated):
        return set()
    return {a.federation_id for a in user.roles if a.role == Role.FEDERATION_SECRETARY and a.federation_id is not None}


def moderated_group_ids(user: Any, convention: Any) -> set[int]:
    """Ids of the groups of ``convention`` that ``user`` moderates."""
    groups = db.session.scalars(sa.select(WorkingGroup).where(WorkingGroup.convention_id == convention.id)).all()
    return {g.id for g in groups if g.can_moderate(user)}


def _check_scope(actor: Any, convention: Any, old_ids: set[int], data: EventData) -> None:
    """What a pilot or a federation secretary may schedule (the steering committee: anything).

    A pilot adds or removes only the groups they moderate and keeps at least one of them; an
    event of none of their groups is allowed only as a federation meeting of a federation whose
    first secretary they are.
    """
    if convention.is_steering(actor):
        return
    new_ids = set(data.working_group_ids)
    allowed = moderated_group_ids(actor, convention)
    ensure((old_ids ^ new_ids) <= allowed, _NOT_ALLOWED_GROUP)
    if new_ids & allowed:
        return
    federations = secretary_federation_ids(actor)
    ensure(bool(federations), _NOT_ALLOWED_GROUP)
    ensure(
        data.kind == EventKind.FEDERATION_MEETING and data.federation_id in federations,
        _NOT_ALLOWED_FEDERATION,
    )


def _load_groups(convention: Any, ids: list[int]) -> list[WorkingGroup]:
    if not ids:
        return []
    groups = db.session.scalars(
        sa.select(WorkingGroup).where(WorkingGroup.convention_id == convention.id, WorkingGroup.id.in_(ids))
    ).all()
    if len(groups) != len(set(ids)):
        raise DomainError("Groupe de travail inconnu.")
    return list(groups)


def find_or_create_person(data: PersonData) -> Person:
    """The person named ``full_name`` (created if new; empty titles/organisation filled in)."""
    name = one_line(data.full_name)
    person = db.session.scalars(sa.select(Person).where(Person.full_name == name)).first()
    if person is None:
        person = Person(full_name=name, titles=multiline(data.titles), organisation=one_line(data.organisation))
        db.session.add(person)
        db.session.flush()
        return person
    if multiline(data.titles) and not person.titles:
        person.titles = multiline(data.titles)
    if one_line(data.organisation) and not person.organisation:
        person.organisation = one_line(data.organisation)
    return person


def _set_people(event: Event, hosts: list[PersonData], experts: list[PersonData]) -> None:
    wanted: list[tuple[Person, EventPersonRole]] = []
    for role, people in ((EventPersonRole.HOST, hosts), (EventPersonRole.EXPERT, experts)):
        for data in people:
            person = find_or_create_person(data)
            if (person, role) not in wanted:
                wanted.append((person, role))
    existing = {(p.person_id, p.role): p for p in event.participants}
    keep = {(person.id, role) for person, role in wanted}
    for key, participant in existing.items():
        if key not in keep:
            event.participants.remove(participant)
    db.session.flush()
    for position, (person, role) in enumerate(wanted):
        participant = existing.get((person.id, role))
        if participant is None:
            participant = EventPerson(person=person, role=role)
            event.participants.append(participant)
        participant.position = position


def _validate(data: EventData) -> None:
    if not one_line(data.title):
        raise DomainError("Le titre est obligatoire.")
    if data.ends_dt is not None and data.ends_dt <= data.starts_dt:
        raise DomainError("La fin doit être postérieure au début.")
    if data.capacity is not None and data.capacity < 1:
        raise DomainError("La capacité doit être d'au moins une place.")


def _snapshot(event: Event) -> dict[str, Any]:
    return {
        "kind": event.kind,
        "title": event.title,
        "starts_dt": event.starts_dt,
        "ends_dt": event.ends_dt,
        "is_all_day": event.is_all_day,
        "place": event.place,
        "online_url": event.online_url,
        "capacity": event.capacity,
        "federation_id": event.federation_id,
        "working_group_ids": sorted(g.id for g in event.working_groups),
    }


def _apply(event: Event, convention: Any, data: EventData) -> None:
    event.kind = data.kind
    event.title = one_line(data.title)
    event.description = multiline(data.description)
    event.starts_dt = data.starts_dt
    event.ends_dt = data.ends_dt
    event.is_all_day = data.is_all_day
    event.place = one_line(data.place)
    event.online_url = one_line(data.online_url)
    event.capacity = data.capacity
    event.federation_id = data.federation_id
    if data.federation_id is not None:
        from convention.members.models import Federation

        federation = db.session.get(Federation, data.federation_id)
        if federation is None:
            raise DomainError("Fédération inconnue.")
        event.federation_name = federation.name
    else:
        event.federation_name = one_line(data.federation_name)
    event.working_groups = _load_groups(convention, data.working_group_ids)
    _set_people(event, data.hosts, data.experts)


def create_event(actor: Any, convention: Any, data: EventData) -> Event:
    """Schedule a new event of ``convention`` (pilots for their groups, the committee for all)."""
    ensure(can_create_events(actor, convention), _NOT_ALLOWED_EVENT)
    _validate(data)
    _check_scope(actor, convention, set(), data)
    event = Event(convention=convention, convention_id=convention.id)
    db.session.add(event)
    _apply(event, convention, data)
    db.session.flush()
    audit(actor, "event.create", event, **_snapshot(event))
    db.session.flush()
    index_event(event)
    notify_followers(actor, event)
    return event


def update_event(actor: Any, event: Event, data: EventData) -> Event:
    """Change an event; a larger capacity gives seats to the waiting list, in order."""
    ensure(event.can_edit(actor), _NOT_ALLOWED_EVENT)
    _validate(data)
    old_ids = {g.id for g in event.working_groups}
    _check_scope(actor, event.convention, old_ids, data)
    old = _snapshot(event)
    _apply(event, event.convention, data)
    event.updated_dt = utcnow()
    db.session.flush()
    new = _snapshot(event)
    changed = {k: {"old": old[k], "new": new[k]} for k in new if old[k] != new[k]}
    audit(actor, "event.update", event, changes=changed)
    promote_waiting(actor, event)
    db.session.flush()
    index_event(event)
    if set(new["working_group_ids"]) - old_ids:  # published in another group: its followers learn it
        notify_followers(actor, event, already_notified_group_ids=old_ids)
    return event


def publish_minutes(
    actor: Any,
    event: Event,
    minutes: str,
    hearing_summary: str = "",
    *,
    now: dt.datetime | None = None,
) -> Event:
    """Publish (or correct) the minutes of a past event and, for a hearing, the summary."""
    ensure(event.can_publish_minutes(actor), _NOT_ALLOWED_EVENT)
    now = now or utcnow()
    if not event.has_started(now):
        raise DomainError("Le compte rendu ne peut être publié qu'une fois le rendez-vous commencé.")
    if not event.is_hearing and hearing_summary.strip():
        raise DomainError("Seule une audition a une synthèse des propos de la personne entendue.")
    if not minutes.strip() and not hearing_summary.strip():
        raise DomainError("Le compte rendu est vide.")
    first = event.minutes_published_dt is None
    event.minutes = minutes.strip()
    event.hearing_summary = hearing_summary.strip()
    event.minutes_published_dt = event.minutes_published_dt or now
    event.updated_dt = now
    audit(
        actor,
        "event.publish_minutes" if first else "event.update_minutes",
        event,
        minutes_length=len(event.minutes),
        summary_length=len(event.hearing_summary),
    )
    db.session.flush()
    index_event(event)
    return event


# --- registrations ------------------------------------------------------------------------


def _count(event: Event, status: RegistrationStatus) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(EventRegistration)
        .where(EventRegistration.event_id == event.id, EventRegistration.status == status)
    )


def _next_position(event: Event) -> int:
    highest = db.session.scalar(
        sa.select(sa.func.max(EventRegistration.position)).where(EventRegistration.event_id == event.id)
    )
    return (highest or 0) + 1


def _lock(event: Event) -> None:
    """Serialise seat counting on PostgreSQL (SQLite already serialises writers)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(Event.id).where(Event.id == event.id).with_for_update())


def register_for_event(actor: Any, event: Event, *, now: dt.datetime | None = None) -> EventRegistration:
    """Register ``actor``: a seat if one is free, else the end of the waiting list."""
    if not (actor and actor.is_authenticated):
        raise RegistrationError("Connectez-vous pour vous inscrire.")
    now = now or utcnow()
    if event.has_started(now):
        raise RegistrationError("Ce rendez-vous a déjà eu lieu : les inscriptions sont closes.")
    _lock(event)
    registration = db.session.scalars(
        sa.select(EventRegistration).where(
            EventRegistration.event_id == event.id, EventRegistration.user_id == actor.id
        )
    ).first()
    if registration is not None and registration.is_active:
        raise RegistrationError(
            "Vous êtes déjà inscrit·e à ce rendez-vous."
            if registration.status == RegistrationStatus.REGISTERED
            else "Vous êtes déjà sur la liste d'attente de ce rendez-vous."
        )
    full = event.capacity is not None and _count(event, RegistrationStatus.REGISTERED) >= event.capacity
    status = RegistrationStatus.WAITING if full else RegistrationStatus.REGISTERED
    position = _next_position(event)
    if registration is None:
        registration = EventRegistration(
            event_id=event.id, user_id=actor.id, status=status, position=position, created_dt=now
        )
        try:
            with savepoint():
                db.session.add(registration)
        except IntegrityError:
            # A second submission of the same form won the race: one registration only.
            raise RegistrationError("Vous êtes déjà inscrit·e à ce rendez-vous.") from None
    else:
        registration.status = status
        registration.position = position
        registration.created_dt = now
    audit(actor, "event.register", event, status=status, position=position)
    db.session.flush()
    return registration


def cancel_registration(actor: Any, event: Event, *, now: dt.datetime | None = None) -> EventRegistration:
    """Cancel ``actor``'s registration; a freed seat goes to the first on the waiting list."""
    now = now or utcnow()
    registration = db.session.scalars(
        sa.select(EventRegistration).where(
            EventRegistration.event_id == event.id, EventRegistration.user_id == actor.id
        )
    ).first()
    if registration is None or not registration.is_active:
        raise RegistrationError("Vous n'êtes pas inscrit·e à ce rendez-vous.")
    if event.has_started(now):
        raise RegistrationError("Ce rendez-vous a déjà eu lieu : l'inscription ne peut plus être annulée.")
    _lock(event)
    old = registration.status
    registration.status = RegistrationStatus.CANCELLED
    audit(actor, "event.cancel_registration", event, previous=old)
    db.session.flush()
    promote_waiting(actor, event)
    return registration


def promote_waiting(actor: Any, event: Event) -> list[EventRegistration]:
    """Give free seats to the waiting list in order of arrival, notifying each person promoted."""
    waiting = db.session.scalars(
        sa.select(EventRegistration)
        .where(
            EventRegistration.event_id == event.id,
            EventRegistration.status == RegistrationStatus.WAITING,
        )
        .order_by(EventRegistration.position, EventRegistration.id)
    ).all()
    if not waiting:
        return []
    free = (
        len(waiting)
        if event.capacity is None
        else max(0, event.capacity - _count(event, RegistrationStatus.REGISTERED))
    )
    promoted = list(waiting[:free])
    for registration in promoted:
        registration.status = RegistrationStatus.REGISTERED
        audit(actor, "event.promote_registration", event, user_id=registration.user_id)
        notify(
            registration.user,
            PROMOTION_NOTIFICATION,
            f"Une place s'est libérée : vous êtes inscrit·e à « {event.title} »",
            "Vous étiez sur la liste d'attente ; une place s'est libérée et elle est pour vous. "
            "Si vous ne pouvez plus venir, annulez votre inscription depuis la page du "
            "rendez-vous.",
            path_for("calendar.event", event_id=event.id),
        )
    db.session.flush()
    return promoted


# --- the organisers' tools: the list of registrants, its export, a message to them ----------


def record_registrations_export(actor: Any, event: Event, count: int) -> None:
    """Log that ``actor`` downloaded the list of ``event``'s registrants (personal data)."""
    ensure(event.can_manage_registrations(actor), _NOT_ALLOWED_REGISTRATIONS)
    audit(actor, "event.export_registrations", event, rows=count)
    db.session.flush()


def _audience_statuses(audience: MessageAudience) -> tuple[RegistrationStatus, ...]:
    if audience == MessageAudience.REGISTERED:
        return (RegistrationStatus.REGISTERED,)
    if audience == MessageAudience.WAITING:
        return (RegistrationStatus.WAITING,)
    return (RegistrationStatus.REGISTERED, RegistrationStatus.WAITING)


def message_recipient_ids(event: Event, audience: MessageAudience) -> list[int]:
    """The accounts an organisers' message to ``audience`` reaches (cancelled ones never)."""
    return list(
        db.session.scalars(
            sa.select(EventRegistration.user_id)
            .where(
                EventRegistration.event_id == event.id,
                EventRegistration.status.in_(_audience_statuses(audience)),
            )
            .order_by(EventRegistration.user_id)
        )
    )


def messages_sent_recently(event: Event, now: dt.datetime) -> int:
    """How many messages the organisers of ``event`` sent in the last 24 hours."""
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(
            AuditEntry.action == "event.message_registrants",
            AuditEntry.object_type == Event.__name__,
            AuditEntry.object_id == event.id,
            AuditEntry.created_dt > now - MESSAGE_WINDOW,
        )
    )


def message_subject(event: Event, subject: str) -> str:
    """The notification's subject: the event's title and date, then the organiser's subject."""
    date = event.local_start.strftime("%d/%m/%Y")
    title = event.title if len(event.title) <= 120 else event.title[:119] + "…"
    return f"{title} ({date}) : {one_line(subject)}"


def message_body(actor: Any, body: str) -> str:
    """The organiser's text, signed, with why the member receives it."""
    return (
        f"{multiline(body)}\n\n— {one_line(actor.display_name)}, pour l'organisation du "
        "rendez-vous. Vous recevez ce message parce que vous êtes inscrit·e à ce rendez-vous "
        "ou sur sa liste d'attente."
    )


def message_registrants(
    actor: Any,
    event: Event,
    audience: MessageAudience,
    subject: str,
    body: str,
    *,
    now: dt.datetime | None = None,
) -> int:
    """Write to the registrants of ``event``: one notification each, e-mailed after the commit.

    The message goes through the notification outbox (asynchronous, each member's e-mail
    preference for event reminders honoured, unsubscribe link included). At most
    ``MESSAGES_PER_EVENT_PER_DAY`` messages per event in 24 hours, whoever sends them.
    Returns how many people the message was written to.
    """
    ensure(event.can_manage_registrations(actor), _NOT_ALLOWED_REGISTRATIONS)
    now = now or utcnow()
    subject = one_line(subject)
    body = multiline(body)
    if not subject:
        raise DomainError("Indiquez l'objet du message.")
    if len(subject) > MESSAGE_SUBJECT_MAX:
        raise DomainError(f"L'objet ne doit pas dépasser {MESSAGE_SUBJECT_MAX} caractères.")
    if not body:
        raise DomainError("Le message est vide.")
    if len(body) > MESSAGE_BODY_MAX:
        raise DomainError(f"Le message ne doit pas dépasser {MESSAGE_BODY_MAX} caractères.")
    if messages_sent_recently(event, now) >= MESSAGES_PER_EVENT_PER_DAY:
        raise MessageLimitError(
            f"Les organisateurs de ce rendez-vous ont déjà envoyé {MESSAGES_PER_EVENT_PER_DAY} "
            "messages aux inscrit·es ces dernières 24 heures : réessayez plus tard."
        )
    recipients = message_recipient_ids(event, audience)
    if not recipients:
        raise DomainError("Personne n'est concerné·e : aucun message n'a été envoyé.")
    full_subject = message_subject(event, subject)
    signed = message_body(actor, body)
    url = path_for("calendar.event", event_id=event.id)
    written = notify_each(MESSAGE_NOTIFICATION, [(user_id, full_subject, signed, url) for user_id in recipients])
    entry = audit(
        actor,
        "event.message_registrants",
        event,
        audience=audience,
        recipients=len(recipients),
        subject=subject,
        body_length=len(body),
    )
    entry.created_dt = now  # the 24-hour limit counts from the time of sending
    db.session.flush()
    return written


# --- private feed -------------------------------------------------------------------------


def regenerate_feed_token(actor: Any) -> CalendarFeedToken:
    """Give ``actor`` a new secret feed address; the previous one stops working at once.

    The database keeps the secret's hash; the secret is on the returned row's ``plain_secret``.
    """
    token = db.session.scalars(sa.select(CalendarFeedToken).where(CalendarFeedToken.user_id == actor.id)).first()
    renewed = token is not None
    secret = CalendarFeedToken.new_secret()
    if token is None:
        token = CalendarFeedToken(user_id=actor.id, token_hash=CalendarFeedToken.hash(secret))
        db.session.add(token)
    else:
        token.token_hash = CalendarFeedToken.hash(secret)
        token.created_dt = utcnow()
    token.plain_secret = secret
    db.session.flush()
    audit(actor, "calendar_feed.regenerate" if renewed else "calendar_feed.create", token)
    db.session.flush()
    return token


def revoke_feed_token(actor: Any) -> bool:
    """Delete ``actor``'s feed secret; False if they had none."""
    token = db.session.scalars(sa.select(CalendarFeedToken).where(CalendarFeedToken.user_id == actor.id)).first()
    if token is None:
        return False
    audit(actor, "calendar_feed.revoke", token)
    db.session.delete(token)
    db.session.flush()
    return True
