"""Attachments of contributions: checked by content, stored outside the static files.

The type is read from the bytes, never from the name or the browser's Content-Type:
- PDF: the file starts with ``%PDF-``;
- ODT: a ZIP whose ``mimetype`` entry is ``application/vnd.oasis.opendocument.text``
  (and that carries no Basic or script macros);
- DOCX: a ZIP with ``[Content_Types].xml`` declaring a Word document (not a macro-enabled
  one) and ``word/document.xml``.
Anything else (an executable renamed ``.pdf``, a spreadsheet, a ``.docm``) is refused.

Files are written under ``UPLOAD_FOLDER/contributions/`` with a random name; the name the
member gave is kept apart (cleaned, with the extension of the detected type) for download.
"""

from __future__ import annotations

import enum
import io
import logging
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from flask import current_app
from werkzeug.utils import secure_filename

from convention.domain.errors import DomainError

logger = logging.getLogger(__name__)


class AttachmentKind(enum.StrEnum):
    PDF = "pdf"
    ODT = "odt"
    DOCX = "docx"


MIMETYPES = {
    AttachmentKind.PDF: "application/pdf",
    AttachmentKind.ODT: "application/vnd.oasis.opendocument.text",
    AttachmentKind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
KIND_LABELS = {AttachmentKind.PDF: "PDF", AttachmentKind.ODT: "ODT", AttachmentKind.DOCX: "DOCX"}

_DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_ZIP_MAGIC = b"PK\x03\x04"
_MAX_MANIFEST_BYTES = 1024 * 1024
# A DOCX or ODT is a ZIP: one of a few megabytes can inflate to gigabytes (a "zip bomb") for
# whoever opens it. Refused beyond these totals, read from the archive's directory only.
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
MAX_ZIP_ENTRIES = 10_000
_STORAGE_NAME = re.compile(r"^[0-9a-f]{32}$")


class AttachmentRejected(DomainError):
    """The uploaded file is not an accepted document, or is too large."""


@dataclass(frozen=True)
class Upload:
    """A file received from a form: the name the browser sent and its bytes."""

    filename: str
    data: bytes


def sniff(data: bytes) -> AttachmentKind | None:
    """The document type of ``data`` read from its content, or None if it is not accepted."""
    if data.startswith(b"%PDF-"):
        return AttachmentKind.PDF
    if not data.startswith(_ZIP_MAGIC):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = {info.filename: info for info in archive.infolist()}
            mimetype = infos.get("mimetype")
            if mimetype is not None and mimetype.file_size <= 200:
                value = archive.read(mimetype).strip()
                if value == MIMETYPES[AttachmentKind.ODT].encode():
                    if any(name.startswith(("Basic/", "Scripts/")) for name in infos):
                        return None  # a document with macros
                    return AttachmentKind.ODT
                return None
            types = infos.get("[Content_Types].xml")
            if (
                types is not None
                and "word/document.xml" in infos
                and types.file_size <= _MAX_MANIFEST_BYTES
            ):
                manifest = archive.read(types).decode("utf-8", "replace")
                if _DOCX_MAIN in manifest and "macroEnabled" not in manifest:
                    return AttachmentKind.DOCX
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, RuntimeError, ValueError):
        return None
    return None


def inflation_problem(
    data: bytes,
    *,
    max_uncompressed: int = MAX_UNCOMPRESSED_BYTES,
    max_entries: int = MAX_ZIP_ENTRIES,
) -> str | None:
    """Why the ZIP in ``data`` would inflate too much (French), or None; reads the directory only."""
    if not data.startswith(_ZIP_MAGIC):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError, ValueError):
        return None  # not a readable archive: the type check refuses it
    if len(infos) > max_entries:
        return (
            f"Le document contient trop d'éléments ({len(infos)} ; {max_entries} au plus) : "
            "enregistrez-le de nouveau ou envoyez-le en PDF."
        )
    total = sum(info.file_size for info in infos)
    if total > max_uncompressed:
        return (
            f"Le document occuperait {format_size(total)} une fois décompressé "
            f"({format_size(max_uncompressed)} au plus) : enregistrez-le de nouveau ou "
            "envoyez-le en PDF."
        )
    return None


def check(data: bytes, max_bytes: int) -> AttachmentKind:
    """The type of an uploaded file; raise AttachmentRejected (French message) if refused."""
    if not data:
        raise AttachmentRejected("Le fichier joint est vide.")
    if len(data) > max_bytes:
        raise AttachmentRejected(
            f"Le fichier joint dépasse la taille autorisée ({format_size(max_bytes)})."
        )
    problem = inflation_problem(data)
    if problem:
        raise AttachmentRejected(problem)
    kind = sniff(data)
    if kind is None:
        raise AttachmentRejected(
            "Le fichier joint doit être un document PDF, ODT (LibreOffice) ou DOCX (Word) ; "
            "son contenu ne correspond à aucun de ces formats."
        )
    return kind


def format_size(size: int) -> str:
    """« 10 Mo », « 350 Ko »."""
    if size >= 1024 * 1024:
        value = size / (1024 * 1024)
        return (
            f"{value:.0f} Mo"
            if value >= 10 or value.is_integer()
            else f"{value:.1f} Mo".replace(".", ",")
        )
    return f"{max(1, round(size / 1024))} Ko"


def clean_name(filename: str, kind: AttachmentKind) -> str:
    """The name to show and offer for download: no folders, no control characters, and the
    extension of the type found in the content (whatever the member named it)."""
    base = re.split(r"[\\/]", filename or "")[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = re.sub(r"\s+", " ", stem).strip(" .") or "contribution"
    return f"{stem[:150]}.{kind.value}"


def content_disposition(name: str, kind: AttachmentKind) -> str:
    """``attachment`` with an ASCII ``filename`` (secure_filename) and the UTF-8 original."""
    fallback = secure_filename(name) or f"contribution.{kind.value}"
    if not fallback.lower().endswith(f".{kind.value}"):
        fallback = f"{fallback}.{kind.value}"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def folder() -> Path:
    path = Path(current_app.config["UPLOAD_FOLDER"]) / "contributions"
    path.mkdir(parents=True, exist_ok=True)
    return path


def path_of(storage_name: str) -> Path:
    """The file of a stored attachment (the name is ours: 32 hex digits)."""
    if not _STORAGE_NAME.match(storage_name or ""):
        raise ValueError("invalid storage name")
    return folder() / storage_name


def store(data: bytes) -> str:
    """Write ``data`` under a new random name and return that name."""
    name = secrets.token_hex(16)
    with open(folder() / name, "xb") as handle:
        handle.write(data)
    return name


def discard(storage_name: str | None) -> None:
    """Delete a stored file (after the commit that stopped referencing it)."""
    if not storage_name:
        return
    try:
        path_of(storage_name).unlink(missing_ok=True)
    except (OSError, ValueError):
        logger.warning("could not delete attachment %s", storage_name)
