"""The secretaries' tools are reachable (issue 11 §2, issue 13 §4): « Adhérent·es » in the navigation
and a « Secrétariat » block on « Mon compte » for section and federation secretaries, and for nobody else.
"""

from __future__ import annotations

import re

import pytest
from jinja2 import ChoiceLoader, DictLoader

from convention.domain.phases import PhaseKind
from convention.domain.roles import Role
from convention.extensions import db, limiter
from tests.auth_fixtures import login, make_member, make_section, make_user, page_text
from tests.integration.test_calendar_operations import make_world

NAV_LINK = re.compile(r'<a class="nav-link[^"]*" href="/adherents/"[^>]*>Adhérent·es</a>')


@pytest.fixture(autouse=True)
def _no_rate_limit_left():
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture()
def world(database):
    world = make_world()  # its "secretary" is the section secretary of Grenoble (Isère)
    world.voiron = make_section(world.federation, "Voiron")
    # Running (the fixture's dates are past): federal meetings are scheduled in a running convention.
    world.convention.phase_override = PhaseKind.CONTRIBUTIONS
    world.users["federation"] = make_user(
        member=make_member(world.section, "Nadia", "Girard", email="federation@example.org"),
        roles=[(Role.FEDERATION_SECRETARY, world.federation)],
    )
    db.session.commit()
    return world


def _nav(page: str) -> str:
    return page.split('aria-label="Navigation principale"', 1)[1].split("</nav>", 1)[0]


def test_a_section_secretary_reaches_their_sections_list(client, world):
    login(client, world.users["secretary"].email)
    home = page_text(client.get("/"))
    assert NAV_LINK.search(_nav(home))
    account = page_text(client.get("/compte/"))
    assert "Secrétariat" in account
    assert f'href="/adherents/section/{world.section.id}"' in account
    assert "Adhérent·es — section Grenoble" in account
    assert f'href="/adherents/section/{world.voiron.id}"' not in account
    # The navigation's link leads to the section's list.
    response = client.get("/adherents/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/adherents/section/{world.section.id}")
    listing = page_text(client.get(response.headers["Location"]))
    assert "Section Grenoble" in listing and "Secretary" in listing
    assert 'aria-current="page">Adhérent·es</a>' in listing  # the link is marked current there


def test_a_federation_secretary_reaches_their_federation_and_its_sections(client, world):
    login(client, world.users["federation"].email)
    assert NAV_LINK.search(_nav(page_text(client.get("/calendrier/"))))
    account = page_text(client.get("/compte/"))
    assert f'href="/adherents/federation/{world.federation.id}"' in account
    assert "Adhérent·es — Fédération de Isère" in account
    for section in (world.section, world.voiron):
        assert f'href="/adherents/section/{section.id}"' in account
    assert "Ses 2 sections" in account
    # As an organiser of federation meetings, they also find their events from the account page.
    assert 'href="/calendrier/organisation"' in account
    response = client.get("/adherents/")
    assert response.headers["Location"].endswith(f"/adherents/federation/{world.federation.id}")


@pytest.mark.parametrize("role", ["militant", "pilot", "committee", "bn"])
def test_no_secretary_tools_for_the_others(client, world, role):
    login(client, world.users[role].email)
    assert not NAV_LINK.search(_nav(page_text(client.get("/"))))
    account = page_text(client.get("/compte/"))
    assert "Secrétariat" not in account and "/adherents/section/" not in account
    assert "/adherents/federation/" not in account


def test_no_secretary_tools_for_a_visitor(client, world):
    page = page_text(client.get("/"))
    assert not NAV_LINK.search(_nav(page)) and "/adherents/" not in page


def test_only_organisers_see_the_organisation_block(client, world):
    login(client, world.users["militant"].email)
    assert "/calendrier/organisation" not in page_text(client.get("/compte/"))
    client.post("/compte/deconnexion")
    login(client, world.users["pilot"].email)
    assert 'href="/calendrier/organisation"' in page_text(client.get("/compte/"))


def test_the_account_page_has_a_place_for_the_paper_vote_links(app, client, world):
    """``votes/_secretary_links.html``, once it exists, is included in the « Secrétariat » block."""
    original = app.jinja_env.loader
    fake = DictLoader(
        {"votes/_secretary_links.html": (
            '<p><a href="/emargement/{{ secretary_sections[0].id }}">Émargement du vote</a></p>'
        )}
    )  # fmt: skip
    app.jinja_env.loader = ChoiceLoader([fake, original])
    app.jinja_env.cache.clear()
    try:
        login(client, world.users["secretary"].email)
        account = page_text(client.get("/compte/"))
        secretariat = account.split('id="titre-secretariat"', 1)[1].split("</section>", 1)[0]
        assert f'<a href="/emargement/{world.section.id}">Émargement du vote</a>' in secretariat
    finally:
        app.jinja_env.loader = original
        app.jinja_env.cache.clear()
