"""The pages of long jobs (HTTP): a job's page and state, the member file upload, the text PDF export."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from convention.domain.roles import Role
from convention.domain.textimport import parse_document
from convention.extensions import db
from convention.jobs import operations as job_operations
from convention.jobs.models import Job, JobFileRole, JobKind, JobState
from convention.members.models import Member, RoleAssignment
from convention.texts.operations import import_text_version
from tests.auth_fixtures import login, make_convention, make_federation, make_member, make_section, make_user, page_text

HEADER = "numero_adherent;prenom;nom;email;section;federation;cotisation_jusqu_au"
GOOD_FILE = "\n".join(
    [
        HEADER,
        "A001;Ana;Martin;ana.martin@exemple.fr;Grenoble;38;2026-12-31",
        "A002;Bruno;Petit;bruno.petit@exemple.fr;Voiron;Isère;",
        "A003;Chloé;Roux;chloe.roux@exemple.fr;Grenoble;38;31/12/2026",
    ]
).encode()
BAD_LINES_FILE = "\n".join(
    [
        HEADER,
        "A001;Ana;Martin;ana.martin@exemple.fr;Grenoble;38;2026-12-31",
        "A002;Bruno;;pas-une-adresse;Grenoble;38;",
        "A003;Chloé;Roux;chloe.roux@exemple.fr;Grenoble;38;le 3 mars",
        "A004;Dan;Lee;dan.lee@exemple.fr;Grenoble;99;",
    ]
).encode()

MARKDOWN = """\
# I. Une police républicaine

## 1. Fidéliser les forces de sécurité

La fidélisation des forces de sécurité intérieure est essentielle pour maintenir une force motivée.

Les socialistes proposent :

- Assurer une juste rémunération des gardiens de la paix.

## 2. Une police de proximité

