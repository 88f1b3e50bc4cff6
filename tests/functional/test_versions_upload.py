"""The web upload of a real document (DOCX, ODT, PDF): the structure and the warnings shown, published
as a new version or cancelled; a large file read by a job with its progress page; the committee's
draft while the text is prepared."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from convention.domain.phases import PhaseKind
from convention.extensions import db
from convention.jobs.models import Job, JobKind, JobState
from convention.texts.models import TextVersion, VersionStatus
from tests.amendment_fixtures import build_world, log_in
from tests.unit.test_document_import import (
    TITLE,
    build_docx,
    build_odt,
    build_pdf,
    docx_extras,
    encrypted_docx,
    expected_words,
)

VERSIONS = "/texte/versions/"
UPLOAD = "/texte/versions/nouvelle"
PUBLISH = "/texte/versions/nouvelle/publier"


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return {
        "projet.docx": build_docx(),
        "projet.odt": build_odt(),
        "projet.pdf": build_pdf(),
        "extras.docx": build_docx(extra=docx_extras),
    }


@pytest.fixture()
def world(database, app):
    return build_world(PhaseKind.AMENDMENTS)


@pytest.fixture()
def drafting(database, app):
    return build_world(PhaseKind.CONTRIBUTIONS)


def page(response) -> str:
    return response.get_data(as_text=True)


def send(client, name: str, data: bytes):
    return client.post(UPLOAD, data={"file": (io.BytesIO(data), name), "format": "auto"},
                       content_type="multipart/form-data")  # fmt: skip


def token_of(html: str) -> str:
    match = re.search(r'name="upload" type="hidden" value="([^"]+)"', html)
    assert match, "no upload token in the preview"
    return match.group(1)


def versions() -> list[TextVersion]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(TextVersion).order_by(TextVersion.number)))


def words_of(version: TextVersion) -> list[str]:
    return [w for p in version.parts for c in p.chapters for b in c.blocks for w in b.text.split()]


@pytest.mark.parametrize(("name", "label"), [("projet.docx", "Word (DOCX)"), ("projet.odt", "LibreOffice (ODT)"),
                                             ("projet.pdf", "PDF")])  # fmt: skip
def test_the_bureau_uploads_a_document_sees_its_structure_and_publishes_it(world, client, files, name, label):
    log_in(client, world.users["national_bureau"])
    form = page(client.get(UPLOAD))
    assert 'accept=".docx,.odt,.pdf' in form and "Word (.docx) ou LibreOffice (.odt)" in form
    response = send(client, name, files[name])
    assert response.status_code == 200, page(response)
    html = page(response)
    assert f"({label}), lu sans erreur" in html
    assert f"Titre du document : « {TITLE} »" in html.replace("&#39;", "'")
    assert "2 parties" in html and "4 chapitres" in html and "5 propositions" in html
    assert "3 éléments de liste" in html and "9 paragraphes" in html
    if name.endswith(".pdf"):
        assert "pied ou en-tête de page répété retiré" in html and "mot coupé en fin de ligne recollé" in html
        assert "Page 1" in html or "page 1" in html  # where each chapter starts in the file
    assert len(versions()) == 1  # the preview writes nothing

    published = client.post(PUBLISH, data={"upload": token_of(html), "status": "amended", "label": ""})
    assert published.status_code == 302 and published.headers["Location"].endswith(VERSIONS)
    one, two = versions()
    assert (two.number, two.status, two.source) == (2, VersionStatus.AMENDED, name)
    assert words_of(two) == expected_words()


def test_the_preview_lists_what_the_import_could_not_take_as_it_is(world, client, files):
    log_in(client, world.users["national_bureau"])
    html = page(send(client, "extras.docx", files["extras.docx"]))
    assert 'id="avertissements-import"' in html
    assert "Tableau 1 (paragraphe" in html and "lu comme 2 paragraphe(s)" in html
    assert "image(s) ignorée(s)" in html
    assert "1 note de bas de page, gardée en fin de chapitre" in html


def test_refused_documents_say_why_and_write_nothing(world, client):
    log_in(client, world.users["national_bureau"])
    encrypted = send(client, "secret.docx", encrypted_docx())
    assert encrypted.status_code == 422 and "protégé par un mot de passe" in page(encrypted)
    empty = send(client, "vide.odt", b"")
    assert empty.status_code in (400, 422)
    fake = send(client, "texte.pdf", b"Un texte.")
    assert fake.status_code == 400 and "seul un fichier texte" in page(fake)
    other = send(client, "image.png", b"\x89PNG")
    assert other.status_code == 400 and "Word (.docx)" in page(other)
    assert len(versions()) == 1


def test_cancelling_a_document_writes_nothing(world, client, files):
    log_in(client, world.users["national_bureau"])
    html = page(send(client, "projet.odt", files["projet.odt"]))
    assert f'href="{VERSIONS}">Annuler : ne rien publier' in html
    assert len(versions()) == 1


def test_a_long_pdf_goes_through_a_job_and_its_progress_page(world, client, app, files, monkeypatch):
    monkeypatch.setitem(app.config, "TEXT_IMPORT_INLINE_PDF_PAGES", 2)  # the test's PDF has three pages
    log_in(client, world.users["national_bureau"])
    response = send(client, "projet.pdf", files["projet.pdf"])
    assert response.status_code == 302 and "/travaux/" in response.headers["Location"]
    job = db.session.scalars(sa.select(Job).where(Job.kind == JobKind.TEXT_IMPORT)).one()
    assert job.state == JobState.SUCCEEDED  # run inline once the request committed
    progress = page(client.get(f"/travaux/{job.id}"))
    assert "Import d&#39;un texte" in progress or "Import d'un texte" in progress
    assert "Lu comme PDF : 2 parties, 4 chapitres" in progress
    preview_url = f"/texte/versions/nouvelle/travail/{job.id}"
    assert f'href="{preview_url}"' in progress
    html = page(client.get(preview_url))
    assert "Aperçu de la nouvelle version" in html and "(PDF), lu sans erreur" in html
    assert len(versions()) == 1
    published = client.post(PUBLISH, data={"upload": token_of(html), "status": "adopted_by_bn", "label": "BN"})
    assert published.status_code == 302
    assert [(v.number, v.status) for v in versions()] == [(1, VersionStatus.DRAFT), (2, VersionStatus.ADOPTED_BY_BN)]
    # Someone else's job is not theirs to publish.
    log_in(client, world.users["member_paid"])
    assert client.get(preview_url).status_code == 403


def test_the_committee_publishes_a_draft_while_the_text_is_prepared(drafting, client, files):
    log_in(client, drafting.users["committee"])
    index = page(client.get(VERSIONS))
    assert "Publier un projet de texte depuis un fichier" in index and "/statut?" not in index
    html = page(send(client, "projet.docx", files["projet.docx"]))
    options = re.findall(r'<option[^>]*value="([a-z_]+)"', html)
    assert options == ["draft"]  # a « projet de texte », nothing else
    token = token_of(html)
    refused = client.post(PUBLISH, data={"upload": token, "status": "amended"})
    assert refused.status_code == 302 and refused.headers["Location"].endswith(UPLOAD)
    assert len(versions()) == 1
    assert client.post(PUBLISH, data={"upload": token, "status": "draft"}).status_code == 302
    assert [(v.number, v.status) for v in versions()][-1] == (2, VersionStatus.DRAFT)


def test_the_committee_follows_its_large_file_on_the_job_page(drafting, client, app, files, monkeypatch):
    monkeypatch.setitem(app.config, "TEXT_IMPORT_INLINE_MAX_BYTES", 1000)
    log_in(client, drafting.users["committee"])
    response = send(client, "projet.docx", files["projet.docx"])
    assert response.status_code == 302
    assert client.get(response.headers["Location"]).status_code == 200
