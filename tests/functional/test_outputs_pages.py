"""The documents page (/documents/): who sees the buttons, who starts the outputs, and that an export
of the same inputs is handed out again instead of being made twice."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from convention.amendments import consolidation
from convention.amendments import operations as ops
from convention.domain.amendments import AmendmentStatus
from convention.domain.phases import PhaseKind
from convention.extensions import db
from convention.jobs.models import Job, JobKind, JobState
from tests.amendment_fixtures import P1, Q2, TODAY, build_world, edit, load_world, log_in, submit

INDEX = "/documents/"


def jobs(kind: JobKind | None = None) -> list[Job]:
    db.session.expire_all()
    query = sa.select(Job).order_by(Job.id)
    if kind is not None:
        query = query.where(Job.kind == kind)
    return list(db.session.scalars(query))


@pytest.fixture()
def world(database, app):
    world = build_world(PhaseKind.AMENDMENTS)
    world.convention.amendment_cosignatures_required = 0
    db.session.commit()
    submit(world, "member_paid", "I-1-1", edited=edit(P1, "dès l'école", "dès la crèche"))
    submit(world, "author", "I-2-2", edited=edit(Q2, "greffiers", "greffières"), rationale="=1+1")
    return load_world()


@pytest.fixture()
def consolidated(world):
    committee = world.users["committee"]
    amendment = submit(world, "author", "I-1-3", requested=ops.RequestedKind.DELETE)
    ops.declare_admissibility(committee, amendment, True, "Recevable.", today=TODAY)
    ops.decide_amendment(committee, amendment, AmendmentStatus.ADOPTED, "Adopté en séance.", "", today=TODAY)
    db.session.commit()
    world = load_world()
    consolidation.start_consolidation(committee, world.convention, world.text)
    db.session.commit()
    return load_world()


def test_a_visitor_sees_the_page_without_buttons_and_cannot_start_anything(world, client):
    page = client.get(INDEX)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Connectez-vous pour télécharger les documents" in html
    assert 'action="/documents/cahier/1"' not in html
    for path in ("/documents/cahier/1", "/documents/amendements.csv", "/documents/amendements.xlsx"):
        response = client.post(path)
        assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    assert jobs() == []


@pytest.mark.parametrize("who", ["member_paid", "member_lapsed", "section_secretary", "committee"])
def test_any_member_sees_the_buttons_of_the_book_and_the_spreadsheets(world, client, who):
    log_in(client, world.users[who])
    html = client.get(INDEX).get_data(as_text=True)
    assert 'action="/documents/cahier/1"' in html and "Cahier de la version 1 (2 amendements)" in html
    assert 'action="/documents/amendements.csv"' in html and 'action="/documents/amendements.xlsx"' in html
    # No version is consolidated yet: no tracked-changes export.
    assert "Aucune version n’a encore été consolidée" in html and ".docx" not in html


@pytest.mark.parametrize("path, kind", [
    ("/documents/cahier/1", JobKind.AMENDMENT_BOOK),
    ("/documents/amendements.csv", JobKind.AMENDMENT_EXPORT),
    ("/documents/amendements.xlsx", JobKind.AMENDMENT_EXPORT),
])  # fmt: skip
def test_a_member_starts_an_output_and_a_second_click_gets_the_same_file(world, client, path, kind):
    log_in(client, world.users["member_lapsed"])  # dues lapsed: still a member who may read them
    response = client.post(path)
    assert response.status_code == 302
    (job,) = jobs(kind)
    assert response.headers["Location"].endswith(f"/travaux/{job.id}")
    assert job.state == JobState.SUCCEEDED, (job.error, job.error_details)
    again = client.post(path, follow_redirects=False)
    assert again.headers["Location"].endswith(f"/travaux/{job.id}") and len(jobs(kind)) == 1


def test_the_bureau_national_downloads_the_csv_from_the_job_page(world, client):
    log_in(client, world.users["national_bureau"])
    response = client.post("/documents/amendements.csv", follow_redirects=True)
    assert "Le fichier est prêt" in response.get_data(as_text=True)
    (job,) = jobs(JobKind.AMENDMENT_EXPORT)
    download = client.get(f"/travaux/{job.id}/fichier")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    body = download.data.decode("utf-8-sig")
    assert "'=1+1" in body and ";=1+1" not in body


@pytest.mark.parametrize("path, mimetype", [
    ("/documents/amendements.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("/documents/cahier/1", "application/pdf"),
])  # fmt: skip
def test_a_member_follows_an_output_to_its_job_page_and_downloads_it(world, client, path, mimetype):
    log_in(client, world.users["member_paid"])
    response = client.post(path)
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and "Télécharger" in page.get_data(as_text=True)
    (job,) = jobs()
    download = client.get(f"/travaux/{job.id}/fichier")
    assert download.status_code == 200 and download.mimetype == mimetype
    # Another member is handed the same document, and sees its page too.
    log_in(client, world.users["author"])
    again = client.post(path)
    assert again.headers["Location"] == response.headers["Location"] and len(jobs()) == 1
    assert client.get(again.headers["Location"]).status_code == 200


def test_a_consolidated_version_offers_docx_and_odt(consolidated, client):
    log_in(client, consolidated.users["member_paid"])
    html = client.get(INDEX).get_data(as_text=True)
    assert 'action="/documents/texte/2.docx"' in html and 'action="/documents/texte/2.odt"' in html
    assert 'action="/documents/texte/1.docx"' not in html  # version 1 was not consolidated
    for fmt, kind in (("docx", JobKind.TEXT_DOCX), ("odt", JobKind.TEXT_ODT)):
        response = client.post(f"/documents/texte/2.{fmt}")
        (job,) = jobs(kind)
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/travaux/{job.id}")
        assert job.state == JobState.SUCCEEDED and job.result["revisions"] == 1
    # Version 1 has no changes to track; unknown formats and versions are not found.
    assert client.post("/documents/texte/1.docx").status_code == 404
    assert client.post("/documents/texte/2.pdf").status_code == 404
    assert client.post("/documents/texte/9.odt").status_code == 404
    assert client.post("/documents/amendements.ods").status_code == 404
    assert client.post("/documents/cahier/9").status_code == 404


def test_the_pages_link_to_the_documents(consolidated, client):
    log_in(client, consolidated.users["committee"])
    for path in ("/amendements/", "/amendements/examen/", "/texte/"):
        assert 'href="/documents/"' in client.get(path).get_data(as_text=True), path


def test_the_post_needs_its_csrf_token(world, app, client):
    log_in(client, world.users["member_paid"])
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post("/documents/amendements.csv").status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert jobs() == []
