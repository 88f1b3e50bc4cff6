"""The search page /recherche and GET /api/v1/search."""

from __future__ import annotations

import re

from tests.auth_fixtures import page_text
from tests.integration.test_search_index import build_search_data


def test_search_page_highlights_and_escapes(client, database):
    build_search_data()
    database.session.commit()
    response = client.get("/recherche/?q=delinquance")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<mark>délinquance</mark>" in html
    assert 'href="/texte/chapitre/I-1#I-1-1"' in html
    trap = client.get("/recherche/?q=pi%C3%A9g%C3%A9e").get_data(as_text=True)
    assert "Contribution piégée" in page_text(client.get("/recherche/?q=piegee"))
    assert "<script>alert" not in trap and "<b>élus</b>" not in trap


def test_search_page_filters_and_pagination(client, database):
    data = build_search_data()
    database.session.commit()
    html = page_text(client.get("/recherche/?q=mediation&type=rendez-vous"))
    assert "Audition sur la médiation" in html and "Des propositions pour" not in html
    html = page_text(client.get("/recherche/?q=mediation&groupe=1"))
    assert "Des propositions pour les quartiers" in html and "Audition sur" not in html
    empty = page_text(client.get("/recherche/"))
    assert "Saisissez un ou plusieurs mots" in empty
    assert data["convention"].id


def test_navigation_links_to_search(client, database):
    build_search_data()
    database.session.commit()
    assert 'href="/recherche/"' in client.get("/groupes/").get_data(as_text=True)


def test_api_search_shape_and_pagination(client, database):
    data = build_search_data()
    database.session.commit()
    response = client.get("/api/v1/search?q=m%C3%A9diation&per_page=2")
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 3 and body["page"] == 1 and body["per_page"] == 2
    assert len(body["items"]) == 2
    for item in body["items"]:
        assert set(item) == {"kind", "id", "title", "excerpt", "url"}
        assert item["kind"] in {"text", "contribution", "event"}
        assert item["url"].startswith("/")
    second = client.get("/api/v1/search?q=m%C3%A9diation&per_page=2&page=2").get_json()
    assert len(second["items"]) == 1
    seen = {(i["kind"], i["id"]) for i in body["items"] + second["items"]}
    assert len(seen) == 3

    accents = client.get("/api/v1/search?q=delinquance&kind=text").get_json()
    assert accents["total"] == 1 and "<mark>délinquance</mark>" in accents["items"][0]["excerpt"]

    trap = client.get("/api/v1/search?q=pi%C3%A9g%C3%A9e").get_json()["items"][0]
    assert trap["id"] == data["contributions"][2].id
    assert not re.search(r"<(?!/?mark>)", trap["excerpt"])  # no tag but <mark>

    group = client.get("/api/v1/search?q=mediation&working_group=1").get_json()
    assert {i["id"] for i in group["items"]} == {data["contributions"][0].id}


def test_api_search_errors(client, database):
    build_search_data()
    database.session.commit()
    assert client.get("/api/v1/search").status_code == 422
    assert client.get("/api/v1/search?q=x&kind=autre").status_code == 422
    assert client.get("/api/v1/search?q=x&working_group=9").status_code == 404
    assert client.get("/api/v1/search?q=x&convention=inconnue").status_code == 404
    assert client.get("/api/v1/search?q=%00%01").get_json()["total"] == 0
