"""The API of the versions: ``/api/v1/texts/<id>/versions/<n>`` and ``/api/v1/texts/<id>/diff``."""

from __future__ import annotations

import pytest

from convention.amendments import consolidation
from convention.amendments import operations as ops
from convention.domain.amendments import AmendmentStatus
from convention.domain.phases import PhaseKind
from convention.extensions import db
from tests.amendment_fixtures import P1, TODAY, build_world, edit, load_world, submit

API = "/api/v1"


@pytest.fixture()
def world(database, app):
    """Version 2 consolidated from a change of I-1-1, the deletion of I-1-3 and an insertion after I-2-1."""
    world = build_world(PhaseKind.AMENDMENTS)
    world.convention.amendment_cosignatures_required = 0
    db.session.commit()
    changed = submit(world, "section_secretary", "I-1-1", unit=world.section,
                     edited=edit(P1, "dès l'école", "dès la petite enfance"))  # fmt: skip
    deletion = submit(world, "member_paid", "I-1-3", requested=ops.RequestedKind.DELETE)
    insertion = submit(world, "author", "I-2-1", requested=ops.RequestedKind.INSERT,
                       edited="Un juge des enfants sera nommé dans chaque tribunal judiciaire.")  # fmt: skip
    committee = world.users["committee"]
    for amendment in (changed, deletion, insertion):
        ops.declare_admissibility(committee, amendment, True, "Recevable.", today=TODAY)
        ops.decide_amendment(committee, amendment, AmendmentStatus.ADOPTED, "Adopté.", "", today=TODAY)
    db.session.commit()
    world = load_world()
    consolidation.consolidate_text_version(committee, world.version)
    db.session.commit()
    world = load_world()
    world.numbers = {"changed": changed.number, "deletion": deletion.number, "insertion": insertion.number}
    return world


def test_a_version_has_the_shape_of_the_text_details_version(world, client):
    text_id = world.text.id
    detail = client.get(f"{API}/texts/{text_id}?version=1").get_json()
    one = client.get(f"{API}/texts/{text_id}/versions/1")
    assert one.status_code == 200
    data = one.get_json()
    assert {k: v for k, v in data.items() if k not in {"text", "created", "current"}} == detail["version"]
    assert (data["number"], data["status"], data["text"], data["current"]) == (1, "draft", text_id, False)
    assert data["created"]
    two = client.get(f"{API}/texts/{text_id}/versions/2").get_json()
    assert (two["number"], two["status"], two["current"]) == (2, "amended", True)
    anchors = [b["id"] for p in two["parts"] for c in p["chapters"] for b in c["blocks"]]
    assert anchors == ["I-1-1", "I-1-2", "I-2-1", "I-2-1a", "I-2-2"]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/texts/{text}/versions/3", "La version 3 n'existe pas : le texte a 2 versions."),
        ("/texts/999999/versions/1", "Texte introuvable."),
        ("/texts/{text}/diff?from=1&to=3", "La version 3 n'existe pas"),
        ("/texts/999999/diff?from=1&to=2", "Texte introuvable."),
        ("/texts/{text}/diff?from=1&to=2&chapter=IX-9", "Le chapitre « IX-9 » n'est dans aucune des deux versions."),
    ],
)
def test_what_does_not_exist_is_a_french_404(world, client, path, message):
    response = client.get(API + path.format(text=world.text.id))
    assert response.status_code == 404
    body = response.get_json()
    assert body["code"] == 404 and message in body["message"]


