"""iCalendar feeds: parsed back with icalendar, checked against RFC 5545's required properties."""

from __future__ import annotations

import datetime as dt
import re

import icalendar
import pytest

from convention.calendar import operations
from convention.calendar.models import PARIS, EventKind
from convention.extensions import db, limiter
from tests.auth_fixtures import login
from tests.integration.test_calendar_operations import make_event, make_world, paris

DOMAIN = "convention.parti-socialiste.fr"


@pytest.fixture(autouse=True)
def _no_login_rate_limit():
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture()
def feeds(database):
    world = make_world()
    timed = make_event(
        world,
        title="Audition de la Défenseure des droits",
        starts_dt=paris(2030, 4, 10, 18, 30),
        ends_dt=paris(2030, 4, 10, 20),
    )
    all_day = make_event(
        world,
        kind=EventKind.FEDERATION_MEETING,
        title="Rencontre fédérale en Isère",
        starts_dt=paris(2030, 5, 3),
        is_all_day=True,
        groups=(),
        federation=world.federation,
        place="",
    )
    other = make_event(
        world,
        kind=EventKind.WORKSHOP,
        title="Atelier du groupe 2",
        starts_dt=paris(2030, 6, 1, 9),
        groups=(world.group2,),
        online_url="https://visio.example.org/atelier",
        place="",
    )
    db.session.commit()
    return world, timed, all_day, other


def parse(response) -> icalendar.Calendar:
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.data)


def vevents(cal) -> dict[str, icalendar.Event]:
    return {str(e["uid"]): e for e in cal.walk("VEVENT")}


def assert_rfc5545(cal: icalendar.Calendar) -> None:
    """The properties RFC 5545 requires, and a VTIMEZONE for every TZID used."""
    assert str(cal["version"]) == "2.0"
    assert str(cal["prodid"]).startswith("-//")
    tzids = set()
    for event in cal.walk("VEVENT"):
        for required in ("uid", "dtstamp", "dtstart"):
            assert required in event, required
        assert "dtend" not in event or "duration" not in event
        start = event["dtstart"].dt
        if isinstance(start, dt.datetime):
            tzids.add(event["dtstart"].params["TZID"])
            if "dtend" in event:
                assert event["dtend"].dt > start
        else:
            assert event["dtstart"].params.get("VALUE", "DATE") == "DATE"
            assert event["dtend"].dt > start
    defined = {str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")}
    assert tzids <= defined
    # Lines are folded at 75 octets and end with CRLF.
    raw = cal.to_ical()
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))


