"""``flask polls count FILE.json``: the count of a file, as JSON; a French error and exit 1 on a malformed one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

SCHULZE_45 = [
    (5, "ACBED"),
    (5, "ADECB"),
    (8, "BEDAC"),
    (3, "CABED"),
    (7, "CAEBD"),
    (2, "CBADE"),
    (7, "DCEBA"),
    (8, "EBADC"),
]


@pytest.fixture()
def runner(app):
    return app.test_cli_runner()


def write(tmp_path: Path, content: Any, name: str = "scrutin.json") -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return str(path)


def count(runner, *args: str, input: str | None = None):
    return runner.invoke(args=["polls", "count", *args], input=input)


def test_the_schulze_example_is_counted(runner, tmp_path):
    spec = {
        "title": "Exemple à 45 votants de Markus Schulze",
        "method": "schulze",
        "options": list("ABCDE"),
        "ballots": [{"count": n, "ranking": list(r)} for n, r in SCHULZE_45],
    }
    result = count(runner, write(tmp_path, spec))
    assert result.exit_code == 0, result.output
    output = json.loads(result.stdout)
    assert output["ranking"] == [["E"], ["A"], ["C"], ["B"], ["D"]]
    assert (output["winner"], output["tied"], output["ballots"]) == ("E", [], 45)
    assert output["scores"]["A>B"] == 20
    assert output["decision"] == "L'option « E » l'emporte selon la méthode Schulze."
    assert result.stderr == ""


def test_yes_no_abstain_with_a_rule_a_quorum_and_exact_weights(runner, tmp_path):
    text = """{
      "method": "yes_no_abstain",
      "registered": 40,
      "rule": {"base": "yes_no", "threshold": "2/3", "strict": false, "quorum": "1/4"},
      "ballots": [
        {"count": 6, "choice": "yes", "weight": 1.5},
        {"count": 3, "choice": "no", "weight": "3/2"},
        {"count": 1, "choice": "blank"}
      ]
    }"""
    result = count(runner, write(tmp_path, text))
    assert result.exit_code == 0, result.output
    output = json.loads(result.stdout)
    assert (output["scores"]["yes"], output["scores"]["no"], output["weight"]) == (9, "9/2", "29/2")
    assert (output["quorum_met"], output["adopted"], output["needed"]) == (True, True, 9)
    assert output["decision"] == (
        "Le texte est adopté : 9 voix Pour sur 13,50 suffrages exprimés, soit au moins les deux tiers."
    )


def test_majority_judgment_tallies_from_standard_input(runner):
    spec = {
        "method": "majority_judgment",
        "options": ["A", "B"],
        "grades": ["Bien", "Passable", "Insuffisant"],
        "tallies": {"A": [2, 1, 2], "B": [1, 3, 1]},
    }
    result = count(runner, "-", input=json.dumps(spec))
    assert result.exit_code == 0, result.output
    output = json.loads(result.stdout)
    assert output["majority_grades"] == {"A": "Passable", "B": "Passable"}
    assert (output["winner"], output["ranking"]) == ("B", [["B"], ["A"]])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"method": "single", "options": ["A"], "ballots": [', "JSON invalide à la ligne 1"),
        ('{"method": "single", "method": "approval"}', "la clé « method » figure deux fois"),
        ('{"method": "yes_no_abstain", "ballots": [{"choice": "yes", "weight": NaN}]}', "« NaN » n'est pas un nombre"),
        ("[]", "le fichier doit contenir un objet JSON"),
        ('{"method": "single", "options": ["A", "B"], "ballots": [{"choice": "C"}]}', "option inconnue « C »"),
        (
            '{"method": "yes_no_abstain", "tallies": {"yes": 3}, "rule": {"quorum": "1/4"}}',
            "(registered) est nécessaire",
        ),
        (b"\xff\xfe{}", "n'est pas encodé en UTF-8"),
    ],
)
def test_a_malformed_file_exits_1_with_a_french_message(runner, tmp_path, content, message):
    result = count(runner, write(tmp_path, content))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Erreur : ")
    assert message in result.stderr


def test_a_missing_file(runner, tmp_path):
    result = count(runner, str(tmp_path / "absent.json"))
    assert result.exit_code == 1
    assert "absent.json : fichier introuvable." in result.stderr


def test_a_byte_order_mark_is_accepted(runner, tmp_path):
    content = "\ufeff" + json.dumps({"method": "single", "options": ["A"], "ballots": [{"choice": "A"}]})
    result = count(runner, write(tmp_path, content.encode("utf-8")))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["winner"] == "A"


def test_the_help_documents_the_format(runner):
    result = runner.invoke(args=["polls", "count", "--help"])
    assert result.exit_code == 0
    for word in ("yes_no_abstain", "majority_judgment", "status_quo", "quorum", '"a/b"', "tied"):
        assert word in result.output
