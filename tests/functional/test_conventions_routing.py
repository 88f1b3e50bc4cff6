"""Several conventions: each one's pages under /c/<slug>/, the featured one also at the short paths,
links that stay in the convention being read, redirects for another convention's rows, the home
page's list, the archive banner, drafts for the Bureau national only, links built outside a request.
"""

from __future__ import annotations

import re

import pytest
from werkzeug.exceptions import HTTPException

from convention.calendar.models import Event
from convention.conventions.web import ensure_in_convention
from convention.core.links import external_url, path_for
from convention.domain.roles import Role
from convention.extensions import db
from tests.auth_fixtures import make_convention, make_federation, make_member, make_section, make_user, page_text
from tests.contribution_fixtures import log_in
from tests.convention_fixtures import add_convention, feature

# Paths shared by every convention (accounts, members, notifications, static files, the API).
SHARED = ("/compte/", "/adherents/", "/administration/", "/notifications/", "/travaux/", "/static/", "/api/")


@pytest.fixture()
def conventions(database):
    """The featured convention (« securite »), an archive (« logement »), one in progress
    (« sante ») and a draft (« brouillon »), each with a group, a contribution, an event, a text."""
    main = feature(make_convention())
    archive = add_convention("logement", archived=True)
    running = add_convention("sante", title="Convention nationale sur la santé", short_title="Santé", archived=False)
    draft = add_convention("brouillon", title="Convention en préparation", short_title="Brouillon", published=False)
    featured_event = Event(
        convention_id=main.id, kind=archive.event.kind, title="Audition de la convention en cours",
        starts_dt=archive.event.starts_dt,
    )  # fmt: skip
    db.session.add(featured_event)
    section = make_section(make_federation())
    users = {
        "militant": make_user(member=make_member(section, email="militant@exemple.fr")),
        "national_bureau": make_user(
            member=make_member(section, email="bn@exemple.fr"), roles=((Role.NATIONAL_BUREAU, None),)
        ),
    }
    db.session.commit()
    return {
        "main": main,
        "archive": archive,
        "running": running,
        "draft": draft,
        "featured_event": featured_event,
        "users": users,
    }


def _hrefs(html: str) -> set[str]:
    return set(re.findall(r'(?:href|action)="(/[^"#?]*)', html))


def test_each_convention_has_its_pages_under_its_slug_and_the_featured_one_keeps_short_paths(client, conventions):
    archive = conventions["archive"]
    assert "Projet de texte — Logement" in page_text(client.get("/c/logement/texte/"))
    short = client.get("/texte/")
    assert short.status_code == 200 and "Projet de texte — Logement" not in page_text(short)
    # The featured convention answers at its slug too.
    assert client.get("/c/securite/texte/").status_code == 200
    event_page = client.get(f"/c/logement/calendrier/{archive.event.id}")
    assert event_page.status_code == 200 and "Audition — Logement" in page_text(event_page)
    assert "Convention nationale sur le logement" in page_text(client.get("/c/logement/"))
    assert client.get("/c/logement/groupes/1").status_code == 200


def test_links_on_an_archive_page_stay_in_the_archive(client, conventions):
    html = client.get("/c/logement/calendrier/").get_data(as_text=True)
    links = {h for h in _hrefs(html) if h != "/" and not h.startswith(SHARED)}
    assert links and all(h.startswith("/c/logement/") for h in links), links
    assert {"/c/logement/texte/", "/c/logement/contributions/", "/c/logement/groupes/"} <= links
    # The layout keeps the endpoint: « Calendrier » is the current page of the navigation.
    assert re.search(r'href="/c/logement/calendrier/"\s+aria-current="page"', html)
    # The featured convention's pages keep the short paths.
    featured = client.get("/calendrier/").get_data(as_text=True)
    assert "/calendrier/" in _hrefs(featured) and not any(h.startswith("/c/") for h in _hrefs(featured))


def test_an_archive_page_says_which_convention_and_that_it_is_over(client, conventions):
    text = page_text(client.get("/c/logement/contributions/"))
    assert "Vous consultez la convention « Convention nationale sur le logement »" in text
    assert "Archive :" in text and "cette convention est terminée ; ses pages restent consultables." in text
    running = page_text(client.get("/c/sante/"))
    assert "Vous consultez la convention « Convention nationale sur la santé »" in running
    assert "Archive :" not in running
    assert "Vous consultez la convention" not in page_text(client.get("/"))