def test_the_convention_feed(client, feeds):
    world, timed, all_day, other = feeds
    cal = parse(client.get("/api/v1/events.ics"))
    assert_rfc5545(cal)
    events = vevents(cal)
    assert set(events) == {f"event-{e.id}@{DOMAIN}" for e in (timed, all_day, other)}
    assert [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Paris"]

    vevent = events[f"event-{timed.id}@{DOMAIN}"]
    assert vevent["dtstart"].params["TZID"] == "Europe/Paris"
    assert vevent["dtstart"].dt == dt.datetime(2030, 4, 10, 18, 30, tzinfo=PARIS)
    assert vevent["dtend"].dt == dt.datetime(2030, 4, 10, 20, 0, tzinfo=PARIS)
    assert str(vevent["summary"]) == "Audition — Audition de la Défenseure des droits"
    assert str(vevent["url"]) == f"http://localhost/calendrier/{timed.id}"
    assert "Cour de cassation" in str(vevent["description"])
    assert str(vevent["location"]) == "10 rue de Solférino, Paris"

    day = events[f"event-{all_day.id}@{DOMAIN}"]
    assert day["dtstart"].dt == dt.date(2030, 5, 3) and not isinstance(
        day["dtstart"].dt, dt.datetime
    )
    assert day["dtend"].dt == dt.date(2030, 5, 4)
    assert str(day["location"]) == "Fédération de Isère"

    remote = events[f"event-{other.id}@{DOMAIN}"]
    assert str(remote["location"]) == "À distance"  # the link is for members (issue 9)
    assert b"visio.example.org" not in cal.to_ical()


def test_uids_and_stamps_are_stable_across_fetches(client, feeds):
    first = vevents(parse(client.get("/api/v1/events.ics")))
    second = vevents(parse(client.get("/api/v1/events.ics")))
    assert set(first) == set(second)
    for uid in first:
        assert first[uid]["dtstamp"].dt == second[uid]["dtstamp"].dt


def test_the_working_group_feed_lists_its_events_only(client, feeds):
    world, timed, all_day, other = feeds
    cal = parse(client.get(f"/api/v1/working-groups/{world.group2.id}/events.ics"))
    assert_rfc5545(cal)
    assert set(vevents(cal)) == {f"event-{other.id}@{DOMAIN}"}
    # The same event keeps its UID in every feed.
    assert f"event-{other.id}@{DOMAIN}" in vevents(parse(client.get("/api/v1/events.ics")))


def test_unknown_group_or_convention_gives_404(client, feeds):
    assert client.get("/api/v1/working-groups/999999/events.ics").status_code == 404
    assert client.get("/api/v1/events.ics?convention=inconnue").status_code == 404


def test_the_single_event_file_and_its_link(client, feeds):
    world, timed, all_day, other = feeds
    cal = parse(client.get(f"/calendrier/{timed.id}.ics"))
    assert_rfc5545(cal)
    assert list(vevents(cal)) == [f"event-{timed.id}@{DOMAIN}"]
    page = client.get(f"/calendrier/{timed.id}").get_data(as_text=True)
    assert f'href="/calendrier/{timed.id}.ics"' in page and "Ajouter à mon agenda" in page


def test_the_uid_domain_comes_from_the_configuration(app, client, feeds):
    world, timed, all_day, other = feeds
    app.config["ICS_UID_DOMAIN"] = "exemple.test"
    try:
        cal = parse(client.get(f"/calendrier/{timed.id}.ics"))
    finally:
        app.config.pop("ICS_UID_DOMAIN")
    assert list(vevents(cal)) == [f"event-{timed.id}@exemple.test"]


def test_the_private_feed_lists_only_the_members_registrations(client, feeds):
    world, timed, all_day, other = feeds
    militant, bn = world.users["militant"], world.users["bn"]
    operations.register_for_event(militant, timed)
    operations.register_for_event(bn, other)
    db.session.commit()

    login(client, militant.email)
    page = client.get("/calendrier/mes-inscriptions")
    assert "Créer mon adresse d'abonnement" in page.get_data(as_text=True)
    assert client.post("/calendrier/mes-inscriptions/flux").status_code == 302
    page = client.get("/calendrier/mes-inscriptions").get_data(as_text=True)
    url = feed_path(page)
    assert f"http://localhost{url}" in page
    # Stored hashed, the address is shown once only (issue 9).
    again = client.get("/calendrier/mes-inscriptions").get_data(as_text=True)
    assert url not in again and "affichée qu'une fois" in again

    client.post("/compte/deconnexion")  # the feed needs no session: the secret is the key
    response = client.get(url)
    assert response.headers["Cache-Control"] == "private, no-store"
    cal = parse(response)
    assert_rfc5545(cal)
    assert set(vevents(cal)) == {f"event-{timed.id}@{DOMAIN}"}

    # Regenerating invalidates the old address; revoking removes the new one.
    login(client, militant.email)
    client.post("/calendrier/mes-inscriptions/flux")
    assert client.get(url).status_code == 404
    new_url = feed_path(client.get("/calendrier/mes-inscriptions").get_data(as_text=True))
    assert client.get(new_url).status_code == 200
    client.post("/calendrier/mes-inscriptions/flux/suppression")
    assert client.get(new_url).status_code == 404


def feed_path(page: str) -> str:
    """The private feed's path, as the page shows it once after its creation."""
    match = re.search(r"http://localhost(/calendrier/flux/[A-Za-z0-9_-]+\.ics)", page)
    assert match, "no feed address on the page"
    return match.group(1)


def test_a_cancelled_registration_leaves_the_private_feed(client, feeds):
    world, timed, all_day, other = feeds
    militant = world.users["militant"]
    operations.register_for_event(militant, timed)
    operations.register_for_event(militant, other)
    token = operations.regenerate_feed_token(militant).plain_secret
    operations.cancel_registration(militant, other)
    db.session.commit()
    cal = parse(client.get(f"/calendrier/flux/{token}.ics"))
    assert set(vevents(cal)) == {f"event-{timed.id}@{DOMAIN}"}


def test_an_unknown_token_gives_404(client, feeds):
    assert client.get("/calendrier/flux/pas-un-jeton.ics").status_code == 404
