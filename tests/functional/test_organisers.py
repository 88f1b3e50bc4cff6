"""What organisers get (issue 13 §4): the registrants of their events, the CSV, a message to them,
federation meetings scheduled by a federation's first secretary, the group preselected in the form.

Accounts: those of the calendar's permission matrix (``make_world``: militant, pilot of group 1,
pilot of group 2, committee, section secretary, Bureau national) plus the first secretaries of the
Isère (the world's federation) and of the Rhône.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa

from convention.calendar import operations
from convention.calendar.models import Event, EventKind, EventRegistration
from convention.core.audit import AuditEntry
from convention.core.permissions import PermissionDenied
from convention.domain.phases import PhaseKind
from convention.domain.roles import Role
from convention.extensions import db, limiter, mail
from convention.notifications.models import Notification, NotificationKind
from tests.auth_fixtures import login, make_federation, make_member, make_section, make_user, page_text
from tests.functional.test_calendar_permissions import form_data
from tests.integration.test_calendar_operations import event_data, make_event, make_world, paris

OK, DENIED, LOGIN = "ok", "denied", "login"
SWEEP = "convention.notifications.deliver_pending_notifications"


@pytest.fixture(autouse=True)
def _no_rate_limit_left():
    limiter.reset()
    yield
    limiter.reset()


class World:
    """The calendar world, two federation secretaries, an event of group 1 with five people on it."""

    def __init__(self):
        self.base = make_world()
        self.convention = self.base.convention
        # Running (the fixture's dates are past): a secretary schedules only in a running convention.
        self.convention.phase_override = PhaseKind.CONTRIBUTIONS
        self.group1, self.group2 = self.base.group1, self.base.group2
        self.isere = self.base.federation
        self.rhone = make_federation("69", "Rhône")
        lyon = make_section(self.rhone, "Lyon 7e")
        self.users = dict(self.base.users)
        self.users["federation"] = make_user(
            member=make_member(self.base.section, "Nadia", "Girard", email="federation@example.org"),
            roles=[(Role.FEDERATION_SECRETARY, self.isere)],
        )
        self.users["other_federation"] = make_user(
            member=make_member(lyon, "Paul", "Rhodanien", email="rhone@example.org"),
            roles=[(Role.FEDERATION_SECRETARY, self.rhone)],
        )
        self.event = make_event(self.base, title="Audition à Grenoble", starts_dt=paris(2030, 4, 10, 18), capacity=2)
        # Two seats, two on the waiting list, one who cancelled, in this order of arrival.
        self.alice = make_user(member=make_member(self.base.section, "Alice", "Arnaud", email="alice@example.org"))
        self.bruno = make_user(member=make_member(lyon, "Bruno", '=HYPERLINK("http://x")', email="bruno@example.org"))
        self.chloe = make_user(member=make_member(self.base.section, "Chloé", "Caron", email="chloe@example.org"))
        self.denis = make_user(email="denis@example.org", display_name="Denis Dupuis")  # no member record
        self.emma = make_user(member=make_member(lyon, "Emma", "Ernaux", email="emma@example.org"))
        now = paris(2030, 1, 2, 12)
        for user in (self.alice, self.bruno, self.chloe, self.denis, self.emma):
            operations.register_for_event(user, self.event, now=now)
        operations.cancel_registration(self.emma, self.event, now=now)
        self.seated = [self.alice, self.bruno]
        self.waiting = [self.chloe, self.denis]


@pytest.fixture()
def world(database):
    world = World()
    db.session.commit()
    return world


def _registrations_of(event_id):
    return {
        r.user_id: r.status
        for r in db.session.scalars(sa.select(EventRegistration).where(EventRegistration.event_id == event_id))
    }


# --- who may see the registrants -----------------------------------------------------------------

ROLES = {
    "pilot": OK, "committee": OK, "bn": OK,
    "other_pilot": DENIED, "militant": DENIED, "secretary": DENIED, "federation": DENIED,
    "anonymous": LOGIN,
}  # fmt: skip
PAGES = ["inscrits", "inscrits.csv", "inscrits/message"]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(("role", "expected"), ROLES.items(), ids=list(ROLES))
def test_only_the_organisers_see_the_registrants(client, world, page, role, expected):
    if role != "anonymous":
        assert login(client, world.users[role].email).status_code == 302
    response = client.get(f"/calendrier/{world.event.id}/{page}")
    if expected == OK:
        assert response.status_code == 200
    elif expected == DENIED:
        assert response.status_code == 403
        assert "Alice" not in response.get_data(as_text=True)
    else:
        assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"]


@pytest.mark.parametrize(("role", "expected"), ROLES.items(), ids=list(ROLES))
def test_only_the_organisers_send_a_message(client, world, role, expected):
    if role != "anonymous":
        assert login(client, world.users[role].email).status_code == 302
    response = client.post(
        f"/calendrier/{world.event.id}/inscrits/message/envoi",
        data={"audience": "all", "subject": "Changement de salle", "body": "Nous serons salle B."},
    )
    sent = db.session.scalar(sa.select(sa.func.count()).select_from(Notification))
    if expected == OK:
        assert response.status_code == 302 and sent == 4
    elif expected == DENIED:
        assert response.status_code == 403 and sent == 0
    else:
        assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"]
        assert sent == 0


def test_the_operations_check_again(world):
    for role in ("other_pilot", "militant", "federation"):
        with pytest.raises(PermissionDenied):
            operations.message_registrants(
                world.users[role], world.event, operations.MessageAudience.ALL, "Objet", "Message"
            )
        with pytest.raises(PermissionDenied):
            operations.record_registrations_export(world.users[role], world.event, 4)


# --- the list, its CSV -----------------------------------------------------------------------------


def test_the_pilot_sees_names_sections_and_the_waiting_list(client, world):
    login(client, world.users["pilot"].email)
    page = page_text(client.get(f"/calendrier/{world.event.id}/inscrits"))
    seats, waiting = page.split("Liste d'attente</h2>", 1)
    assert "Alice Arnaud" in seats and "Grenoble" in seats and "Fédération de Isère" in seats
    assert "Lyon 7e" in seats and "Fédération de Rhône" in seats
    assert "Chloé Caron" in waiting and "Denis Dupuis" in waiting
    assert waiting.index("Chloé Caron") < waiting.index("Denis Dupuis")  # the rank is the order of arrival
    assert "Emma" not in page  # a cancelled registration is not listed
    assert "2 places confirmées sur 2" in page and "2 personnes en liste d'attente" in page
    # Reached from the event page and from « Mes rendez-vous à organiser ».
    event_page = page_text(client.get(f"/calendrier/{world.event.id}"))
    assert (
        f'href="/calendrier/{world.event.id}/inscrits"' in event_page
        and "Voir les inscrit·es (2 + 2 en attente)" in event_page
    )
    organised = page_text(client.get("/calendrier/organisation"))
    assert "Audition à Grenoble" in organised and "2 inscrit·es sur 2 places, 2 en liste d'attente" in organised


def test_the_organiser_overview_lists_only_their_events(client, world):
    make_event(world.base, title="Réunion du groupe 2", groups=(world.group2,), starts_dt=paris(2030, 5, 1, 18))
    db.session.commit()
    login(client, world.users["pilot"].email)
    page = page_text(client.get("/calendrier/organisation"))
    assert "Audition à Grenoble" in page and "Réunion du groupe 2" not in page
    client.post("/compte/deconnexion")
    login(client, world.users["militant"].email)
    assert client.get("/calendrier/organisation").status_code == 403


def test_the_csv_lists_the_registrants_and_neutralises_formulas(client, world):
    login(client, world.users["pilot"].email)
    response = client.get(f"/calendrier/{world.event.id}/inscrits.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="inscrits-rendez-vous-{world.event.id}.csv"'
    )
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM, as French Excel wants it
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "Statut",
        "Rang sur la liste d'attente",
        "Nom",
        "Prénom",
        "Section",
        "Fédération",
        "Inscription le",
    ]
    body = [row[:6] for row in rows[1:]]
    assert body == [
        ["Inscrit·e", "", "Arnaud", "Alice", "Grenoble", "Fédération de Isère"],
        ["Inscrit·e", "", '\'=HYPERLINK("http://x")', "Bruno", "Lyon 7e", "Fédération de Rhône"],
        ["En liste d'attente", "1", "Caron", "Chloé", "Grenoble", "Fédération de Isère"],
        ["En liste d'attente", "2", "Denis Dupuis", "", "", ""],
    ]
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", row[6]) for row in rows[1:])
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "event.export_registrations")).one()
    assert entry.actor_id == world.users["pilot"].id and entry.object_id == world.event.id
    assert entry.data == {"rows": 4}


# --- writing to the registrants ----------------------------------------------------------------


def test_the_message_is_confirmed_then_sent_to_exactly_the_registrants(client, world, app):
    login(client, world.users["pilot"].email)
    message = {"audience": "all", "subject": "Changement de salle", "body": "Nous serons salle B.\nÀ bientôt."}
    confirm = client.post(f"/calendrier/{world.event.id}/inscrits/message", data=message)
    page = page_text(confirm)
    assert confirm.status_code == 200 and "Relire le message avant l'envoi" in page
    assert "Ce message sera envoyé à 4 personnes" in page
    assert "Audition à Grenoble (10/04/2030) : Changement de salle" in page
    assert f'action="/calendrier/{world.event.id}/inscrits/message/envoi"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0  # nothing sent yet

    with mail.record_messages() as outbox:
        response = client.post(f"/calendrier/{world.event.id}/inscrits/message/envoi", data=message)
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/calendrier/{world.event.id}/inscrits")
        with app.app_context():  # the beat sweep, in case the after-commit dispatch did not run inline
            app.extensions["celery"].tasks[SWEEP].delay(min_age_seconds=0).get()
    expected = {u.id for u in world.seated + world.waiting}
    notifications = db.session.scalars(sa.select(Notification)).all()
    assert {n.user_id for n in notifications} == expected and len(notifications) == 4
    assert all(n.kind == NotificationKind.EVENT_REMINDER for n in notifications)
    assert notifications[0].subject == "Audition à Grenoble (10/04/2030) : Changement de salle"
    assert "Nous serons salle B.\nÀ bientôt." in notifications[0].body
    assert world.users["pilot"].display_name in notifications[0].body
    assert sorted(r for m in outbox for r in m.recipients) == sorted(
        u.email for u in world.seated + world.waiting
    )  # each registrant once; not the one who cancelled, not the organiser
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "event.message_registrants")).one()
    assert entry.actor_id == world.users["pilot"].id
    assert entry.data["recipients"] == 4 and entry.data["audience"] == "all"
    assert "envoyé à 4 personnes" in page_text(client.get(response.headers["Location"]))


@pytest.mark.parametrize(("audience", "who"), [("registered", "seated"), ("waiting", "waiting")])
def test_the_message_can_go_to_the_seats_or_the_waiting_list(client, world, audience, who):
    login(client, world.users["committee"].email)
    response = client.post(
        f"/calendrier/{world.event.id}/inscrits/message/envoi",
        data={"audience": audience, "subject": "Information", "body": "Bonjour."},
    )
    assert response.status_code == 302
    notified = set(db.session.scalars(sa.select(Notification.user_id)))
    assert notified == {u.id for u in getattr(world, who)}


def test_three_messages_a_day_per_event_then_a_french_refusal(client, world):
    login(client, world.users["pilot"].email)
    url = f"/calendrier/{world.event.id}/inscrits/message/envoi"
    for n in range(operations.MESSAGES_PER_EVENT_PER_DAY):
        assert client.post(url, data={"audience": "all", "subject": f"Message {n}", "body": "Texte"}).status_code == 302
    response = client.post(url, data={"audience": "all", "subject": "Encore", "body": "Texte"})
    assert response.status_code == 409
    assert "déjà envoyé 3 messages aux inscrit·es ces dernières 24 heures" in page_text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 3 * 4


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"subject": ""}, "Indiquez l'objet du message."),
        ({"subject": "x" * 151}, "L'objet ne doit pas dépasser 150 caractères."),
        ({"body": "   "}, "Écrivez le message."),
        ({"body": "x" * 5001}, "Le message ne doit pas dépasser 5000 caractères."),
        ({"audience": "everyone"}, "N'est pas un choix valide"),
    ],
)
def test_a_bad_message_is_explained_and_nothing_is_sent(client, world, changes, message):
    login(client, world.users["pilot"].email)
    data = {"audience": "all", "subject": "Objet", "body": "Texte", **changes}
    for url in ("inscrits/message", "inscrits/message/envoi"):
        response = client.post(f"/calendrier/{world.event.id}/{url}", data=data)
        assert response.status_code in (200, 422)
        assert message in page_text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


def test_no_message_when_nobody_is_concerned(client, world):
    empty = make_event(world.base, title="Réunion sans inscrit", starts_dt=paris(2030, 6, 1, 18))
    db.session.commit()
    login(client, world.users["pilot"].email)
    response = client.post(
        f"/calendrier/{empty.id}/inscrits/message", data={"audience": "all", "subject": "Objet", "body": "Texte"}
    )
    assert response.status_code == 200 and "Personne n'est concerné·e" in page_text(response)
    response = client.post(
        f"/calendrier/{empty.id}/inscrits/message/envoi", data={"audience": "all", "subject": "Objet", "body": "Texte"}
    )
    assert response.status_code == 409 and "Personne n'est concerné·e" in page_text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


# --- federation meetings by the federation's first secretary ------------------------------------


def meeting_form(world, unit, **changes):
    data = form_data(world.base, kind="federation_meeting", title="Rencontre fédérale de l'Isère",
                     working_groups=[], federation=str(unit.id), experts="")  # fmt: skip
    data.update(changes)
    return data


def test_a_federation_secretary_creates_a_federation_meeting_of_their_federation(client, world):
    login(client, world.users["federation"].email)
    calendar = page_text(client.get("/calendrier/"))
    assert 'href="/calendrier/nouveau"' in calendar
    form = page_text(client.get("/calendrier/nouveau"))
    # Only federation meetings, only their federation, preselected; no working group to choose.
    assert re.search(r'<option selected value="federation_meeting">', form)
    assert 'value="hearing"' not in form
    assert re.search(rf'<option selected value="{world.isere.id}">Fédération de Isère</option>', form)
    assert "Fédération de Rhône" not in form and 'name="working_groups"' not in form
    response = client.post("/calendrier/nouveau", data=meeting_form(world, world.isere))
    assert response.status_code == 302, page_text(response)[:3000]
    meeting = db.session.scalars(sa.select(Event).where(Event.title == "Rencontre fédérale de l'Isère")).one()
    assert meeting.kind == EventKind.FEDERATION_MEETING and meeting.federation_id == world.isere.id
    assert meeting.working_groups == []
    # They organise it: edit it, see its registrants.
    assert client.get(f"/calendrier/{meeting.id}/modifier").status_code == 200
    response = client.post(
        f"/calendrier/{meeting.id}/modifier", data=meeting_form(world, world.isere, title="Rencontre de printemps")
    )
    assert response.status_code == 302
    assert client.get(f"/calendrier/{meeting.id}/inscrits").status_code == 200
    assert "Rencontre de printemps" in page_text(client.get("/calendrier/organisation"))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"federation": "other"}, "Vous ne pouvez programmer une rencontre fédérale que pour votre fédération."),
        ({"kind": "hearing"}, "Vous pouvez programmer des rencontres fédérales uniquement."),
    ],
)
def test_a_federation_secretary_cannot_schedule_for_another_federation(client, world, changes, message):
    login(client, world.users["federation"].email)
    if changes.get("federation") == "other":
        changes = {"federation": str(world.rhone.id)}
    response = client.post("/calendrier/nouveau", data=meeting_form(world, world.isere, **changes))
    assert response.status_code == 200 and message in page_text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 1  # only the world's event


def test_the_operation_refuses_another_federation_and_other_kinds(world):
    secretary = world.users["federation"]
    for data in (
        event_data(
            world.base,
            kind=EventKind.FEDERATION_MEETING,
            working_group_ids=[],
            federation_id=world.rhone.id,
            experts=[],
        ),
        event_data(world.base, kind=EventKind.DEBATE, working_group_ids=[], federation_id=world.isere.id, experts=[]),
        event_data(world.base, kind=EventKind.FEDERATION_MEETING, federation_id=world.isere.id, experts=[]),  # group 1
    ):
        with pytest.raises(PermissionDenied):
            operations.create_event(secretary, world.convention, data)
    own = event_data(
        world.base, kind=EventKind.FEDERATION_MEETING, working_group_ids=[], federation_id=world.isere.id, experts=[]
    )
    meeting = operations.create_event(secretary, world.convention, own)
    # The Rhône's secretary neither edits nor sees the Isère's meeting; the Isère's edits no group event.
    other = world.users["other_federation"]
    assert not meeting.can_edit(other) and not meeting.can_manage_registrations(other)
    with pytest.raises(PermissionDenied):
        operations.update_event(other, meeting, own)
    assert not world.event.can_edit(secretary)
    moved = event_data(
        world.base, kind=EventKind.FEDERATION_MEETING, working_group_ids=[], federation_id=world.rhone.id, experts=[]
    )
    with pytest.raises(PermissionDenied):  # and cannot move their meeting to another federation
        operations.update_event(secretary, meeting, moved)


def test_another_federations_secretary_is_refused_the_pages(client, world):
    meeting = make_event(world.base, kind=EventKind.FEDERATION_MEETING, title="Rencontre de l'Isère",
                         groups=(), federation=world.isere, starts_dt=paris(2030, 3, 1, 18))  # fmt: skip
    db.session.commit()
    login(client, world.users["other_federation"].email)
    for url in (f"/calendrier/{meeting.id}/modifier", f"/calendrier/{meeting.id}/inscrits"):
        assert client.get(url).status_code == 403
    response = client.post(f"/calendrier/{meeting.id}/modifier", data=meeting_form(world, world.isere, title="Piraté"))
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Event, meeting.id).title == "Rencontre de l'Isère"


# --- the event form preselects the pilot's only group ----------------------------------------


def _selected_groups(page: str) -> list[str]:
    select = re.search(r'<select[^>]*name="working_groups".*?</select>', page, re.S).group(0)
    return re.findall(r'<option selected value="(\d+)"', select)


def test_the_form_preselects_the_only_group_of_a_pilot(client, world):
    login(client, world.users["pilot"].email)
    assert _selected_groups(page_text(client.get("/calendrier/nouveau"))) == [str(world.group1.id)]


def test_no_preselection_for_the_committee_or_a_pilot_of_two_groups(client, world):
    from tests.auth_fixtures import grant

    grant(world.users["other_pilot"], Role.PILOT, world.group1)
    db.session.commit()
    login(client, world.users["committee"].email)
    assert _selected_groups(page_text(client.get("/calendrier/nouveau"))) == []
    client.post("/compte/deconnexion")
    login(client, world.users["other_pilot"].email)
    assert _selected_groups(page_text(client.get("/calendrier/nouveau"))) == []
