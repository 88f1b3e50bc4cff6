"""Which format a file is, whether it may be opened at all, and the reader for it.

The format is read from the first bytes (``%PDF-``, a ZIP archive holding ``word/document.xml``
or an OpenDocument text ``mimetype``), never from the name alone. Before any reader opens an
archive, its table of contents is checked: too many entries, more than
:data:`MAX_UNCOMPRESSED` bytes once decompressed (declared sizes are what :mod:`zipfile` will
produce at most), a member compressed more than :data:`MAX_RATIO` times, or a nested archive
doing the same — a zip bomb — are refused without decompressing anything.
"""

from __future__ import annotations

import logging
import os
import zipfile
from collections.abc import Callable
from io import BytesIO

from convention.domain.textimport import ParsedText, TextIssue, decode_document, parse_document, parse_elements

logger = logging.getLogger(__name__)

MAX_UNCOMPRESSED = 200 * 1024 * 1024  # a DOCX with its photos stays far below
MAX_MEMBERS = 5000
MAX_RATIO = 200  # deflate does ~1000× on zeros; real XML stays under ~30×
RATIO_FLOOR = 1024 * 1024  # small members may compress well: only big ones are checked
MAX_PDF_PAGES = 2000

PDF_MAGIC = b"%PDF-"
ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP = b"PK\x05\x06"
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE: Word 97-2003, or an encrypted DOCX
ODT_MIMETYPE = "application/vnd.oasis.opendocument.text"
DOCUMENT_EXTENSIONS = {".docx": "docx", ".odt": "odt", ".pdf": "pdf"}
TEXT_EXTENSIONS = (".txt", ".md", ".markdown", ".text")
FORMAT_NAMES = {"docx": "un document Word (DOCX)", "odt": "un document LibreOffice (ODT)", "pdf": "un PDF"}

Progress = Callable[[float, str | None], None]


