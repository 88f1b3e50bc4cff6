"""DOCX and ODT that inflate beyond the limits are refused, from the ZIP directory alone (issue 9)."""

from __future__ import annotations

import io
import zipfile

import pytest

from convention.contributions import attachments
from convention.contributions.attachments import AttachmentKind, AttachmentRejected, check, inflation_problem
from tests.contribution_fixtures import docx_bytes, odt_bytes

MAX = 10 * 1024 * 1024


def _docx_with(extra: dict[str, bytes] | None = None, entries: int = 0) -> bytes:
    buffer = io.BytesIO(docx_bytes())
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
        for index in range(entries):
            archive.writestr(f"word/media/x{index}.xml", b"")
    return buffer.getvalue()


def test_a_document_that_inflates_past_the_limit_is_refused():
    bomb = _docx_with({"word/media/zeros.bin": b"\0" * (101 * 1024 * 1024)})
    assert len(bomb) < 1024 * 1024  # a small upload…
    with pytest.raises(AttachmentRejected, match="une fois décompressé"):
        check(bomb, MAX)  # …refused for what it would become


def test_too_many_entries_are_refused():
    with pytest.raises(AttachmentRejected, match="trop d'éléments"):
        check(_docx_with(entries=10_001), MAX)


def test_the_check_reads_the_directory_not_the_content(monkeypatch):
    bomb = _docx_with({"word/media/zeros.bin": b"\0" * (101 * 1024 * 1024)})

    def no_reading(*args, **kwargs):
        raise AssertionError("the content was read")

    monkeypatch.setattr(zipfile.ZipFile, "read", no_reading)
    monkeypatch.setattr(zipfile.ZipFile, "open", no_reading)
    assert "décompressé" in inflation_problem(bomb)


def test_ordinary_documents_pass():
    assert check(docx_bytes(), MAX) == AttachmentKind.DOCX
    assert check(odt_bytes(), MAX) == AttachmentKind.ODT
    assert inflation_problem(b"%PDF-1.7") is None
    assert attachments.MAX_UNCOMPRESSED_BYTES == 100 * 1024 * 1024