Un paragraphe sur la proximité.
"""


@pytest.fixture()
def people(database):
    isere = make_federation("38", "Isère")
    grenoble = make_section(isere, "Grenoble")
    users = {
        "bn": make_user("bn@exemple.fr", roles=[(Role.NATIONAL_BUREAU, None)]),
        "militant": make_user("militant@exemple.fr", member=make_member(grenoble)),
        "autre": make_user("autre@exemple.fr", member=make_member(grenoble)),
    }
    db.session.commit()
    return users


def add_job(user, state: JobState = JobState.QUEUED, kind: JobKind = JobKind.MEMBER_IMPORT, **values) -> Job:
    """A job row written directly (its task never runs)."""
    job = Job(kind=kind, state=state, created_by_id=user.id, **values)
    db.session.add(job)
    db.session.commit()
    return job


def job_count() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Job))


def upload(client, data: bytes | None, filename: str = "adherents.csv", confirm: bool = True):
    form: dict = {"confirm": "y", "create_sections": "y"} if confirm else {}
    if data is not None:
        form["file"] = (io.BytesIO(data), filename)
    return client.post("/administration/fichier-des-adherents", data=form, content_type="multipart/form-data")


def job_id_from(response) -> int:
    match = re.fullmatch(r"/travaux/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match[1])


# --- A job's page ---------------------------------------------------------------------------------


def test_a_member_import_job_is_the_bureau_nationals_only(client, people):
    job = add_job(people["bn"], progress=40, step="Vérification des lignes…")
    for path in (f"/travaux/{job.id}", f"/travaux/{job.id}/etat", f"/travaux/{job.id}/fichier"):
        response = client.get(path)
        assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"], path

    login(client, "militant@exemple.fr")
    for path in (f"/travaux/{job.id}", f"/travaux/{job.id}/etat", f"/travaux/{job.id}/fichier"):
        assert client.get(path).status_code == 404, path  # the Bureau national's job does not exist for them
    assert client.get("/travaux/987654").status_code == 404

    client.post("/compte/deconnexion")
    login(client, "bn@exemple.fr")
    response = client.get(f"/travaux/{job.id}")
    page = page_text(response)
    assert response.status_code == 200
    assert "<h1>Import du fichier des adhérents</h1>" in page
    assert "En attente" in page and "Vérification des lignes…" in page and "40 %" in page
    assert 'aria-valuenow="40"' in page and "job-w-40" in page
    assert "js/job-progress.js" in page  # polled while unfinished

    # Who leaves the Bureau national no longer sees it, not even a job they started.
    db.session.execute(sa.delete(RoleAssignment).where(RoleAssignment.user_id == people["bn"].id))
    db.session.commit()
    assert client.get(f"/travaux/{job.id}").status_code == 404
    assert f'href="/travaux/{job.id}"' not in page_text(client.get("/travaux/"))


def test_the_state_is_json_and_never_cached(client, people):
    job = add_job(people["bn"], state=JobState.RUNNING, progress=65, step="Écriture des adhérents…")
    login(client, "bn@exemple.fr")
    response = client.get(f"/travaux/{job.id}/etat")
    assert response.status_code == 200 and response.is_json
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_json() == {
        "id": job.id,
        "kind": "member_import",
        "state": "running",
        "state_label": "En cours",
        "progress": 65,
        "step": "Écriture des adhérents…",
        "finished": False,
        "error": "",
    }


def test_my_jobs_lists_mine_only_and_is_linked_from_my_account(client, people):
    mine = add_job(people["bn"], params={"filename": "mon-fichier.csv"})
    add_job(people["autre"], params={"filename": "pas-le-mien.csv"})
    login(client, "bn@exemple.fr")
    account = page_text(client.get("/compte/"))
    assert 'href="/travaux/"' in account and "Mes travaux" in account
    page = page_text(client.get("/travaux/"))
    assert f'href="/travaux/{mine.id}"' in page and "mon-fichier.csv" in page
    assert "pas-le-mien.csv" not in page


# --- The member file upload -----------------------------------------------------------------------


def test_the_upload_page_is_the_bureau_nationals_and_linked_from_the_admin_index(client, people):
    assert "/compte/connexion" in client.get("/administration/fichier-des-adherents").headers["Location"]
    login(client, "militant@exemple.fr")
    assert client.get("/administration/fichier-des-adherents").status_code == 403
    assert upload(client, GOOD_FILE).status_code == 403
    assert job_count() == 0

    client.post("/compte/deconnexion")
    login(client, "bn@exemple.fr")
    index = page_text(client.get("/administration/"))
    assert 'href="/administration/fichier-des-adherents"' in index and 'href="/travaux/"' in index
    response = client.get("/administration/fichier-des-adherents")
    page = page_text(response)
    assert response.status_code == 200
    assert "Importer le fichier des adhérents" in page and 'enctype="multipart/form-data"' in page
    for column in ("numero_adherent", "prenom", "nom", "email", "section", "federation", "cotisation_jusqu_au"):
        assert f"<code>{column}</code>" in page
    assert 'type="file"' in page and 'accept=".csv,.xlsx,text/csv"' in page


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (None, "adherents.csv", "Choisissez le fichier CSV des adhérents."),
        (b"", "adherents.csv", "Fichier refusé : le fichier est vide."),
        (b"  \n\n", "adherents.csv", "Fichier refusé : le fichier est vide."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "adherents.csv", "Fichier refusé : le fichier est binaire"),
        (b"numero_adherent;pr\x81nom", "adherents.csv", "encodage non reconnu : octet 0x81"),
        (b"%PDF-1.7 whatever", "adherents.pdf", "seul un fichier CSV (.csv) ou XLSX (.xlsx) est accepté"),
        (b"Bonjour, voici la liste.\nAna Martin\n", "adherents.csv", "ne nomme pas les colonnes attendues"),
        (b"Bonjour voici la liste\nAna Martin\n", "adherents.csv", "Ce fichier n'est pas un fichier CSV"),
        (b"numero;prenom;nom;email\n1;A;B;a@b.fr\n", "adherents.csv", "il manque numero_adherent, section, federation"),
    ],
    ids=["no-file", "empty-upload", "blank", "binary", "undecodable", "pdf", "prose", "one-column", "missing-columns"],
)
def test_a_bad_file_is_refused_at_once_and_nothing_is_started(client, people, data, filename, message):
    login(client, "bn@exemple.fr")
    response = upload(client, data, filename)
    assert response.status_code == 400
    page = page_text(response)
    assert message in page, page[page.find("errors-summary") - 200:][:1500]
    assert 'aria-invalid="true"' in page
    assert job_count() == 0


def test_a_file_over_the_size_limit_is_refused(client, people, app, monkeypatch):
    monkeypatch.setitem(app.config, "MEMBER_FILE_MAX_BYTES", 100)
    login(client, "bn@exemple.fr")
    response = upload(client, GOOD_FILE)
    assert response.status_code == 400
    assert "Fichier refusé : il dépasse la taille autorisée (1 Ko)." in page_text(response)
    assert job_count() == 0


def test_the_import_must_be_confirmed(client, people):
    login(client, "bn@exemple.fr")
    response = upload(client, GOOD_FILE, confirm=False)
    assert response.status_code == 400 and "Cochez la case pour confirmer l'import." in page_text(response)
    assert job_count() == 0


def test_a_good_file_imports_the_members_and_the_job_page_shows_the_summary(client, people):
    login(client, "bn@exemple.fr")
    response = upload(client, GOOD_FILE, "Adhérents mars 2026.csv")
    assert response.status_code == 302
    job_id = job_id_from(response)

    db.session.expire_all()
    job = db.session.get(Job, job_id)
    assert job.state == JobState.SUCCEEDED, (job.error, job.error_details)
    assert job.created_by_id == people["bn"].id and job.params == {"filename": "Adherents_mars_2026.csv", "create_sections": True}
    members = db.session.scalars(sa.select(Member).where(Member.membership_number.like("A%"))).all()
    assert sorted(m.email for m in members) == ["ana.martin@exemple.fr", "bruno.petit@exemple.fr", "chloe.roux@exemple.fr"]

    page = page_text(client.get(f"/travaux/{job_id}"))
    assert "l'import est lancé" in page  # the flash message
    assert "Terminé" in page and 'aria-valuenow="100"' in page
    assert "Adhérents : 3 créés, 0 mis à jour, 0 inchangé." in page
    assert "1 section créée : Voiron" in page
    assert "Adherents_mars_2026.csv" in page
    assert "js/job-progress.js" not in page  # nothing left to poll
    assert 'href="/travaux/' + str(job_id) + '/fichier"' not in page  # an import produces no file

    again = page_text(client.get("/administration/fichier-des-adherents"))
    assert f'href="/travaux/{job_id}"' in again and "Terminé" in again  # « Derniers imports »


def test_a_file_with_bad_lines_fails_and_the_page_lists_each_line(client, people):
    login(client, "bn@exemple.fr")
    response = upload(client, BAD_LINES_FILE)
    job_id = job_id_from(response)
    db.session.expire_all()
    assert db.session.get(Job, job_id).state == JobState.FAILED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Member).where(Member.membership_number.like("A%"))) == 0

    page = page_text(client.get(f"/travaux/{job_id}"))
    assert "Échec" in page and "bg-danger" in page
    assert "adherents.csv : " in page and "aucun adhérent n'a été importé" in page
    details = re.findall(r"<li>(ligne \d+ : [^<]+)</li>", page)
    assert any(d.startswith("ligne 3 : nom manquant") for d in details), details
    assert any(d.startswith("ligne 3 : adresse électronique invalide « pas-une-adresse »") for d in details), details
    assert any(d.startswith("ligne 4 : date de cotisation invalide « le 3 mars »") for d in details), details
    assert any(d.startswith("ligne 5 : ") and "« 99 »" in d for d in details), details  # unknown federation
    assert not any(d.startswith("ligne 2 ") for d in details)


# --- The text PDF export --------------------------------------------------------------------------


@pytest.fixture()
def text_version(people):
    convention = make_convention()
    version = import_text_version(people["bn"], convention, parse_document(MARKDOWN, "markdown"), title="Le projet")
    db.session.commit()
    return version


def test_anonymous_visitors_are_invited_to_log_in_for_the_pdf(client, text_version):
    page = page_text(client.get("/texte/"))
    assert "Connectez-vous pour télécharger le PDF" in page
    assert "Télécharger le texte en PDF" not in page
    response = client.post("/texte/pdf")
    assert response.status_code == 302 and "/compte/connexion" in response.headers["Location"]
    assert job_count() == 0


def test_a_member_gets_the_pdf_through_its_job_and_a_second_request_reuses_it(client, people, text_version):
    login(client, "militant@exemple.fr")
    page = page_text(client.get("/texte/"))
    assert "Télécharger le texte en PDF" in page and 'action="/texte/pdf"' in page
    assert "Connectez-vous pour télécharger le PDF" not in page

    response = client.post("/texte/pdf")
    assert response.status_code == 302
    job_id = job_id_from(response)
    page = page_text(client.get(f"/travaux/{job_id}"))
    assert "Export du texte en PDF" in page and "Terminé" in page and "Version 1 du texte." in page
    assert "le-projet-version-1.pdf" in page and f'href="/travaux/{job_id}/fichier"' in page
    assert 'href="/texte/?version=1"' in page  # back to the text

    download = client.get(f"/travaux/{job_id}/fichier")
    assert download.status_code == 200
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"] == "attachment; filename=le-projet-version-1.pdf"
    assert download.data.startswith(b"%PDF-")
    assert int(download.headers["Content-Length"]) == len(download.data)
    assert "no-cache" in download.headers["Cache-Control"]

    # Another member asks for the same version: the finished export is theirs to download too.
    client.post("/compte/deconnexion")
    login(client, "autre@exemple.fr")
    again = client.post("/texte/pdf")
    assert job_id_from(again) == job_id and job_count() == 1
    page = page_text(client.get(f"/travaux/{job_id}"))
    assert "Le PDF de cette version est déjà prêt" in page
    assert people["militant"].display_name not in page  # who asked first is not shown to others
    assert client.get(f"/travaux/{job_id}/fichier").data == download.data


def test_an_unfinished_job_or_one_without_a_file_has_nothing_to_download(client, people):
    running = add_job(people["militant"], state=JobState.RUNNING, kind=JobKind.TEXT_PDF)
    job_operations.attach_file(running, JobFileRole.OUTPUT, "partiel.pdf", "application/pdf", b"%PDF-")
    db.session.commit()
    done = add_job(people["militant"], state=JobState.SUCCEEDED, kind=JobKind.TEXT_PDF)
    login(client, "militant@exemple.fr")
    assert client.get(f"/travaux/{running.id}/fichier").status_code == 404
    assert client.get(f"/travaux/{done.id}/fichier").status_code == 404
