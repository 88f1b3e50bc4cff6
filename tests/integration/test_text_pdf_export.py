"""The text exported to PDF by a job: the file really holds the text, and one export serves everyone.

The seeded convention's text is rendered once for the module (WeasyPrint takes a few seconds);
``pdftotext`` (poppler-utils) reads the PDF back.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from convention.core.audit import AuditEntry
from convention.core.permissions import PermissionDenied
from convention.extensions import db
from convention.jobs import operations as job_operations
from convention.jobs import runner
from convention.jobs.models import Job, JobFileRole, JobKind, JobState
from convention.members.models import User
from convention.texts import export
from convention.texts.models import Block, Chapter, Part, Proposal, Text, TextVersion

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"  # git-ignored; kept by CI

MILITANT = "demo.militant@exemple.fr"
BUREAU = "demo.bn@exemple.fr"


def pdftotext(data: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:  # pragma: no cover - poppler-utils is installed by CI
        pytest.fail("pdftotext (poppler-utils) is needed to read the exported PDF back")
    source = tmp_path / "texte.pdf"
    source.write_bytes(data)
    result = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(source), "-"], capture_output=True, check=True, timeout=60
    )
    return result.stdout.decode("utf-8")


def squeeze(text: str) -> str:
    """One space between words: the layout wraps and justifies lines."""
    return " ".join(text.replace("\u00ad", "").split())


def user(email: str) -> User:
    return db.session.scalars(sa.select(User).where(User.email == email)).one()


def current_version() -> TextVersion:
    text = db.session.scalars(sa.select(Text).order_by(Text.id)).first()
    return text.current_version


def export_jobs() -> list[Job]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Job).where(Job.kind == JobKind.TEXT_PDF).order_by(Job.id)))


@pytest.fixture(scope="module")
def exported(seeded, app, tmp_path_factory):
    """The seeded text's current version exported once by a member (the task runs after the commit)."""
    with app.app_context():
        version = current_version()
        job, started = export.start_text_pdf_export(user(MILITANT), version)
        db.session.commit()
        job_id, version_id = job.id, version.id
        db.session.remove()
    yield {"job_id": job_id, "version_id": version_id, "started": started}
    with app.app_context():
        db.session.execute(sa.delete(Job).where(Job.kind == JobKind.TEXT_PDF))
        db.session.commit()


def test_the_job_succeeds_and_stores_a_pdf_named_after_the_version(exported, app_ctx):
    job = db.session.get(Job, exported["job_id"])
    assert exported["started"] is True
    assert job.state == JobState.SUCCEEDED, (job.error, job.error_details)
    assert job.progress == 100
    output = job_operations.file_of(job.id, JobFileRole.OUTPUT)
    version = db.session.get(TextVersion, exported["version_id"])
    assert output.filename == f"{version.text.slug}-version-{version.number}.pdf"
    assert output.mimetype == "application/pdf"
    assert output.data.startswith(b"%PDF-") and output.size == len(output.data)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / output.filename).write_bytes(output.data)  # to look at it
    assert job.result["pages"] > 3
    proposals = db.session.scalar(
        sa.select(sa.func.count()).select_from(Proposal).where(Proposal.version_id == version.id)
    )
    assert job.result["lines"][0].startswith(f"« {version.text.title} », version {version.number} : ")
    assert f"{proposals} propositions." in job.result["lines"][0]
    assert job.result["links"] == [{"url": f"/texte/?version={version.number}", "label": "Revenir au texte"}]
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == "job.start"))
        >= 1
    )


def test_the_pdf_holds_the_title_the_chapters_the_proposals_and_page_numbers(exported, app_ctx, tmp_path):
    job = db.session.get(Job, exported["job_id"])
    pdf = job_operations.file_of(job.id, JobFileRole.OUTPUT).data
    content = pdftotext(pdf, tmp_path)
    flat = squeeze(content)
    version = db.session.get(TextVersion, exported["version_id"])
    assert squeeze(version.text.title) in flat
    assert f"Version {version.number}" in flat

    # A chapter title, in the table of contents and as a heading.
    chapter = db.session.scalars(
        sa.select(Chapter).join(Part).where(Chapter.version_id == version.id).order_by(Part.position, Chapter.position)
    ).first()
    assert flat.count(squeeze(chapter.title)) >= 2

    # A proposal: its label with its reference, and its words.
    proposal = db.session.scalars(
        sa.select(Proposal).where(Proposal.version_id == version.id).order_by(Proposal.id)
    ).first()
    assert f"PROPOSITION {proposal.reference}" in flat  # the label is in capitals
    words = squeeze(proposal.block.text).split()
    assert " ".join(words[:6]) in flat

    # Line numbers in the margin: the block's first line, then the last block's lines.
    last_block = db.session.scalars(
        sa.select(Block).where(Block.version_id == version.id).order_by(Block.line_end.desc())
    ).first()
    assert re.search(rf"\b{last_block.line_start}\b", content)

    # « Page x / y » on every page; pdftotext separates pages with a form feed.
    pages = job.result["pages"]
    assert content.count("\f") == pages
    assert f"Page 1 / {pages}" in content and f"Page {pages} / {pages}" in content


def test_a_second_request_reuses_the_finished_export(exported, app_ctx):
    version = db.session.get(TextVersion, exported["version_id"])
    job, started = export.start_text_pdf_export(user(BUREAU), version)
    db.session.commit()
    assert started is False and job.id == exported["job_id"]
    assert [j.id for j in export_jobs()] == [exported["job_id"]]


def test_an_export_under_way_is_reused_too_but_a_failed_one_is_not(exported, app_ctx, monkeypatch):
    version = db.session.get(TextVersion, exported["version_id"])
    finished = db.session.get(Job, exported["job_id"])
    # Pretend the finished export failed: a new request starts another one (here kept queued).
    monkeypatch.setattr(job_operations, "dispatch", lambda job_id: None)
    finished.state = JobState.FAILED
    db.session.commit()
    try:
        job, started = export.start_text_pdf_export(user(BUREAU), version)
        db.session.commit()
        assert started is True and job.state == JobState.QUEUED and job.created_by_id == user(BUREAU).id
        again, started_again = export.start_text_pdf_export(user(MILITANT), version)
        assert started_again is False and again.id == job.id
        db.session.delete(job)
    finally:
        finished = db.session.get(Job, exported["job_id"])
        finished.state = JobState.SUCCEEDED
        db.session.commit()


def test_an_anonymous_actor_cannot_start_an_export(exported, app_ctx):
    from flask_login import AnonymousUserMixin

    with pytest.raises(PermissionDenied):
        export.start_text_pdf_export(AnonymousUserMixin(), current_version())


def test_a_version_that_no_longer_exists_fails_the_job_with_a_plain_message(exported, app_ctx, monkeypatch):
    monkeypatch.setattr(job_operations, "dispatch", lambda job_id: None)
    job = job_operations.start_job(user(BUREAU), JobKind.TEXT_PDF, {"version_id": 987654})
    db.session.commit()
    assert runner.run(job.id) == "failed"
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.state == JobState.FAILED and "n'existe plus" in job.error
    db.session.delete(job)
    db.session.commit()


def test_every_version_of_the_text_has_its_own_export_key(exported, app_ctx):
    """The reuse is per version: another version's export is not this one's."""
    version = db.session.get(TextVersion, exported["version_id"])
    assert export.find_export(version).id == exported["job_id"]
    other = TextVersion(text_id=version.text_id, number=version.number + 100)
    db.session.add(other)
    db.session.flush()
    assert export.find_export(other) is None
    db.session.rollback()
