"""The vote in the read API: /api/v1/polls, /api/v1/polls/<id> and, once proclaimed, /api/v1/polls/<id>/results
(the national result with the fields of ``flask polls count``, and the published cells under the secrecy rule)."""

from __future__ import annotations

import pytest

from convention.domain.counting import count_spec
from convention.extensions import db
from convention.votes import operations
from tests.integration.test_vote_tally import (
    TEXT,
    WORDING,
    counted_world,
    expected_spec,
    make_results_world,
    open_poll,
    two_questions,
)

API = "/api/v1"


def test_polls_are_listed_without_drafts(client, database):
    world = make_results_world()
    draft = operations.create_poll(world.bn, world.convention, two_questions(title="Brouillon"))
    opened = open_poll(world, title="Scrutin ouvert")
    db.session.commit()
    data = client.get(f"{API}/polls").get_json()
    assert data["total"] == 1 and [p["title"] for p in data["items"]] == ["Scrutin ouvert"]
    item = data["items"][0]
    assert (item["id"], item["state"], item["url"]) == (opened.id, "open", f"/vote/{opened.id}")
    assert client.get(f"{API}/polls/{draft.id}").status_code == 404
    assert client.get(f"{API}/polls/{draft.id}/results").status_code == 404
    assert client.get(f"{API}/polls/999999").status_code == 404
    assert client.get(f"{API}/polls?convention=inconnue").status_code == 404
    assert client.get(f"{API}/polls?per_page=0").status_code == 422


def test_a_poll_gives_its_questions_rules_roll_and_no_turnout_before_the_proclamation(client, database):
    world = make_results_world()
    poll = open_poll(world)
    db.session.commit()
    data = client.get(f"{API}/polls/{poll.id}").get_json()
    assert data["roll"]["size"] == poll.roll_size and data["roll"]["hash"] == poll.roll_hash
    assert data["roll"]["cutoff"] == "2030-01-01"
    text, wording = data["questions"]
    assert (text["title"], text["method"]) == (TEXT, "yes_no_abstain")
    assert [o["name"] for o in text["options"]] == ["yes", "no", "abstain"]
    assert [o["label"] for o in text["options"]] == ["Pour", "Contre", "Abstention"]
    assert text["rule"] == {
        "base": "yes_no",
        "threshold": "1/2",
        "strict": True,
        "quorum": None,
        "text": "plus de la moitié des suffrages exprimés (Pour + Contre)",
    }
    assert (wording["title"], wording["method"], wording["rule"]) == (WORDING, "majority_judgment", None)
    assert wording["grades"][0] == "Très bien" and len(wording["grades"]) == 6
    assert data["turnout"] is None and data["export_hash"] is None
    response = client.get(f"{API}/polls/{poll.id}/results")
    assert response.status_code == 403
    assert response.get_json()["message"] == "Les résultats de ce scrutin ne sont pas encore proclamés."


def test_the_results_once_proclaimed(client, database):
    world, poll, _ = counted_world()
    assert client.get(f"{API}/polls/{poll.id}/results").status_code == 403  # counted, not proclaimed
    assert operations.proclaim(world.bn, poll)
    db.session.commit()
    data = client.get(f"{API}/polls/{poll.id}/results").get_json()
    assert data["export_hash"] == poll.export_hash and "moins de 10 bulletins" in data["rule"]
    assert data["turnout"] == {"registered": poll.roll_size, "voters": 38, "online": 28, "paper": 10}
    text, wording = data["questions"]
    # The national result: the fields of `flask polls count` on the same ballots and minutes.
    expected_text, expected_wording = expected_spec()
    for question, spec in ((text, expected_text), (wording, expected_wording)):
        expected = count_spec({**spec, "registered": poll.roll_size})
        for field in ("ballots", "weight", "valid", "blank", "void", "scores", "ranking", "winner", "tied"):
            assert question["result"][field] == expected[field], (question["title"], field)
    assert text["result"]["adopted"] is True
    assert text["result"]["decision"].startswith("Le texte est adopté : 21 voix Pour")
    assert wording["result"]["majority_grades"] == {"Rédaction A": "Bien", "Rédaction B": "Assez bien"}
    # The cells: published units only, small or unanimous ones merged.
    units = [(c["unit"], c["level"], c["merged"]) for c in text["cells"]]
    assert units == [
        ("Fédération de Isère", "federation", False),
        ("Autres fédérations", "federation", True),
        ("Échirolles", "section", False),
        ("Autres sections de la fédération de Isère", "section", True),
    ]
    isere = text["cells"][0]
    assert (isere["registered"], isere["ballots"]) == (31, 25)
    assert isere["votes"] == {"Pour": 16, "Contre": 6, "Abstention": 2}
    assert text["cells"][1]["members"] == ["Fédération de Corse", "Fédération de Rhône"]
    assert wording["cells"][0]["votes"]["Rédaction A"] == [3 + 2, 12 + 2, 2, 1, 1, 1]  # Voiron, Grenoble, paper
    assert all(c["unit"] not in {"Voiron", "Ajaccio", "Lyon 1er"} for q in data["questions"] for c in q["cells"])
    # Every unit's turnout, merged or not.
    turnout = {(u["unit"], u["level"]): (u["voters"], u["paper"]) for u in data["units_turnout"]}
    assert turnout[("Ajaccio", "section")] == (2, 0) and turnout[("Échirolles", "section")] == (10, 10)
    detail = client.get(f"{API}/polls/{poll.id}").get_json()
    assert detail["turnout"]["voters"] == 38 and detail["export_hash"] == poll.export_hash


@pytest.mark.parametrize("path", ["/polls", "/polls/1", "/polls/1/results"])
def test_the_poll_endpoints_are_documented(client, database, path):
    spec = client.get(f"{API}/openapi.json").get_json()
    template = {"/polls": "/polls", "/polls/1": "/polls/{poll_id}", "/polls/1/results": "/polls/{poll_id}/results"}
    operation = spec["paths"][f"{API}{template[path]}"]["get"]
    assert {"200", "404", "422"} <= set(operation["responses"])
    if path.endswith("results"):
        assert "403" in operation["responses"]