def test_a_row_of_another_convention_redirects_to_its_convention(client, conventions):
    archive_event = conventions["archive"].event.id
    featured_event = conventions["featured_event"].id
    response = client.get(f"/calendrier/{archive_event}?vue=liste")
    assert response.status_code == 301
    assert response.headers["Location"] == f"/c/logement/calendrier/{archive_event}?vue=liste"
    response = client.get(f"/c/sante/calendrier/{archive_event}")
    assert response.status_code == 301 and response.headers["Location"] == f"/c/logement/calendrier/{archive_event}"
    # Back to the featured convention: its short path.
    response = client.get(f"/c/logement/calendrier/{featured_event}")
    assert response.status_code == 301 and response.headers["Location"] == f"/calendrier/{featured_event}"
    assert client.get(f"/calendrier/{featured_event}").status_code == 200


@pytest.mark.parametrize(
    ("method", "code"), [("GET", 301), ("HEAD", 301), ("POST", 308)]
)
def test_ensure_in_convention_redirects_by_method_and_hides_drafts(app, conventions, method, code):
    archive, running, draft = conventions["archive"], conventions["running"], conventions["draft"]
    path = f"/contributions/{archive.contribution.id}/modifier"
    with app.test_request_context(f"/c/sante{path}?a=1", method=method):
        app.preprocess_request()
        with pytest.raises(HTTPException) as raised:
            ensure_in_convention(db.session.get(type(archive.contribution), archive.contribution.id), running.convention)
        response = raised.value.get_response()
        assert response.status_code == code
        assert response.headers["Location"] == f"/c/logement{path}?a=1"
        # Its own row passes; a missing row or a draft's row (for an anonymous visitor) is a 404.
        assert ensure_in_convention(running.contribution, running.convention) is running.contribution
        for row in (None, draft.contribution):
            with pytest.raises(HTTPException) as raised:
                ensure_in_convention(row, running.convention)
            assert raised.value.code == 404


def test_unknown_slug_and_drafts(client, conventions):
    assert client.get("/c/inconnue/").status_code == 404
    assert client.get("/c/inconnue/texte/").status_code == 404
    assert client.get("/c/brouillon/").status_code == 404
    assert client.get("/c/brouillon/texte/").status_code == 404
    log_in(client, conventions["users"]["militant"])
    assert client.get("/c/brouillon/").status_code == 404
    log_in(client, conventions["users"]["national_bureau"])
    response = client.get("/c/brouillon/texte/")
    assert response.status_code == 200 and "Projet de texte — Brouillon" in page_text(response)
    assert "n’est pas publiée" in page_text(response)


def test_home_lists_the_other_conventions_in_progress_first_then_the_archives(client, conventions):
    text = page_text(client.get("/"))
    assert "Convention nationale sur la sécurité" in text
    others, archives = text.index("Les autres conventions"), text.index("Archives")
    assert others < text.index("Convention nationale sur la santé") < archives
    assert archives < text.index("Convention nationale sur le logement")
    assert "Convention en préparation" not in text and "Brouillon" not in text
    html = client.get("/").get_data(as_text=True)
    assert 'href="/c/sante/"' in html and 'href="/c/logement/"' in html
    # A convention's own home does not repeat the list.
    assert "Les autres conventions" not in page_text(client.get("/c/sante/"))
    log_in(client, conventions["users"]["national_bureau"])
    bureau = page_text(client.get("/"))
    assert "Convention en préparation" in bureau and "Brouillon" in bureau


def test_home_with_another_featured_convention(client, conventions):
    feature(conventions["running"].convention)
    db.session.commit()
    text = page_text(client.get("/"))
    assert "Convention nationale sur la santé" in text[: text.index("Archives")]
    assert text.index("Archives") < text.index("Convention nationale sur la sécurité")
    # The former featured convention now lives under its slug only for links; its short paths
    # are the new featured convention's.
    assert client.get("/c/securite/").status_code == 200
    assert "Projet de texte — Santé" in page_text(client.get("/texte/"))


def test_links_built_outside_a_request_go_to_the_rows_convention(app, conventions):
    archive = conventions["archive"]
    featured_event = conventions["featured_event"].id
    with app.app_context():
        assert path_for("calendar.event", event_id=archive.event.id) == f"/c/logement/calendrier/{archive.event.id}"
        assert path_for("calendar.event", event_id=featured_event) == f"/calendrier/{featured_event}"
        assert (
            path_for("contributions.detail", contribution_id=archive.contribution.id)
            == f"/c/logement/contributions/{archive.contribution.id}"
        )
        assert path_for("texts.index", _convention=archive.convention, version=1) == "/c/logement/texte/?version=1"
        assert path_for("texts.index", version=1) == "/texte/?version=1"
        assert external_url("calendar.event", event_id=archive.event.id).endswith(
            f"/c/logement/calendrier/{archive.event.id}"
        )
        # Shared pages never get a slug.
        assert path_for("notifications.index") == "/notifications/"
