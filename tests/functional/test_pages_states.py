"""The public pages in particular states: no convention yet, a logged-in user, hostile text,
and the number of SQL queries a list page makes (no N+1)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from convention.calendar.models import Event, EventKind, EventPerson, EventPersonRole
from convention.contributions.models import Channel, Contribution
from convention.conventions.models import Convention
from convention.core.security import hash_password
from convention.domain.roles import Role
from convention.extensions import db
from convention.groups.models import Person, WorkingGroup
from convention.members.models import RoleAssignment, Section, User
from convention.texts.models import Block
from tests.functional.pages_dataset import build_pages_dataset


def get(client, url: str, **kwargs):
    """GET ``url`` in a fresh application context (``g`` must not leak between requests)."""
    with client.application.app_context():
        return client.get(url, **kwargs)


@pytest.fixture()
def dataset(database):
    convention = build_pages_dataset()
    db.session.commit()
    return convention


@pytest.mark.parametrize("url", ["/", "/groupes/", "/calendrier/", "/contributions/", "/texte/"])
def test_without_a_convention_the_pages_say_how_to_seed(database, client, url):
    response = get(client, url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Aucune convention n’est encore en ligne" in html
    assert "<code>flask seed</code>" in html


def test_html_in_a_contribution_body_is_shown_not_run(dataset, client):
    contribution = db.session.scalars(
        sa.select(Contribution).where(Contribution.body.contains("<script>"))
    ).one()
    html = get(client, f"/contributions/{contribution.id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert" not in html
    assert html.count('<p>') >= 2  # paragraphs kept


def test_html_in_the_text_is_escaped_before_acronyms_are_marked(dataset, client):
    block = db.session.scalars(sa.select(Block).where(Block.text.contains("<b>"))).first()
    html = get(client, f"/texte/chapitre/{block.chapter.anchor}").get_data(as_text=True)
    assert "&lt;b&gt;en gras&lt;/b&gt;" in html
    assert "<b>en gras</b>" not in html


def test_an_older_version_shows_its_own_text_and_links_keep_it(dataset, client):
    current = get(client, "/texte/chapitre/II-1").get_data(as_text=True)
    older = get(client, "/texte/chapitre/II-1?version=1").get_data(as_text=True)
    assert "gardiens de la paix à trois ans" in current
    assert "gardiens de la paix à deux ans" in older
    assert 'href="/texte/chapitre/II-2?version=1" rel="next"' in older
    assert 'href="/texte/chapitre/II-2" rel="next"' in current
    toc = get(client, "/texte/?version=1").get_data(as_text=True)
    assert 'href="/texte/chapitre/I-1?version=1"' in toc
    assert "Voir la version actuelle" in toc


def test_an_unknown_version_or_chapter_is_a_404(dataset, client):
    assert get(client, "/texte/chapitre/II-1?version=7").status_code == 404
    assert get(client, "/texte/chapitre/IX-9").status_code == 404


def test_a_page_beyond_the_last_is_empty_not_an_error(dataset, client):
    response = get(client, "/contributions/?page=99")
    assert response.status_code == 200
    assert "Aucune contribution ne correspond à ces critères." in response.get_data(as_text=True)


def _log_in(client, user: User) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def _user(email: str, name: str, *roles: Role) -> User:
    user = User(email=email, display_name=name, password_hash=hash_password("x" * 12))
    user.roles = [RoleAssignment(role=role) for role in roles]
    db.session.add(user)
    db.session.commit()
    return user


def test_a_logged_in_member_sees_the_account_area(dataset, client):
    user = _user("camille@example.org", "Camille Martin")
    _log_in(client, user)
    html = get(client, "/").get_data(as_text=True)
    assert "Camille Martin" in html
    assert 'href="/compte/"' in html and "Mon compte" in html
    form = re.search(r'<form class="logout-form" method="post" action="([^"]+)">(.*?)</form>',
                     html, re.S)
    assert form and form.group(1) == "/compte/deconnexion"
    assert re.search(r'<input type="hidden" name="csrf_token" value="[^"]+">', form.group(2))
    assert "Se déconnecter" in form.group(2)
    assert "Se connecter" not in html
    assert "Administration" not in html


def test_the_national_bureau_sees_the_administration_link(dataset, client):
    user = _user("bn@example.org", "Dominique Bureau", Role.NATIONAL_BUREAU)
    _log_in(client, user)
    html = get(client, "/").get_data(as_text=True)
    assert '<a class="nav-link" href="/administration/"' in html
    assert ">Administration</a>" in html


# --- no N+1 -------------------------------------------------------------------------------------


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *args) -> None:
        self.count += 1


def _queries(client, url: str) -> int:
    counter = QueryCounter()
    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", counter)
    try:
        assert get(client, url).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", counter)
    return counter.count


def _grow(convention: Convention, start: int) -> None:
    """Add 30 more rows of every kind the list pages show."""
    groups = db.session.scalars(sa.select(WorkingGroup)).all()
    sections = db.session.scalars(sa.select(Section)).all()
    for index in range(start, start + 30):
        person = Person(full_name=f"Personne {index}", first_name="P", last_name=str(index))
        event = Event(
            convention=convention,
            kind=EventKind.HEARING,
            title=f"Audition {index}",
            starts_dt=Event.local_midnight(dt.date(2024, 12, 1 + index % 28)),
        )
        event.working_groups = [groups[index % 7], groups[(index + 3) % 7]]
        event.participants = [EventPerson(person=person, role=EventPersonRole.EXPERT)]
        db.session.add(event)
        db.session.add(
            Contribution(
                convention_id=convention.id,
                channel=Channel.PLATFORM,
                number=100 + index,
                title=f"Contribution {index}",
                section=sections[0],
                working_group=groups[index % 7],
            )
        )
    db.session.commit()


@pytest.mark.parametrize(
    "url",
    ["/", "/groupes/", "/groupes/2", "/calendrier/", "/calendrier/?vue=grille&mois=2024-12",
     "/calendrier/?groupe=3", "/contributions/", "/texte/", "/texte/chapitre/II-1",
     "/texte/glossaire"],
)  # fmt: skip
def test_list_pages_make_a_fixed_number_of_queries(dataset, client, url):
    """Thirty more events, people and contributions cost no extra query (selectinload)."""
    _grow(dataset, 0)
    before = _queries(client, url)
    _grow(dataset, 30)
    after = _queries(client, url)
    assert after == before
    assert before <= 15
