"""Real documents in: DOCX, ODT, PDF and plain text read into the text's structure.

Pure Python (python-docx, odfpy, pdfplumber; no Flask, no database). One entry point,
:func:`import_document`, used by ``flask texts import``, the web upload of a new version
and the set-up wizard: it picks the format by the file's content (not only its name),
refuses what cannot be a text (empty, binary, encrypted, corrupt, a zip bomb) with a French
message, and returns a :class:`~convention.domain.textimport.ParsedText` with its report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the readers import the parser, which imports ``repairs`` from this package
    from convention.domain.textimport import ParsedText


def import_document(filename: str, data: bytes, *, fmt: str = "auto", progress=None) -> ParsedText:
    """Read ``data`` (the file ``filename``) into parts, chapters and blocks, with the importer's report.

    See :func:`convention.domain.documents.reader.read_document`.
    """
    from convention.domain.documents.reader import read_document

    return read_document(filename, data, fmt=fmt, progress=progress)


__all__ = ["import_document"]
