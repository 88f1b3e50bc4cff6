"""The results pages (§4, §5): who sees them when, what they show (decisions in words, merged cells with the rule,
the member's federation first, the search), the CSV and PDF with the same rule, the verification export and the
published receipts; the Bureau national's warning about minutes not counted."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import subprocess

import pytest

from convention.domain.polls import ReportState
from convention.extensions import db, limiter
from convention.votes import operations
from convention.votes.models import Poll
from tests.auth_fixtures import login, make_user, page_text, switch_user
from tests.integration.test_vote_tally import (
    TEXT,
    close_and_count,
    counted_world,
    make_results_world,
    open_poll,
    two_questions,
    vote_on_paper,
    vote_online,
)

SENTENCE = "Le texte est adopté : 21 voix Pour sur 35 suffrages exprimés, soit plus de la moitié."


@pytest.fixture(autouse=True)
def _no_login_rate_limit():
    limiter.reset()
    yield
    limiter.reset()


def _world(proclaimed: bool = False):
    world, poll, _ = counted_world()
    rhone_member = make_user("rhone@example.org", member=world.members["Lyon 1er"][0])
    isere_member = make_user("isere@example.org", member=world.members["Grenoble"][0])
    if proclaimed:
        assert operations.proclaim(world.bn, poll)
    db.session.commit()
    return world, poll, rhone_member, isere_member


def test_the_results_are_the_bureau_s_until_proclaimed_then_everyone_s(client, database):
    world, poll, _, _ = _world()
    pid = poll.id
    paths = [f"/vote/{pid}/resultats", f"/vote/{pid}/resultats.csv", f"/vote/{pid}/export.json"]
    for path in paths:
        assert client.get(path).status_code == 403, path
    assert SENTENCE not in page_text(client.get(f"/vote/{pid}"))
    login(client, "rhone@example.org")
    for path in paths:
        assert client.get(path).status_code == 403, path
    switch_user(client, "bn@example.org")
    page = page_text(client.get(f"/vote/{pid}"))
    assert SENTENCE in page and "non proclamés" in page
    response = client.get(f"/vote/{pid}/resultats")
    assert response.status_code == 200 and SENTENCE in page_text(response)
    assert operations.proclaim(world.bn, db.session.get(Poll, pid))
    db.session.commit()
    client.post("/compte/deconnexion")
    for path in paths:
        assert client.get(path).status_code == 200, path
    page = page_text(client.get(f"/vote/{pid}"))
    assert SENTENCE in page and "non proclamés" not in page
    assert client.get("/vote/999999/resultats").status_code == 404


def test_a_draft_s_results_do_not_exist(client, database):
    world = make_results_world()
    poll = operations.create_poll(world.bn, world.convention, two_questions())
    db.session.commit()
    assert client.get(f"/vote/{poll.id}/resultats").status_code == 404
    assert client.get(f"/vote/{poll.id}/recus").status_code == 404


def test_the_results_page_merges_small_cells_and_prints_the_rule(client, database):
    _world(proclaimed=True)
    poll = db.session.query(Poll).one()
    page = page_text(client.get(f"/vote/{poll.id}/resultats"))
    assert SENTENCE in page
    assert "L'option « Rédaction A » l'emporte avec la mention majoritaire « Bien »." in page
    assert "Autres fédérations" in page and "regroupe : Fédération de Corse, Fédération de Rhône" in page
    assert "Autres sections de la fédération de Isère" in page and "regroupe : Grenoble, Voiron" in page
    assert "moins de 10 bulletins" in page
    assert "Trop peu de bulletins pour publier des résultats par section" in page  # Rhône and Corse
    assert "Lyon 1er" in page  # its turnout only
    # Turnout of every unit, merged or not, with the channel.
    assert "Ajaccio" in page and "Participation par fédération" in page
    assert poll.export_hash in page


def test_the_member_s_federation_comes_first_and_the_search_filters(client, database):
    world, poll, _, _ = _world(proclaimed=True)
    login(client, "rhone@example.org")
    page = page_text(client.get(f"/vote/{poll.id}/resultats"))
    assert "Votre fédération, Fédération de Rhône, compte trop peu de bulletins" in page
    turnout = page[page.index('id="participation-federations"') :]
    assert turnout.index("Fédération de Rhône") < turnout.index("Fédération de Corse")
    sections = page[page.index('id="par-section"') :]
    assert sections.index("Fédération de Rhône") < sections.index("Fédération de Corse")
    assert sections.count("Trop peu de bulletins pour publier des résultats par section") == 2  # Rhône, Corse
    switch_user(client, "isere@example.org")
    page = page_text(client.get(f"/vote/{poll.id}/resultats"))
    assert 'class="table-info results-own"' in page and "votre fédération" in page
    assert "Votre fédération, " not in page
    searched = page_text(client.get(f"/vote/{poll.id}/resultats?federation=rhone"))
    turnout = searched[searched.index('id="participation-federations"') : searched.index('id="par-section"')]
    assert "Fédération de Rhône" in turnout and "Fédération de Corse" not in turnout
    assert "Fédérations dont le nom contient « rhone »" in searched
    nothing = page_text(client.get(f"/vote/{poll.id}/resultats?federation=zzz"))
    assert "Aucune fédération ne correspond à cette recherche." in nothing


def test_the_csv_has_the_published_cells_and_the_rule(client, database):
    world, poll, _, _ = _world(proclaimed=True)
    response = client.get(f"/vote/{poll.id}/resultats.csv")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    body = response.data
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Question", "Méthode", "Niveau", "Unité"]
    national = {r[10]: r[12] for r in rows[1:] if len(r) > 12 and r[0] == TEXT and r[2] == "National"}
    assert national == {"Pour": "21", "Contre": "14", "Abstention": "2"}
    units = {r[3] for r in rows[1:] if len(r) > 12}
    assert "Autres fédérations" in units and "Fédération de Corse" not in units and "Ajaccio" not in units
    assert "Voiron" not in units  # merged: never shown alone
    assert any("moins de 10 bulletins" in " ".join(r) for r in rows)
    assert any(poll.export_hash in " ".join(r) for r in rows)


def _pdf_text(response, tmp_path) -> str:
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    path = tmp_path / "resultats.pdf"
    path.write_bytes(response.data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(text.split())


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed")
def test_the_pdf_prints_the_same_results_and_rule(client, database, tmp_path):
    world, poll, _, _ = _world(proclaimed=True)
    flat = _pdf_text(client.get(f"/vote/{poll.id}/resultats.pdf"), tmp_path)
    assert "Le texte est adopté : 21 voix Pour sur 35 suffrages exprimés" in flat
    assert "Autres fédérations" in flat and "moins de 10 bulletins" in flat
    assert "Fédération de Corse" in flat  # its turnout, not its votes
    assert poll.export_hash[:20] in flat.replace(" ", "")
    assert "Voiron" not in flat  # the sections are in each federation's PDF
    # A federation's PDF adds its sections, as published.
    isere = world.federations["38"]
    flat = _pdf_text(client.get(f"/vote/{poll.id}/resultats.pdf?federation={isere.id}"), tmp_path)
    assert "Résultats par section : Fédération de Isère" in flat
    assert "Autres sections de la fédération de Isère" in flat and "Échirolles" in flat
    assert "Voiron" in flat  # in the merged cell's list and its turnout
    assert client.get(f"/vote/{poll.id}/resultats.pdf?federation=999999").status_code == 404


def test_the_export_download_is_the_published_bytes(client, database):
    world, poll, _, _ = _world(proclaimed=True)
    response = client.get(f"/vote/{poll.id}/export.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    assert hashlib.sha256(response.data).hexdigest() == poll.export_hash
    assert response.headers["X-Content-SHA256"] == poll.export_hash
    assert json.loads(response.data)["format"] == "convention-vote-export/1"


def test_the_receipts_are_published_after_the_close(client, database):
    world = make_results_world()
    poll = open_poll(world)
    codes = vote_online(world, poll)
    db.session.commit()
    page = page_text(client.get(f"/vote/{poll.id}/recus"))
    assert "La liste sera publiée après la clôture du vote" in page
    assert client.get(f"/vote/{poll.id}/recus.json").status_code == 403
    poll, _ = close_and_count(world, poll)
    digests = sorted(hashlib.sha256(code.replace("-", "").encode()).hexdigest() for code in codes)
    page = page_text(client.get(f"/vote/{poll.id}/recus"))
    assert f"{len(codes)} bulletins en ligne dans l'urne." in page
    assert all(digest in page for digest in digests)
    assert page.index(digests[0]) < page.index(digests[-1])
    mine = digests[3]
    found = page_text(client.get(f"/vote/{poll.id}/recus?empreinte={mine[:12]}"))
    assert mine in found and "1 empreinte commence par" in found and digests[0] not in found
    wrong = client.get(f"/vote/{poll.id}/recus?empreinte=zz%25")
    assert wrong.status_code == 200 and "ne contient que les chiffres 0 à 9" in page_text(wrong)
    data = client.get(f"/vote/{poll.id}/recus.json").get_json()
    assert data["receipts"] == digests and data["count"] == len(codes)


def test_the_bureau_is_warned_of_minutes_not_counted(client, database):
    world = make_results_world()
    poll = open_poll(world)
    vote_online(world, poll)
    vote_on_paper(world, poll, state=ReportState.SUBMITTED)
    poll, _ = close_and_count(world, poll)
    make_user("isere@example.org", member=world.members["Grenoble"][0])
    db.session.commit()
    login(client, "bn@example.org")
    for path in (f"/vote/{poll.id}", f"/vote/{poll.id}/resultats"):
        page = page_text(client.get(path))
        assert "1 procès-verbal de section n'est pas validé : il n'est pas compté dans ces résultats." in page, path
        assert "Échirolles" in page
    switch_user(client, "isere@example.org")
    assert "procès-verbal de section n'est pas validé" not in page_text(client.get(f"/vote/{poll.id}"))
