"""Spreadsheet exports (CSV for French Excel, XLSX): every cell neutralised against formulas.

A value such as ``=HYPERLINK("http://…")`` typed in a form or imported from a member file is
stored as text; a spreadsheet that opens an export would run it. Every export goes through
these two writers, which prefix such cells with an apostrophe (OWASP « CSV injection »).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from convention.domain.cleaning import neutralise_formula


def _cells(row: Sequence[Any]) -> list[Any]:
    return [neutralise_formula("" if value is None else value) for value in row]


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A CSV that French Excel opens as it is: ``;`` separators, UTF-8 with a BOM, CRLF."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(_cells(header))
    for row in rows:
        writer.writerow(_cells(row))
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str = "Export") -> bytes:
    """An XLSX workbook of one sheet; text cells never become formulas."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "Export")
    sheet.append(_cells(header))
    for row in rows:
        sheet.append(_cells(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
