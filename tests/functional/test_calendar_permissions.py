"""The permission matrix of the calendar's forms: one test per (action, role) cell.

Actions: open the « new event » form, create an event for group 1, edit an event of group 1,
publish the minutes of a past event of group 1. Roles: militant, pilot of group 1, pilot of
group 2, steering committee, section secretary, Bureau national, anonymous visitor.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from convention.calendar.models import Event
from convention.extensions import db, limiter
from tests.auth_fixtures import login
from tests.integration.test_calendar_operations import make_event, make_world, paris

OK, DENIED, LOGIN, INVALID = "ok", "denied", "login", "invalid"

MATRIX = {
    "new_form": {"militant": DENIED, "pilot": OK, "other_pilot": OK, "committee": OK,
                 "secretary": DENIED, "bn": OK, "anonymous": LOGIN},
    # A pilot of group 2 may schedule events, but not for group 1: the form refuses the choice.
    "create": {"militant": DENIED, "pilot": OK, "other_pilot": INVALID, "committee": OK,
               "secretary": DENIED, "bn": OK, "anonymous": LOGIN},
    "edit": {"militant": DENIED, "pilot": OK, "other_pilot": DENIED, "committee": OK,
             "secretary": DENIED, "bn": OK, "anonymous": LOGIN},
    "minutes": {"militant": DENIED, "pilot": OK, "other_pilot": DENIED, "committee": OK,
                "secretary": DENIED, "bn": OK, "anonymous": LOGIN},
}  # fmt: skip


@pytest.fixture(autouse=True)
def _no_login_rate_limit():
    limiter.reset()
    yield
    limiter.reset()


CELLS = [
    (action, role, expected) for action, row in MATRIX.items() for role, expected in row.items()
]


def form_data(world, **changes) -> dict:
    data = {
        "kind": "hearing",
        "title": "Audition créée par le formulaire",
        "description": "",
        "day": "2030-04-02",
        "start_time": "18:00",
        "end_time": "20:00",
        "place": "Solférino",
        "online_url": "",
        "working_groups": [str(world.group1.id)],
        "federation": "0",
        "capacity": "40",
        "hosts": "Karim Benali",
        "experts": "Jeanne Martin ; Sociologue ; CNRS",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("action", "role", "expected"), CELLS, ids=[f"{a}-{r}" for a, r, _ in CELLS]
)
def test_permission_cell(client, database, action, role, expected):
    world = make_world()
    future = make_event(world, starts_dt=paris(2030, 4, 10, 18))
    past = make_event(world, title="Audition passée", starts_dt=paris(2025, 1, 10, 18))
    db.session.commit()
    if role != "anonymous":
        assert login(client, world.users[role].email).status_code == 302
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Event))

    if action == "new_form":
        response = client.get("/calendrier/nouveau")
    elif action == "create":
        response = client.post("/calendrier/nouveau", data=form_data(world))
    elif action == "edit":
        response = client.post(
            f"/calendrier/{future.id}/modifier", data=form_data(world, title="Titre modifié")
        )
    else:
        response = client.post(
            f"/calendrier/{past.id}/compte-rendu",
            data={"minutes": "Compte rendu publié", "hearing_summary": "Synthèse"},
        )

    db.session.expire_all()
    after = db.session.scalar(sa.select(sa.func.count()).select_from(Event))
    changed = {
        "create": after == before + 1,
        "edit": db.session.get(Event, future.id).title == "Titre modifié",
        "minutes": db.session.get(Event, past.id).minutes == "Compte rendu publié",
        "new_form": False,
    }[action]

    if expected == DENIED:
        assert response.status_code == 403
        assert "Accès refusé" in response.get_data(as_text=True)
        assert not changed
    elif expected == LOGIN:
        assert response.status_code == 302
        assert "/compte/connexion" in response.headers["Location"]
        assert not changed
    elif expected == INVALID:
        assert response.status_code == 200
        assert "is-invalid" in response.get_data(as_text=True)
        assert not changed
    elif action == "new_form":
        assert response.status_code == 200
        assert "Programmer un rendez-vous" in response.get_data(as_text=True)
    else:
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        assert changed
