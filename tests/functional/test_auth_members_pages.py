"""The members pages: who may list the members of which unit (HTTP)."""

from __future__ import annotations

import pytest

from convention.domain.roles import Role
from convention.extensions import db, limiter
from tests.auth_fixtures import (
    login,
    make_federation,
    make_member,
    make_section,
    make_user,
    page_text,
)


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    limiter.reset()


@pytest.fixture()
def units(database):
    isere, rhone = make_federation("38", "Isère"), make_federation("69", "Rhône")
    grenoble, voiron = make_section(isere, "Grenoble"), make_section(isere, "Voiron")
    lyon = make_section(rhone, "Lyon 1er")
    members = {
        "grenoble": make_member(grenoble, "Ana", "Grenoblois", email="ana@example.org"),
        "voiron": make_member(voiron, "Bao", "Voironnais", email="bao@example.org"),
        "lyon": make_member(lyon, "Cyd", "Lyonnais", email="cyd@example.org"),
    }
    make_user("militant@example.org", member=members["grenoble"])
    make_user("sec@example.org", roles=[(Role.SECTION_SECRETARY, grenoble)])
    make_user("fed@example.org", roles=[(Role.FEDERATION_SECRETARY, isere)])
    make_user("bn@example.org", roles=[(Role.NATIONAL_BUREAU, None)])
    db.session.commit()
    return {
        "grenoble": f"/adherents/section/{grenoble.id}",
        "voiron": f"/adherents/section/{voiron.id}",
        "lyon": f"/adherents/section/{lyon.id}",
        "isere": f"/adherents/federation/{isere.id}",
        "rhone": f"/adherents/federation/{rhone.id}",
    }


ALLOWED = {
    "militant@example.org": set(),
    "sec@example.org": {"grenoble"},
    "fed@example.org": {"grenoble", "voiron", "isere"},
    "bn@example.org": {"grenoble", "voiron", "lyon", "isere", "rhone"},
}
PAGES = ["grenoble", "voiron", "lyon", "isere", "rhone"]


@pytest.mark.parametrize("email", list(ALLOWED))
@pytest.mark.parametrize("page", PAGES)
def test_members_page_matrix(client, units, email, page):
    login(client, email)
    response = client.get(units[page])
    if page in ALLOWED[email]:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        html = page_text(response)
        assert "Accès refusé" in html and "droits nécessaires" in html


def test_section_page_lists_its_members_only(client, units):
    login(client, "sec@example.org")
    html = page_text(client.get(units["grenoble"]))
    assert "Grenoblois" in html and "ana@example.org" in html
    assert "Voironnais" not in html and "Lyonnais" not in html


def test_federation_page_lists_all_its_sections(client, units):
    login(client, "fed@example.org")
    html = page_text(client.get(units["isere"]))
    assert "Grenoblois" in html and "Voironnais" in html
    assert "Lyonnais" not in html


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("militant@example.org", 403),
        ("sec@example.org", "grenoble"),
        ("fed@example.org", "isere"),
        ("bn@example.org", 200),
    ],
)
def test_members_index(client, units, email, expected):
    login(client, email)
    response = client.get("/adherents/")
    if expected in (200, 403):
        assert response.status_code == expected
    else:
        assert response.status_code == 302
        assert response.headers["Location"] == units[expected]


@pytest.mark.parametrize("page", ["/adherents/", "/adherents/section/1", "/adherents/federation/1"])
def test_anonymous_visitors_are_sent_to_the_login_page(client, units, page):
    response = client.get(page)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/compte/connexion?next=")


def test_unknown_unit_is_404(client, units):
    login(client, "bn@example.org")
    assert client.get("/adherents/section/99999").status_code == 404
