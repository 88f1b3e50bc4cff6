"""The API with several conventions: the list, one convention, each one's data under its slug,
the featured convention at the old paths, drafts never shown."""

from __future__ import annotations

import pytest

from convention.extensions import db
from tests.auth_fixtures import make_convention
from tests.convention_fixtures import add_convention, feature

API = "/api/v1"


@pytest.fixture()
def conventions(database):
    main = feature(make_convention())
    archive = add_convention("logement", archived=True)
    running = add_convention("sante", title="Convention nationale sur la santé", short_title="Santé", archived=False)
    draft = add_convention("brouillon", title="Convention en préparation", short_title="Brouillon", published=False)
    db.session.commit()
    return {"main": main, "archive": archive, "running": running, "draft": draft}


def test_the_list_gives_each_published_convention_with_its_phase(client, conventions):
    response = client.get(f"{API}/conventions")
    assert response.status_code == 200
    body = response.get_json()
    by_slug = {item["slug"]: item for item in body["items"]}
    assert list(by_slug) == ["securite", "logement", "sante"] and body["total"] == 3
    assert by_slug["securite"]["featured"] is True
    assert [s for s, item in by_slug.items() if item["featured"]] == ["securite"]
    assert by_slug["logement"]["archived"] is True and by_slug["sante"]["archived"] is False
    assert by_slug["logement"]["current_phase"] == {
        "kind": "adopted_text",
        "label": "Texte adopté",
        "starts_on": "2022-12-01",
        "ends_on": None,
    }
    assert by_slug["sante"]["current_phase"]["kind"] == "working_groups"
    assert by_slug["sante"]["title"] == "Convention nationale sur la santé" and by_slug["sante"]["short_title"] == "Santé"
    assert by_slug["logement"]["url"] == "/c/logement/" and by_slug["securite"]["url"] == "/"
    assert by_slug["logement"]["api_url"] == f"{API}/conventions/logement"


def test_one_convention(client, conventions):
    body = client.get(f"{API}/conventions/logement").get_json()
    assert body["slug"] == "logement" and body["featured"] is False and body["archived"] is True
    assert [p["kind"] for p in body["phases"]] == ["working_groups", "adopted_text"]
    for slug in ("brouillon", "inconnue"):
        response = client.get(f"{API}/conventions/{slug}")
        assert response.status_code == 404 and response.is_json


def test_each_conventions_data_under_its_slug(client, conventions):
    archive = conventions["archive"]
    texts = client.get(f"{API}/conventions/logement/texts").get_json()
    assert [t["title"] for t in texts["items"]] == ["Projet de texte — Logement"]
    assert client.get(f"{API}/conventions/logement/convention").get_json()["slug"] == "logement"
    events = client.get(f"{API}/conventions/logement/events").get_json()["items"]
    assert [e["title"] for e in events] == ["Audition — Logement"]
    contributions = client.get(f"{API}/conventions/sante/contributions").get_json()["items"]
    assert [c["title"] for c in contributions] == ["Une contribution sur le thème « Santé »"]
    groups = client.get(f"{API}/conventions/sante/working-groups").get_json()["items"]
    assert [g["title"] for g in groups] == ["Groupe 1 — Santé"]
    # A row by id: in its convention's path, not in another's.
    assert client.get(f"{API}/conventions/logement/texts/{archive.text.id}").status_code == 200
    assert client.get(f"{API}/conventions/sante/texts/{archive.text.id}").status_code == 404
    feed = client.get(f"{API}/conventions/logement/events.ics")
    assert feed.status_code == 200 and "Audition — Logement" in feed.get_data(as_text=True)


def test_the_old_paths_answer_for_the_featured_convention(client, conventions):
    assert client.get(f"{API}/convention").get_json()["slug"] == "securite"
    assert client.get(f"{API}/texts").get_json()["items"] == []  # the featured convention has no text here
    assert client.get(f"{API}/convention?convention=logement").get_json()["slug"] == "logement"
    # A text by id keeps its old address (any published convention's).
    assert client.get(f"{API}/texts/{conventions['archive'].text.id}").status_code == 200


def test_drafts_never_appear(client, conventions):
    draft = conventions["draft"]
    slugs = [item["slug"] for item in client.get(f"{API}/conventions").get_json()["items"]]
    assert "brouillon" not in slugs
    for path in (
        f"{API}/conventions/brouillon/convention",
        f"{API}/conventions/brouillon/texts",
        f"{API}/convention?convention=brouillon",
        f"{API}/texts/{draft.text.id}",
        f"{API}/conventions/inconnue/events",
    ):
        response = client.get(path)
        assert response.status_code == 404 and response.is_json, path


def test_the_nested_paths_are_in_the_openapi_document(client, conventions):
    spec = client.get(f"{API}/openapi.json").get_json()
    nested = spec["paths"][f"{API}/conventions/{{convention_slug}}/texts/{{text_id}}"]
    names = {p["name"] for p in nested["parameters"]}
    assert {"convention_slug", "text_id"} <= names
    assert "404" in nested["get"]["responses"]
    assert f"{API}/conventions" in spec["paths"] and f"{API}/conventions/{{slug}}" in spec["paths"]