class Refused(Exception):
    """The file cannot be read; ``message`` says why, in French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _size(count: int) -> str:
    if count >= 1024**3:
        return f"{count / 1024**3:.1f} Go".replace(".", ",")
    if count >= 1024**2:
        return f"{count / 1024**2:.0f} Mo"
    return f"{max(1, count // 1024)} Ko"


def check_archive(data: bytes, name: str, depth: int = 0) -> zipfile.ZipFile:
    """Open the ZIP archive ``data`` after checking its entries (refused: zip bomb, corrupt, encrypted)."""
    try:
        archive = zipfile.ZipFile(BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
        raise Refused(
            f"le fichier « {name} » est abîmé : son archive ne peut pas être lue ({error}). "
            "Ouvrez-le dans votre traitement de texte, enregistrez-le de nouveau et recommencez."
        ) from None
    if len(entries) > MAX_MEMBERS:
        raise Refused(f"le fichier « {name} » contient {len(entries)} éléments : ce n'est pas un document ordinaire.")
    total = 0
    for entry in entries:
        total += entry.file_size
        if entry.flag_bits & 0x1:
            raise Refused(
                f"le document « {name} » est protégé par un mot de passe : enregistrez-le sans mot de passe "
                "et recommencez."
            )
        if entry.file_size > RATIO_FLOOR and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
            raise Refused(
                f"le fichier « {name} » est refusé : « {entry.filename} » s'y décompresse en "
                f"{_size(entry.file_size)} à partir de {_size(entry.compress_size)} (une « bombe » de compression, "
                "pas un document)."
            )
        if total > MAX_UNCOMPRESSED:
            raise Refused(
                f"le fichier « {name} » est refusé : décompressé, il dépasserait {_size(MAX_UNCOMPRESSED)} "
                f"(« {entry.filename} » : {_size(entry.file_size)}). Ce n'est pas un document ordinaire."
            )
    if depth < 2:
        for entry in entries:
            if entry.file_size and entry.compress_size >= 4 and entry.file_size <= MAX_UNCOMPRESSED:
                with archive.open(entry) as member:
                    head = member.read(4)
                if head == ZIP_MAGIC:  # an archive inside the archive: checked the same way
                    with archive.open(entry) as member:
                        check_archive(member.read(), f"{name} › {entry.filename}", depth + 1).close()
    return archive


def sniff(data: bytes, filename: str) -> str:
    """``pdf``, ``docx``, ``odt`` or ``text``, from the content; raises :class:`Refused` otherwise."""
    head = data[:1024]
    if PDF_MAGIC in head:
        return "pdf"
    if data.startswith(CFB_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data[:1_000_000] or b"EncryptedPackage" in data[:1_000_000]:
            raise Refused(
                f"le document « {filename} » est protégé par un mot de passe : enregistrez-le sans mot de passe "
                "et recommencez."
            )
        raise Refused(
            f"« {filename} » est au format Word 97-2003 (.doc) : enregistrez-le au format DOCX ou ODT "
            "(« Enregistrer sous… ») et recommencez."
        )
    if data.startswith(b"{\\rtf"):
        raise Refused(f"« {filename} » est au format RTF : enregistrez-le au format DOCX ou ODT et recommencez.")
    if data.startswith(ZIP_MAGIC) or data.startswith(EMPTY_ZIP):
        with check_archive(data, filename) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                mimetype = archive.read("mimetype")[:200].decode("ascii", "replace").strip()
                if mimetype == ODT_MIMETYPE:
                    manifest = archive.read("META-INF/manifest.xml") if "META-INF/manifest.xml" in names else b""
                    if b"encryption-data" in manifest:
                        raise Refused(
                            f"le document « {filename} » est protégé par un mot de passe : enregistrez-le sans mot "
                            "de passe et recommencez."
                        )
                    if "content.xml" not in names:
                        raise Refused(f"le document « {filename} » est abîmé : son texte (content.xml) manque.")
                    return "odt"
                kind = mimetype.rsplit(".", 1)[-1]
                raise Refused(
                    f"« {filename} » est un document OpenDocument qui n'est pas un texte ({kind}) : seul un "
                    "texte (ODT) est importé."
                )
            if "word/document.xml" in names or any(n.endswith("/document.xml") for n in names if n.startswith("word")):
                return "docx"
            if any(n.startswith("xl/") for n in names):
                raise Refused(f"« {filename} » est un classeur Excel, pas un texte.")
            if any(n.startswith("ppt/") for n in names):
                raise Refused(f"« {filename} » est une présentation PowerPoint, pas un texte.")
        raise Refused(f"« {filename} » est une archive ZIP qui n'est ni un DOCX ni un ODT.")
    return "text"


def read_document(filename: str, data: bytes, *, fmt: str = "auto", progress: Progress | None = None) -> ParsedText:
    """Read a file of any accepted format; a refusal comes back as the ParsedText's only error.

    ``fmt`` (``auto``, ``markdown`` or ``plain``) is the syntax of a text file; documents are
    always read by their content. ``progress(percent, step)`` is told how far a long PDF is.
    """
    name = os.path.basename(filename or "") or "document"
    extension = os.path.splitext(name)[1].lower()
    try:
        if not data.strip():
            return ParsedText(parts=(), errors=(TextIssue(0, "le fichier est vide."),), format=fmt)
        kind = sniff(data, name)
        claimed = DOCUMENT_EXTENSIONS.get(extension)
        if kind == "text" and claimed:
            raise Refused(
                f"« {name} » porte l'extension {extension} mais n'est pas {FORMAT_NAMES[claimed]} : le fichier est "
                "abîmé ou mal nommé."
            )
        if kind == "text":
            text, errors = decode_document(data)
            if text is None:
                return ParsedText(parts=(), errors=tuple(errors), format=fmt)
            return parse_document(text, fmt, name)
        return _read(kind, name, data, claimed, progress)
    except Refused as refusal:
        return ParsedText(parts=(), errors=(TextIssue(0, refusal.message),), format=fmt)


def _read(kind: str, name: str, data: bytes, claimed: str | None, progress: Progress | None) -> ParsedText:
    warnings: list[TextIssue] = []
    if name.lower().endswith(TEXT_EXTENSIONS) or (claimed and claimed != kind):
        warnings.append(
            TextIssue(0, f"« {name} » est en réalité {FORMAT_NAMES[kind]} : il a été lu comme tel.", "fichier")
        )
    repairs: dict[str, int] = {}
    try:
        if kind == "docx":
            from convention.domain.documents.docx import read_docx

            elements, found = read_docx(data)
        elif kind == "odt":
            from convention.domain.documents.odt import read_odt

            elements, found = read_odt(data)
        else:
            from convention.domain.documents.pdf import read_pdf

            elements, found, repairs = read_pdf(data, name, progress=progress)
    except Refused:
        raise
    except Exception as error:  # a reader's parser met something it could not read
        logger.info("document %s (%s) could not be read: %r", name, kind, error)
        raise Refused(
            f"le fichier « {name} » est abîmé et ne peut pas être lu comme {FORMAT_NAMES[kind]} "
            f"({type(error).__name__}). Ouvrez-le, enregistrez-le de nouveau et recommencez."
        ) from None
    warnings.extend(found)
    if not any(e.text.strip() for e in elements if e.kind != "title"):
        raise Refused(f"« {name} » ne contient aucun texte à importer.")
    if not any(e.kind == "heading" for e in elements):
        how = (
            "aucun titre n'est plus grand ou plus gras que le texte"
            if kind == "pdf"
            else "aucun paragraphe n'a un style de titre (« Titre 1 », « Titre 2 »…)"
        )
        warnings.append(
            TextIssue(
                0, f"{how} : tout le texte forme un seul chapitre. Vérifiez la structure avant de publier.", "document"
            )  # fmt: skip
        )
    return parse_elements(elements, kind, warnings=warnings, repairs=repairs)
