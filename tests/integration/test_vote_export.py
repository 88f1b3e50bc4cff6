"""The verification export (§5): canonical bytes whose SHA-256 is published, ``flask polls export`` writing the
same bytes, and ``flask polls verify`` recounting from the file alone — and failing loudly once it is tampered."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from convention.domain.polls import QuestionMethod
from convention.extensions import db
from convention.members.models import Member
from convention.votes import export, operations
from convention.votes.models import Ballot, Poll
from convention.votes.operations import QuestionData
from tests.integration.test_vote_tally import (
    ONLINE,
    PAPER_VOTERS,
    TEXT,
    WORDING,
    Voter,
    add_minutes,
    close_and_count,
    counted_world,
    make_results_world,
    open_poll,
    vote_online,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def runner(app):
    return app.test_cli_runner()


def exported(tmp_path: Path, poll: Poll) -> Path:
    path = tmp_path / "export.json"
    path.write_bytes(export.export_bytes(poll))
    return path


def verify(runner, path: Path, *extra: str):
    return runner.invoke(args=["polls", "verify", str(path), *extra])


def tamper(path: Path, change) -> Path:
    data = json.loads(path.read_bytes())
    change(data)
    tampered = path.with_name("modifie.json")
    tampered.write_bytes(export.canonical_json(data))
    return tampered


def test_the_export_is_canonical_anonymous_and_its_hash_is_published(database):
    world, poll, _ = counted_world()
    content = export.export_bytes(poll)
    assert content == export.export_bytes(poll)  # the same bytes every time
    assert hashlib.sha256(content).hexdigest() == poll.export_hash
    data = json.loads(content)
    assert content == json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert data["format"] == export.FORMAT
    assert data["roll"]["hash"] == poll.roll_hash and data["roll"]["size"] == poll.roll_size
    assert sum(f["registered"] for f in data["roll"]["federations"]) == poll.roll_size
    assert [q["title"] for q in data["questions"]] == [TEXT, WORDING]
    assert data["questions"][0]["rule"] == {"base": "yes_no", "threshold": "1/2", "strict": True, "quorum": None}
    assert data["questions"][0]["result"]["adopted"] is True
    # Ballots: no id, no time, no unit; the counting code's format, options by label.
    online = sum(len(b) for b in ONLINE.values())
    assert len(data["ballots"]) == online
    assert all(set(ballot) == {q["key"] for q in data["questions"]} for ballot in data["ballots"])
    first = data["ballots"][0]
    assert set(first[data["questions"][0]["key"]]) == {"choice"}
    assert set(first[data["questions"][1]["key"]]["grades"]) == {"Rédaction A", "Rédaction B"}
    ids = set(db.session.scalars(sa.select(Ballot.id)))
    text = content.decode()
    assert not any(ballot_id in text for ballot_id in ids)
    for member in db.session.scalars(sa.select(Member)):
        assert member.membership_number not in text and member.email not in text
    # The receipts in the box, sorted; the validated minutes.
    assert data["receipts"] == sorted(db.session.scalars(sa.select(Ballot.receipt_hash)))
    (minutes,) = data["minutes"]
    assert (minutes["section"], minutes["voters"]) == ("Échirolles", PAPER_VOTERS)


def test_the_ballots_are_in_the_order_of_their_random_ids_not_of_the_votes(database):
    world = make_results_world()
    poll = open_poll(world)
    codes = vote_online(world, poll)
    poll, _ = close_and_count(world, poll)
    box = list(db.session.execute(sa.select(Ballot.choices, Ballot.receipt_hash).order_by(Ballot.id)))
    data = json.loads(export.export_bytes(poll))
    key = data["questions"][0]["key"]
    assert len(data["ballots"]) == len(box) == len(codes)
    assert [b[key]["choice"] for b in data["ballots"]] == [json.loads(choices)[key] for choices, _ in box]
    # Receipts are sorted by hash, independently of the ballots' order.
    assert data["receipts"] == sorted(h for _, h in box)


def test_flask_polls_export_writes_the_published_bytes(database, runner, tmp_path):
    world, poll, _ = counted_world()
    expected = export.export_bytes(poll)
    result = runner.invoke(args=["polls", "export", str(poll.id)])
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == expected
    assert poll.export_hash in result.stderr
    target = tmp_path / "sortie.json"
    result = runner.invoke(args=["polls", "export", str(poll.id), "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == expected


def test_flask_polls_export_refuses_a_poll_not_counted(database, runner):
    world = make_results_world()
    poll = open_poll(world)
    db.session.commit()
    result = runner.invoke(args=["polls", "export", str(poll.id)])
    assert result.exit_code == 1 and "n'est pas dépouillé" in result.stderr
    result = runner.invoke(args=["polls", "export", "999999"])
    assert result.exit_code == 1 and "n'existe pas" in result.stderr


def test_verify_recounts_the_export_and_finds_the_recorded_result(database, runner, tmp_path):
    world, poll, _ = counted_world()
    path = exported(tmp_path, poll)
    result = verify(runner, path, "--hash", poll.export_hash)
    assert result.exit_code == 0, result.output
    assert f"Empreinte SHA-256 du fichier : {poll.export_hash}" in result.stdout
    assert "Le texte est adopté : 21 voix Pour sur 35 suffrages exprimés, soit plus de la moitié." in result.stdout
    assert "L'option « Rédaction A » l'emporte avec la mention majoritaire « Bien »." in result.stdout
    assert result.stdout.count("Recomptage conforme") == 2
    assert "Vérification réussie" in result.stdout


def test_changing_one_ballot_makes_verify_fail_loudly(database, runner, tmp_path):
    world, poll, _ = counted_world()
    path = exported(tmp_path, poll)
    data = json.loads(path.read_bytes())
    key = data["questions"][0]["key"]
    index = next(i for i, b in enumerate(data["ballots"]) if b[key] == {"choice": "no"})

    def flip(data):
        data["ballots"][index][key] = {"choice": "yes"}

    result = verify(runner, tamper(path, flip))
    assert result.exit_code == 1
    assert f"question « {TEXT} »" in result.stderr
    assert "scores.yes : enregistré 21, recompté 22" in result.stderr
    assert "scores.no : enregistré 14, recompté 13" in result.stderr
    assert "DIFFÉRENCE" in result.stdout


def test_changing_a_grade_or_the_minutes_or_the_recorded_result_fails_too(database, runner, tmp_path):
    world, poll, _ = counted_world()
    path = exported(tmp_path, poll)
    key = json.loads(path.read_bytes())["questions"][1]["key"]

    def regrade(data):
        grades = data["ballots"][0][key]["grades"]
        grades["Rédaction A"] = "À rejeter" if grades["Rédaction A"] != "À rejeter" else "Très bien"

    def minutes(data):
        figures = data["minutes"][0]["figures"][0]
        figures["votes"]["yes"] -= 1
        figures["votes"]["no"] += 1

    def result(data):
        data["questions"][0]["result"]["adopted"] = False

    for change, question in ((regrade, WORDING), (minutes, TEXT), (result, TEXT)):
        outcome = verify(runner, tamper(path, change))
        assert outcome.exit_code == 1, change.__name__
        assert f"question « {question} »" in outcome.stderr, (change.__name__, outcome.stderr)


def test_a_removed_ballot_or_a_wrong_hash_is_reported(database, runner, tmp_path):
    world, poll, _ = counted_world()
    path = exported(tmp_path, poll)

    def drop(data):
        del data["ballots"][0]

    outcome = verify(runner, tamper(path, drop))
    assert outcome.exit_code == 1 and "bulletin(s) en ligne" in outcome.stderr
    outcome = verify(runner, path, "--hash", "0" * 64)
    assert outcome.exit_code == 1 and "n'est pas celle attendue" in outcome.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{pas du json", "JSON invalide"),
        (b'{"format": "autre"}', "format inconnu"),
        (b"\xff\xfe", "UTF-8"),
    ],
)
def test_a_file_that_is_not_an_export_is_refused_in_french(runner, tmp_path, content, message):
    path = tmp_path / "x.json"
    path.write_bytes(content)
    outcome = verify(runner, path)
    assert outcome.exit_code == 1 and message in outcome.stderr
    outcome = verify(runner, tmp_path / "absent.json")
    assert outcome.exit_code == 1 and "fichier introuvable" in outcome.stderr


@pytest.mark.parametrize(
    "database_url", ["sqlite:////nonexistent/folder/convention.db", "postgresql://nobody@127.0.0.1:9/absent"]
)
def test_verify_needs_no_database(database, tmp_path, database_url):
    """Run as anyone would: a separate process whose DATABASE_URL leads nowhere."""
    world, poll, _ = counted_world()
    path = exported(tmp_path, poll)
    env = {**os.environ, "DATABASE_URL": database_url, "CONVENTION_CONFIG": "development"}
    env.pop("TEST_DATABASE_URL", None)
    command = [sys.executable, "-m", "flask", "--app", "convention", "polls", "verify", str(path)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Vérification réussie" in done.stdout
    tampered = tamper(path, lambda data: data["ballots"].pop())
    done = subprocess.run(
        [*command[:-1], str(tampered)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1 and "la vérification a échoué" in done.stderr


@pytest.mark.parametrize("method", ["single", "approval", "schulze"])
def test_every_method_is_verified_with_its_paper_minutes(database, runner, tmp_path, method):
    world = make_results_world()
    extra = {"seats": 2} if method == "approval" else {"status_quo": True} if method == "schulze" else {}
    question = QuestionData("Choix", QuestionMethod(method), options=[("A", ""), ("B", ""), ("C", "")], **extra)
    poll = open_poll(world, questions=[question])
    (stored,) = poll.questions
    ids = {o.label: o.id for o in stored.options}
    online = {
        "single": [ids["A"], ids["B"], "blank", ids["A"]],
        "approval": [[ids["A"], ids["B"]], [ids["C"]], [], [ids["A"]]],
        "schulze": [[[ids["A"]], [ids["B"]]], [[ids["B"], ids["C"]]], [], [[ids["C"]], [ids["A"]]]],
    }[method]
    for member, answer in zip(world.members["Grenoble"], online * 3, strict=False):
        operations.cast_ballot(Voter(member), poll, {stored.key: answer})
    figures = {
        "single": {str(ids["A"]): 3, str(ids["B"]): 1, str(ids["C"]): 0, "blank": 1, "void": 0},
        "approval": {str(ids["A"]): 4, str(ids["B"]): 2, str(ids["C"]): 0, "blank": 1, "void": 0},
        "schulze": {
            "rankings": [{"count": 3, "ranking": [[ids["A"]], [ids["B"]]]}, {"count": 1, "ranking": [[ids["B"]]]}],
            "blank": 1,
            "void": 0,
        },
    }[method]
    add_minutes(poll, world.sections["Échirolles"], world.members["Échirolles"][:5], {stored.key: figures})
    poll, job = close_and_count(world, poll)
    assert job.state.value == "succeeded", (job.error, job.error_details)
    path = exported(tmp_path, poll)
    outcome = verify(runner, path)
    assert outcome.exit_code == 0, outcome.output
    assert "Recomptage conforme" in outcome.stdout
    data = json.loads(path.read_bytes())
    assert data["questions"][0]["result"]["ballots"] == 12 + 5

    def change(data):
        item = data["minutes"][0]["figures"][0]
        if method == "schulze":
            item["rankings"][0]["count"] -= 1
            item["rankings"][1]["count"] += 1
        else:
            item["votes"]["A"] -= 1
            item["votes"]["C"] += 1

    outcome = verify(runner, tamper(path, change))
    assert outcome.exit_code == 1 and "question « Choix »" in outcome.stderr, outcome.output
