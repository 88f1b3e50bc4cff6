"""Event texts are one line where they are written, and every iCalendar writer escapes (issue 9).

A title with a line break used to make the event's ``.ics`` fail (icalendar refuses a raw
newline in the X-WR-CALNAME the single-event file carries); rows written before titles were
normalised, or by an import, must not break any feed either.
"""

from __future__ import annotations

import icalendar
import pytest

from convention.calendar import operations
from convention.domain.cleaning import multiline, neutralise_formula, one_line
from convention.extensions import db
from tests.integration.test_calendar_operations import event_data, make_event, make_world, paris

ODD_TITLE = "Audition\r\nde la Défenseure\u2028des droits ;\tvirgule, \\ barre\u202e\x07"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Audition\nde la\r\nDéfenseure", "Audition de la Défenseure"),
        ("  deux   espaces\t\tet tab ", "deux espaces et tab"),
        ("\u202eevilA\u2066\u200f", "evilA"),
        ("bip\x07\x00 fin\x85\u2029", "bip fin"),
        ("", ""),
        (None, ""),
    ],
)
def test_one_line(raw, expected):
    assert one_line(raw) == expected


def test_multiline_keeps_paragraphs_only():
    assert multiline("un\r\ndeux\rtrois\x00\u202e\n\nquatre ") == "un\ndeux\ntrois\n\nquatre"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=1+1", "'=1+1"), ("+33 6", "'+33 6"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
     ("\tx", "'\tx"), ("Marie", "Marie"), (-2, -2), (None, None)],
)  # fmt: skip
def test_neutralise_formula(value, expected):
    assert neutralise_formula(value) == expected


def test_titles_are_one_line_where_they_are_written(database):
    world = make_world()
    data = event_data(world, title=ODD_TITLE, place="10 rue\nde Solférino", description="a\r\nb\x00")
    event = operations.create_event(world.users["pilot"], world.convention, data)
    assert "\n" not in event.title and "\r" not in event.title and "\u202e" not in event.title
    assert event.title.startswith("Audition de la Défenseure des droits")
    assert event.place == "10 rue de Solférino" and event.description == "a\nb"
    operations.update_event(world.users["pilot"], event, event_data(world, title="Nouveau\ntitre"))
    assert event.title == "Nouveau titre"


def _parse(response) -> icalendar.Calendar:
    assert response.status_code == 200, response.status_code
    return icalendar.Calendar.from_ical(response.data)


def test_every_feed_escapes_what_it_writes(client, database):
    world = make_world()
    event = make_event(
        world,
        title=ODD_TITLE,
        place="Salle 3\nbâtiment B",
        description="Première ligne\nSeconde ; avec, ponctuation \\",
        starts_dt=paris(2030, 4, 10, 18, 30),
        groups=(world.group1,),
    )
    world.group1.title = "Groupe\nsur deux lignes"
    db.session.commit()
    for url in (
        f"/calendrier/{event.id}.ics",
        "/api/v1/events.ics",
        f"/api/v1/working-groups/{world.group1.id}/events.ics",
    ):
        cal = _parse(client.get(url))
        vevent = next(iter(cal.walk("VEVENT")))
        summary = str(vevent["summary"])
        assert "\n" not in summary and "\r" not in summary and "\u202e" not in summary, url
        assert "Défenseure des droits ;" in summary and "virgule, \\ barre" in summary
        assert str(vevent["location"]) == "Salle 3 bâtiment B"
        assert "Seconde ; avec, ponctuation \\" in str(vevent["description"])
        assert "\n" not in str(cal["x-wr-calname"])
