"""Attachment checks: the type comes from the content, never from the name."""

from __future__ import annotations

import pytest

from convention.contributions.attachments import (
    AttachmentKind,
    AttachmentRejected,
    check,
    clean_name,
    content_disposition,
    sniff,
)
from tests.contribution_fixtures import (
    ELF_BYTES,
    EXE_BYTES,
    PDF_BYTES,
    docx_bytes,
    odt_bytes,
    plain_zip_bytes,
)

MAX = 1024 * 1024


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (PDF_BYTES, AttachmentKind.PDF),
        (odt_bytes(), AttachmentKind.ODT),
        (docx_bytes(), AttachmentKind.DOCX),
    ],
    ids=["pdf", "odt", "docx"],
)
def test_accepted_documents_are_recognised_by_content(data, kind):
    assert sniff(data) == kind
    assert check(data, MAX) == kind


@pytest.mark.parametrize(
    "data",
    [
        EXE_BYTES,
        ELF_BYTES,
        plain_zip_bytes(),
        odt_bytes(macros=True),
        odt_bytes(mimetype="application/vnd.oasis.opendocument.spreadsheet"),
        docx_bytes(macro_enabled=True),
        b"<html><script>alert(1)</script></html>",
        b"PK\x03\x04 not really a zip",
        b" %PDF-1.4 starts too late",
    ],
    ids=["exe", "elf", "zip", "odt-macros", "ods", "docm", "html", "broken-zip", "late-pdf"],
)
def test_other_content_is_refused_whatever_its_name(data):
    assert sniff(data) is None
    with pytest.raises(AttachmentRejected, match="PDF, ODT"):
        check(data, MAX)


def test_size_limit_and_empty_file():
    with pytest.raises(AttachmentRejected, match="taille autorisée"):
        check(PDF_BYTES + b"x" * 100, len(PDF_BYTES))
    with pytest.raises(AttachmentRejected, match="vide"):
        check(b"", MAX)


@pytest.mark.parametrize(
    ("filename", "kind", "expected"),
    [
        ("Contribution fédération.pdf", AttachmentKind.PDF, "Contribution fédération.pdf"),
        ("../../etc/passwd", AttachmentKind.PDF, "passwd.pdf"),
        ("C:\\Users\\x\\note.docx", AttachmentKind.DOCX, "note.docx"),
        ("virus.exe", AttachmentKind.PDF, "virus.pdf"),
        ("a\x00b\r\n.odt", AttachmentKind.ODT, "ab.odt"),
        ("", AttachmentKind.PDF, "contribution.pdf"),
    ],
)
def test_names_lose_folders_and_control_characters_and_take_the_real_extension(
    filename, kind, expected
):
    assert clean_name(filename, kind) == expected


def test_content_disposition_has_an_ascii_fallback_and_the_encoded_original():
    header = content_disposition("Contribution « fédération ».pdf", AttachmentKind.PDF)
    assert header.startswith('attachment; filename="Contribution_federation_.pdf"; ')
    assert "filename*=UTF-8''Contribution%20%C2%AB%20f%C3%A9d%C3%A9ration%20%C2%BB.pdf" in header
    # A name crafted to inject a second parameter stays inside the two values.
    name = clean_name('evil"; filename="x.html', AttachmentKind.PDF)
    assert content_disposition(name, AttachmentKind.PDF) == (
        'attachment; filename="evil_filenamex.pdf"; '
        "filename*=UTF-8''evil%22%3B%20filename%3D%22x.pdf"
    )
