"""Calendar pages: event form, registration buttons, minutes, filters, « Mes inscriptions »."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from convention.calendar import operations
from convention.calendar.models import Event, EventKind, EventRegistration, RegistrationStatus
from convention.extensions import db, limiter
from convention.groups.models import Person
from convention.notifications.models import Notification
from tests.auth_fixtures import login, page_text, switch_user
from tests.functional.test_calendar_permissions import form_data
from tests.integration.test_calendar_operations import make_event, make_world, paris


@pytest.fixture(autouse=True)
def _no_login_rate_limit():
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture()
def world(database):
    world = make_world()
    db.session.commit()
    return world


def test_a_pilot_creates_an_event_from_the_form(client, world):
    login(client, world.users["pilot"].email)
    page = page_text(client.get("/calendrier/"))
    assert 'href="/calendrier/nouveau"' in page
    form = page_text(client.get("/calendrier/nouveau"))
    # A pilot is offered only the groups they animate.
    assert f'value="{world.group1.id}"' in form and "2. Groupe 2" not in form
    response = client.post(
        "/calendrier/nouveau",
        data=form_data(
            world,
            online_url="https://visio.example.org/salle",
            experts="Jeanne Martin ; Sociologue ; CNRS\nPaul Durand ; ; Police nationale",
        ),
    )
    assert response.status_code == 302
    event = db.session.scalars(sa.select(Event)).one()
    assert response.headers["Location"].endswith(f"/calendrier/{event.id}")
    assert event.local_start.strftime("%Y-%m-%d %H:%M") == "2030-04-02 18:00"
    assert event.starts_dt.hour == 16  # stored in UTC (Paris is UTC+2 in April)
    assert event.capacity == 40 and event.online_url == "https://visio.example.org/salle"
    assert [p.full_name for p in event.experts] == ["Jeanne Martin", "Paul Durand"]
    assert (
        db.session.scalars(
            sa.select(Person.organisation).where(Person.full_name == "Paul Durand")
        ).one()
        == "Police nationale"
    )
    page = page_text(client.get(f"/calendrier/{event.id}"))
    assert "18:00" in page and "20:00" in page and "Lien de visioconférence" in page
    assert "Modifier le rendez-vous" in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"end_time": "17:00"}, "L'heure de fin doit être après l'heure de début."),
        ({"title": ""}, "Indiquez un titre."),
        ({"day": "pas une date"}, "Indiquez la date"),
        ({"start_time": ""}, "Indiquez l'heure de début"),
        ({"experts": ""}, "Une audition doit nommer au moins une personne auditionnée."),
        ({"online_url": "javascript:alert(1)"}, "commençant par https://"),
        ({"capacity": "0"}, "au moins 1"),
        ({"working_groups": []}, "Choisissez au moins un groupe de travail que vous animez."),
    ],
)
def test_the_event_form_explains_its_errors_in_french(client, world, changes, message):
    login(client, world.users["pilot"].email)
    response = client.post("/calendrier/nouveau", data=form_data(world, **changes))
    assert response.status_code == 200
    assert message in page_text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0


def test_an_all_day_event_needs_no_time(client, world):
    login(client, world.users["committee"].email)
    response = client.post(
        "/calendrier/nouveau",
        data=form_data(
            world,
            kind="federation_meeting",
            is_all_day="y",
            start_time="",
            end_time="",
            experts="",
            working_groups=[],
            federation=str(world.federation.id),
        ),
    )
    assert response.status_code == 302
    event = db.session.scalars(sa.select(Event)).one()
    assert event.is_all_day and event.ends_dt is None and event.federation_name == "Isère"


def test_the_edit_form_is_prefilled(client, world):
    event = make_event(world, starts_dt=paris(2030, 4, 10, 18, 30), capacity=12)
    db.session.commit()
    login(client, world.users["pilot"].email)
    page = page_text(client.get(f"/calendrier/{event.id}/modifier"))
    assert 'value="18:30"' in page and 'value="12"' in page
    assert f"Experte {event.id} ; Magistrate ; Cour de cassation" in page


def test_registration_waiting_list_and_promotion_through_the_pages(client, world):
    event = make_event(world, starts_dt=paris(2030, 4, 10, 18), capacity=1)
    db.session.commit()
    url = f"/calendrier/{event.id}"

    anonymous = page_text(client.get(url))
    assert "Connectez-vous pour vous inscrire." in anonymous

    login(client, world.users["militant"].email)
    assert "1 place restante" in page_text(client.get(url))
    response = client.post(f"{url}/inscription", follow_redirects=True)
    assert "Vous êtes inscrit·e à ce rendez-vous." in page_text(response)
    # A second submission of the same form is refused cleanly.
    again = client.post(f"{url}/inscription", follow_redirects=True)
    assert again.status_code == 200
    assert "Vous êtes déjà inscrit·e à ce rendez-vous." in page_text(again)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EventRegistration)) == 1

    switch_user(client, world.users["bn"].email)
    page = page_text(client.get(url))
    assert "Complet" in page and "M'inscrire sur la liste d'attente" in page
    response = client.post(f"{url}/inscription", follow_redirects=True)
    assert "liste d'attente" in page_text(response)
    assert "Vous êtes en position 1 sur la liste d'attente." in page_text(response)

    switch_user(client, world.users["militant"].email)
    response = client.post(f"{url}/desinscription", follow_redirects=True)
    assert "Votre inscription est annulée." in page_text(response)
    db.session.expire_all()
    rows = {r.user_id: r.status for r in db.session.scalars(sa.select(EventRegistration))}
    assert rows == {
        world.users["militant"].id: RegistrationStatus.CANCELLED,
        world.users["bn"].id: RegistrationStatus.REGISTERED,
    }
    note = db.session.scalars(sa.select(Notification)).one()
    assert note.user_id == world.users["bn"].id


def test_no_registration_button_for_a_past_event(client, world):
    event = make_event(world, starts_dt=paris(2025, 1, 10, 18))
    db.session.commit()
    login(client, world.users["militant"].email)
    page = page_text(client.get(f"/calendrier/{event.id}"))
    assert "les inscriptions sont closes" in page and "M'inscrire" not in page
    response = client.post(f"/calendrier/{event.id}/inscription", follow_redirects=True)
    assert "déjà eu lieu" in page_text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EventRegistration)) == 0


def test_published_minutes_are_rendered_and_sanitised(client, world):
    event = make_event(world, starts_dt=paris(2025, 1, 10, 18))
    db.session.commit()
    login(client, world.users["pilot"].email)
    page = page_text(client.get(f"/calendrier/{event.id}"))
    assert "Publier le compte rendu" in page
    response = client.post(
        f"/calendrier/{event.id}/compte-rendu",
        data={
            "minutes": "## Les échanges\n\n**Important** <script>alert('x')</script>\n\n"
            "[piège](javascript:alert(1)) [source](https://www.example.org)",
            "hearing_summary": "L'experte recommande *la police de proximité*.",
        },
    )
    assert response.status_code == 302
    html = client.get(f"/calendrier/{event.id}").get_data(as_text=True)
    assert "<h2>Les échanges</h2>" in html and "<strong>Important</strong>" in html
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html
    assert 'href="https://www.example.org"' in html
    assert "Synthèse de l'audition" in html and "<em>la police de proximité</em>" in html


def test_empty_minutes_are_refused(client, world):
    event = make_event(world, starts_dt=paris(2025, 1, 10, 18))
    db.session.commit()
    login(client, world.users["pilot"].email)
    response = client.post(
        f"/calendrier/{event.id}/compte-rendu", data={"minutes": "", "hearing_summary": ""}
    )
    assert response.status_code == 200
    assert "Rédigez le compte rendu avant de le publier." in page_text(response)


def test_the_federation_filter(client, world):
    in_isere = make_event(
        world,
        kind=EventKind.FEDERATION_MEETING,
        title="Rencontre en Isère",
        federation=world.federation,
        groups=(),
        starts_dt=paris(2030, 5, 3, 18),
    )
    elsewhere = make_event(
        world,
        kind=EventKind.DEBATE,
        title="Débat national",
        groups=(),
        starts_dt=paris(2030, 5, 4, 18),
    )
    db.session.commit()
    page = page_text(client.get("/calendrier/"))
    assert f'<option value="{world.federation.id}">' in page
    filtered = page_text(client.get(f"/calendrier/?federation={world.federation.id}"))
    assert f'href="/calendrier/{in_isere.id}"' in filtered
    assert f'href="/calendrier/{elsewhere.id}"' not in filtered
    grid = page_text(
        client.get(f"/calendrier/?vue=grille&mois=2030-05&federation={world.federation.id}")
    )
    assert (
        f'href="/calendrier/{in_isere.id}"' in grid
        and f'href="/calendrier/{elsewhere.id}"' not in grid
    )


def test_my_registrations_is_reachable_from_the_account_page(client, world):
    event = make_event(world, starts_dt=paris(2030, 4, 10, 18))
    operations.register_for_event(world.users["militant"], event)
    db.session.commit()
    login(client, world.users["militant"].email)
    account = page_text(client.get("/compte/"))
    assert 'href="/calendrier/mes-inscriptions"' in account
    page = page_text(client.get("/calendrier/mes-inscriptions"))
    assert f'href="/calendrier/{event.id}"' in page and "Inscrit·e" in page


def test_my_registrations_needs_a_login(client, world):
    response = client.get("/calendrier/mes-inscriptions")
    assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"]


@pytest.mark.parametrize("minutes", ["", "## Ce qui a été décidé"])
def test_minutes_of_a_meeting_that_is_no_hearing(client, world, minutes):
    """Found by the form fuzzing (issue 9): the form without its hearing field raised a 500."""
    event = make_event(world, kind=EventKind.WORKSHOP, starts_dt=paris(2025, 1, 10, 18))
    db.session.commit()
    login(client, world.users["pilot"].email)
    response = client.post(f"/calendrier/{event.id}/compte-rendu", data={"minutes": minutes})
    if minutes:
        assert response.status_code == 302
        assert "Ce qui a été décidé" in page_text(client.get(f"/calendrier/{event.id}"))
    else:
        assert response.status_code == 200
        assert "Rédigez le compte rendu avant de le publier." in page_text(response)
