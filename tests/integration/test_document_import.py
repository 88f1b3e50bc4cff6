"""Real documents into versions: ``flask texts import`` for DOCX, ODT and PDF, the publication by the
Bureau national and by the committee while the text is drafted, and the job that reads a large file."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from convention.core.audit import AuditEntry
from convention.core.permissions import PermissionDenied
from convention.domain.phases import PhaseKind
from convention.extensions import db
from convention.jobs.models import Job, JobState
from convention.texts.models import Block, Text, TextVersion, VersionStatus
from convention.versions import operations
from tests.amendment_fixtures import build_world, table_counts
from tests.unit.test_document_import import (
    TITLE,
    build_docx,
    build_odt,
    build_pdf,
    encrypted_docx,
    expected_shape,
    expected_words,
)


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return {"projet.docx": build_docx(), "projet.odt": build_odt(), "projet.pdf": build_pdf()}


@pytest.fixture()
def convention(database):
    from convention.conventions.models import Convention

    convention = Convention(slug="securite", title="Sécurité et prévention", short_title="Sécurité")
    database.session.add(convention)
    database.session.commit()
    return convention


def written(version: TextVersion):
    return [
        (p.number, p.title, [(c.number, c.title, [b.kind.value for b in c.blocks]) for c in p.chapters])
        for p in version.parts
    ]


def words_of(version: TextVersion) -> list[str]:
    return [w for p in version.parts for c in p.chapters for b in c.blocks for w in b.text.split()]


@pytest.mark.parametrize("name", ["projet.docx", "projet.odt", "projet.pdf"])
def test_the_command_imports_each_format_with_its_report(convention, app, tmp_path: Path, files, name):
    path = tmp_path / name
    path.write_bytes(files[name])
    result = app.test_cli_runner().invoke(args=["texts", "import", str(path), "--convention", "securite"])
    assert result.exit_code == 0, result.output
    assert "Version 1" in result.output and "5 proposition(s)" in result.output
    assert "2 parties, 4 chapitres, 9 paragraphes, 3 éléments de liste, 5 propositions" in result.output
    assert f"Titre du document : « {TITLE} »" in result.output
    db.session.expire_all()
    text = db.session.scalar(sa.select(Text))
    assert text.title == TITLE  # the text is created with the document's own title
    version = text.current_version
    assert version.source == name and written(version) == expected_shape()
    assert words_of(version) == expected_words()


def test_the_command_refuses_an_encrypted_document_and_writes_nothing(convention, app, tmp_path: Path):
    path = tmp_path / "secret.docx"
    path.write_bytes(encrypted_docx())
    result = app.test_cli_runner().invoke(args=["texts", "import", str(path)])
    assert result.exit_code == 1
    assert "protégé par un mot de passe" in result.output and "rien n'a été importé" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TextVersion)) == 0


@pytest.fixture()
def drafting(database, app):
    """The convention while its text is drafted (contributions phase), with a first version."""
    return build_world(PhaseKind.CONTRIBUTIONS)


def test_the_bureau_publishes_a_docx_as_the_next_version(drafting, files):
    bureau = drafting.users["national_bureau"]
    version = operations.publish_text_file(
        bureau, drafting.convention, files["projet.docx"], "projet.docx", status=VersionStatus.AMENDED, base_number=1
    )
    db.session.commit()
    assert version.number == 2 and version.status == VersionStatus.AMENDED and len(version.checksum) == 64
    assert written(version) == expected_shape()
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "text_version.published_from_file")
    ).one()
    assert entry.data["format"] == "docx" and entry.data["filename"] == "projet.docx"


def test_the_committee_publishes_a_draft_while_the_text_is_prepared(drafting, files):
    committee = drafting.users["committee"]
    assert operations.allowed_statuses(committee) == [VersionStatus.DRAFT]
    with pytest.raises(PermissionDenied, match="projet de texte"):
        operations.publish_text_file(committee, drafting.convention, files["projet.odt"], "projet.odt",
                                     status=VersionStatus.AMENDED, base_number=1)  # fmt: skip
    version = operations.publish_text_file(
        committee, drafting.convention, files["projet.odt"], "projet.odt", status=VersionStatus.DRAFT, base_number=1
    )
    db.session.commit()
    assert (version.number, version.status) == (2, VersionStatus.DRAFT)
    # Once the amendments open, the text is the Bureau national's alone.
    drafting.convention.phase_override = PhaseKind.AMENDMENTS
    db.session.commit()
    assert not operations.can_import_text(committee, drafting.convention, operations.dt.date.today())
    with pytest.raises(PermissionDenied, match="avant la phase des amendements"):
        operations.publish_text_file(committee, drafting.convention, files["projet.pdf"], "projet.pdf",
                                     status=VersionStatus.DRAFT, base_number=2)  # fmt: skip
    for who in ("member_paid", "pilot_this_group", "section_secretary"):
        assert not operations.can_import_text(drafting.users[who], drafting.convention, operations.dt.date.today())


def test_a_large_file_is_read_by_a_job_that_writes_nothing_but_its_result(drafting, files):
    bureau = drafting.users["national_bureau"]
    before = {k: v for k, v in table_counts().items() if not k.startswith("job")}
    job = operations.start_text_import(bureau, drafting.convention, "projet.pdf", files["projet.pdf"])
    db.session.commit()  # the job runs once the unit of work commits (inline in the tests)
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.state == JobState.SUCCEEDED and job.progress == 100
    assert job.result["lines"][0].startswith("Lu comme PDF : 2 parties, 4 chapitres")
    assert job.result["links"][0]["url"] == f"/texte/versions/nouvelle/travail/{job.id}"
    assert len(job.result["checksum"]) == 64 and job.result["document"]["format"] == "pdf"
    after = {k: v for k, v in table_counts().items() if not k.startswith("job")}
    assert {k: v for k, v in after.items() if k != "audit_entry"} == {
        k: v for k, v in before.items() if k != "audit_entry"
    }
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Block)) == before["text_block"]


def test_a_refused_large_file_fails_its_job_with_the_reason(drafting):
    job = operations.start_text_import(drafting.users["national_bureau"], drafting.convention, "secret.docx",
                                       encrypted_docx())  # fmt: skip
    db.session.commit()
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.state == JobState.FAILED
    assert "1 problème(s), rien n'a été publié" in job.error
    assert "protégé par un mot de passe" in job.error_details[0]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TextVersion)) == 1
