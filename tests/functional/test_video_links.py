"""Video-call links are for registered members only: not anonymous visitors, not public feeds (issue 9)."""

from __future__ import annotations

import icalendar
import pytest

from convention.calendar import operations
from convention.extensions import db
from tests.auth_fixtures import login
from tests.integration.test_calendar_operations import make_event, make_world, paris

LINK = "https://visio.example.org/audition-secrete"


def ics_text(response) -> str:
    """Every event's texts, unfolded (iCalendar folds lines at 75 octets)."""
    cal = icalendar.Calendar.from_ical(response.data)
    return " ".join(str(e.get(name, "")) for e in cal.walk("VEVENT") for name in ("description", "location"))


@pytest.fixture()
def remote(database):
    world = make_world()
    event = make_event(world, starts_dt=paris(2030, 4, 10, 18), online_url=LINK, groups=(world.group1,))
    db.session.commit()
    return world, event


def test_anonymous_visitors_do_not_get_the_link(client, remote):
    world, event = remote
    for url in (
        f"/calendrier/{event.id}",
        f"/calendrier/{event.id}.ics",
        "/api/v1/events.ics",
        f"/api/v1/working-groups/{world.group1.id}/events.ics",
        f"/api/v1/events?convention={world.convention.slug}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert LINK.encode() not in response.data, url
        if url.endswith(".ics"):
            assert "visio.example.org" not in ics_text(response), url
    assert "réservé aux adhérent·es" in client.get(f"/calendrier/{event.id}").get_data(as_text=True)


def test_members_get_the_link_on_the_page_their_download_and_their_feed(client, remote):
    world, event = remote
    militant = world.users["militant"]
    operations.register_for_event(militant, event)
    token = operations.regenerate_feed_token(militant)
    db.session.commit()
    login(client, militant.email)
    assert LINK in client.get(f"/calendrier/{event.id}").get_data(as_text=True)
    download = client.get(f"/calendrier/{event.id}.ics")
    assert LINK in ics_text(download)
    assert "no-store" in download.headers["Cache-Control"]  # a member's copy, never cached
    # Public feeds stay without it, even for a member.
    assert "visio.example.org" not in ics_text(client.get("/api/v1/events.ics"))
    client.post("/compte/deconnexion")
    feed = client.get(f"/calendrier/flux/{token.plain_secret}.ics")
    assert feed.status_code == 200 and LINK in ics_text(feed)