def test_the_diff_per_block_with_the_amendments_responsible(world, client):
    response = client.get(f"{API}/texts/{world.text.id}/diff?from=1&to=2")
    assert response.status_code == 200
    data = response.get_json()
    assert (data["from"], data["to"], data["chapter"]) == (1, 2, None)
    assert data["summary"] == {"unchanged": 3, "modified": 1, "inserted": 1, "deleted": 1}
    blocks = {b["id"]: b for b in data["blocks"]}
    assert [b["id"] for b in data["blocks"]] == ["I-1-1", "I-1-2", "I-1-3", "I-2-1", "I-2-1a", "I-2-2"]
    changed = blocks["I-1-1"]
    assert changed["change"] == "modified" and changed["chapter"] == "I-1"
    assert "dès l'école" in changed["before"] and "dès la petite enfance" in changed["after"]
    assert changed["amendments"] == [world.numbers["changed"]]
    (hunk,) = changed["hunks"]
    assert (hunk["original"], hunk["replacement"]) == ("l'école", "la petite enfance")
    assert changed["before"][hunk["start"] : hunk["end"]] == "l'école"
    assert blocks["I-1-3"]["change"] == "deleted" and blocks["I-1-3"]["after"] == ""
    assert blocks["I-1-3"]["amendments"] == [world.numbers["deletion"]]
    assert blocks["I-2-1a"]["change"] == "inserted" and blocks["I-2-1a"]["before"] == ""
    assert blocks["I-2-1a"]["amendment_refs"][0]["version"] == 2
    assert blocks["I-1-2"]["change"] == "unchanged" and blocks["I-1-2"]["amendments"] == []

    chapter = client.get(f"{API}/texts/{world.text.id}/diff?from=1&to=2&chapter=I-2").get_json()
    assert [b["id"] for b in chapter["blocks"]] == ["I-2-1", "I-2-1a", "I-2-2"]
    same = client.get(f"{API}/texts/{world.text.id}/diff?from=2&to=2").get_json()
    assert same["summary"] == {"unchanged": 5, "modified": 0, "inserted": 0, "deleted": 0}
    backwards = client.get(f"{API}/texts/{world.text.id}/diff?from=2&to=1").get_json()
    assert {b["id"]: b["change"] for b in backwards["blocks"]}["I-2-1a"] == "deleted"


def test_the_page_and_the_api_agree(world, client):
    data = client.get(f"{API}/texts/{world.text.id}/diff?from=1&to=2&chapter=I-1").get_json()
    page = client.get("/texte/versions/difference?de=1&a=2&chapitre=I-1").get_data(as_text=True)
    for block in data["blocks"]:
        assert f'id="diff-{block["id"]}"' in page
        assert f'class="diff-block diff-{block["change"]} mb-3" id="diff-{block["id"]}"' in page


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("", "from", "Paramètre obligatoire."),
        ("from=1", "to", "Paramètre obligatoire."),
        ("from=un&to=2", "from", "Numéro de version attendu"),
        ("from=0&to=2", "from", "Un numéro de version est au moins 1."),
        ("from=1&to=2&chapter=II%205", "chapter", "Une ancre contient"),
    ],
)
def test_bad_parameters_are_a_french_422(world, client, query, field, message):
    response = client.get(f"{API}/texts/{world.text.id}/diff?{query}")
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == 422
    assert message in " ".join(body["errors"]["query"][field])
    assert "Paramètres invalides" in body["message"]


def test_openapi_describes_the_new_endpoints(client):
    spec = client.get(f"{API}/openapi.json").get_json()
    diff = spec["paths"]["/api/v1/texts/{text_id}/diff"]["get"]
    names = {p["name"] for p in diff["parameters"]}
    assert {"from", "to", "chapter"} <= names
    assert "422" in diff["responses"] and "404" in diff["responses"]
    schema = spec["components"]["schemas"]["DiffBlock"]
    assert {"id", "change", "before", "after", "amendments"} <= set(schema["properties"])
    assert "/api/v1/texts/{text_id}/versions/{number}" in spec["paths"]


def test_a_version_can_be_checked_against_its_convention(world, client):
    path = f"{API}/texts/{world.text.id}/versions/1"
    assert client.get(f"{path}?convention=securite").status_code == 200
    other = client.get(f"{path}?convention=autre")
    assert other.status_code == 404 and other.get_json()["message"] == "Convention introuvable."
    assert client.get(f"{path}?convention=Pas%20un%20slug").status_code == 422
