"""The page « Importer un tableau d'amendements »: who sees it, when it opens, what it refuses at once."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa

from convention.domain.phases import PhaseKind
from convention.extensions import db
from convention.jobs.models import Job, JobKind, JobState
from tests.amendment_fixtures import TODAY, amendment_count, build_world, log_in, set_phase
from tests.auth_fixtures import page_text

URL = "/amendements/import/"
HEADER = "Unité;Ligne;Type;Mots visés;Nouveaux mots;Exposé des motifs;Date de la réunion"
MEETING = (TODAY - dt.timedelta(days=3)).strftime("%d/%m/%Y")


@pytest.fixture()
def world(database):
    return build_world(PhaseKind.AMENDMENTS)


def table(world, *extra: str) -> bytes:
    line = world.block("I-1-3").line_start
    rows = [HEADER, f"Isère / Grenoble;{line};supprimer;;;Hors de propos.;{MEETING}", *extra]
    return ("\r\n".join(rows) + "\r\n").encode("cp1252")


def upload(client, data: bytes, name: str = "tableau.csv", confirm: bool = True):
    form = {"file": (io.BytesIO(data), name)}
    if confirm:
        form["confirm"] = "y"
    return client.post(URL, data=form, content_type="multipart/form-data")


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 302),
        ("member_paid", 403),
        ("section_secretary", 403),
        ("pilot_this_group", 403),
        ("committee", 200),
        ("national_bureau", 200),
    ],
)
def test_only_the_committee_sees_the_page(world, client, role, status):
    if role != "anonymous":
        log_in(client, world.users[role])
    response = client.get(URL)
    assert response.status_code == status
    if status == 302:
        assert "/connexion" in response.headers["Location"]
    if status == 200:
        text = page_text(response)
        assert "Date de la réunion" in text and "Fédération / Section" in text
        assert "pendant la phase des amendements" in text


@pytest.mark.parametrize("role", ["member_paid", "section_secretary"])
def test_a_member_cannot_post_a_table(world, client, role):
    log_in(client, world.users[role])
    assert upload(client, table(world)).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


def test_the_review_page_links_to_the_import_for_the_committee_only(world, client):
    log_in(client, world.users["committee"])
    assert URL in client.get("/amendements/examen/").get_data(as_text=True)
    log_in(client, world.users["pilot_this_group"])
    assert URL not in client.get("/amendements/examen/").get_data(as_text=True)


def test_the_committee_uploads_and_the_job_files_the_amendments(world, client):
    log_in(client, world.users["committee"])
    response = upload(client, table(world))
    assert response.status_code == 302
    job = db.session.scalar(sa.select(Job))
    assert response.headers["Location"].endswith(f"/travaux/{job.id}")
    assert (job.kind, job.state) == (JobKind.AMENDMENT_IMPORT, JobState.SUCCEEDED), job.error
    assert job.params == {"convention_id": world.convention.id, "filename": "tableau.csv"}
    assert amendment_count() == 1
    assert "tableau.csv" in page_text(client.get(URL))  # among the latest imports


def test_a_bad_row_fails_the_job_with_its_reason(world, client):
    log_in(client, world.users["national_bureau"])  # the Bureau national sees every job's page
    response = upload(client, table(world, f"Isère / Grenoble;9999;supprimer;;;M.;{MEETING}"))
    job_page = page_text(client.get(response.headers["Location"]))
    assert "aucun amendement n'a été déposé" in job_page
    assert "ligne 3 : la ligne 9999 n'est pas une ligne numérotée" in job_page
    assert amendment_count() == 0


def test_the_committee_member_follows_the_job_page(world, client):
    log_in(client, world.users["committee"])
    response = upload(client, table(world))
    assert client.get(response.headers["Location"]).status_code == 200


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b"", "tableau.csv", "Fichier refusé : le fichier est vide."),
        (b"Unite;Ligne\r\n38;12\r\n", "tableau.csv", "colonne(s) manquante(s) : Type, Mots visés"),
        (b"Couleur;Unite;Ligne;Type;Mots;Nouveaux mots;Motifs;Date\r\n", "t.csv", "colonne(s) inconnue(s) : « Couleur »"),
        (b"%PDF-1.4 binary\x00\x01", "tableau.csv", "le fichier est binaire"),
        (b"PK\x03\x04garbage", "tableau.xlsx", "ni un fichier CSV ni un classeur XLSX"),
        (b"Unite;Ligne\r\n", "tableau.ods", "seul un fichier CSV (.csv) ou XLSX (.xlsx) est accepté"),
    ],
)  # fmt: skip
def test_a_bad_file_is_refused_at_once(world, client, data, name, message):
    log_in(client, world.users["committee"])
    response = upload(client, data, name)
    assert response.status_code == 400
    assert message in page_text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


def test_a_huge_file_is_refused_at_once(world, client, app, monkeypatch):
    monkeypatch.setitem(app.config, "AMENDMENT_FILE_MAX_BYTES", 4096)
    log_in(client, world.users["committee"])
    response = upload(client, table(world) + b"x" * 5000)
    assert response.status_code == 400
    assert "il dépasse la taille autorisée" in page_text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


def test_the_confirmation_is_required(world, client):
    log_in(client, world.users["committee"])
    response = upload(client, table(world), confirm=False)
    assert response.status_code == 400 and "Cochez la case pour confirmer l'import." in page_text(response)


@pytest.mark.parametrize("phase", [PhaseKind.CONTRIBUTIONS, PhaseKind.NATIONAL_BUREAU])
def test_outside_the_amendment_phase_the_page_says_so_and_refuses(world, client, phase):
    set_phase(world, phase)
    log_in(client, world.users["committee"])
    page = page_text(client.get(URL))
    assert "Le dépôt des amendements n’est pas ouvert" in page and 'type="file"' not in page
    response = upload(client, table(world))
    assert response.status_code == 409
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


def test_one_import_at_a_time(world, client, monkeypatch):
    monkeypatch.setattr("convention.jobs.operations.dispatch", lambda job_id: None)  # stays queued
    log_in(client, world.users["committee"])
    assert upload(client, table(world)).status_code == 302
    response = upload(client, table(world))
    assert response.status_code == 409 and "déjà en cours" in page_text(response)


def test_an_xlsx_workbook_is_uploaded_and_imported(world, client):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Unité", "Alinéa", "Type", "Mots visés", "Nouveaux mots", "Exposé des motifs", "Date"])
    book.active.append(["Rhône / Lyon", "I-2-2", "modifier", "greffiers", "greffières et greffiers", "Parité.",
                        dt.datetime.combine(TODAY, dt.time())])  # fmt: skip
    data = io.BytesIO()
    book.save(data)
    log_in(client, world.users["committee"])
    response = upload(client, data.getvalue(), "tableau.xlsx")
    assert response.status_code == 302
    job = db.session.scalar(sa.select(Job))
    assert job.state == JobState.SUCCEEDED, (job.error, job.error_details)
    assert job.result["numbers"] == [1]
