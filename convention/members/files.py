"""The member file as federations send it: CSV in any of Excel's encodings, or an XLSX workbook.

The CSV is decoded and checked by :mod:`convention.domain.memberfile`; an XLSX is read here
with openpyxl (its ZIP directory checked first, like attachments) and its first sheet checked
by the same rules, line by line.
"""

from __future__ import annotations

import datetime as dt
import io
import warnings
import zipfile
from collections.abc import Iterator

from convention.contributions.attachments import inflation_problem
from convention.domain.memberfile import XLSX, MemberFile, check_member_records, parse_member_file
from convention.domain.textimport import TextIssue

ZIP_MAGIC = b"PK\x03\x04"
# A member file of 100,000 lines is a few megabytes of XML: far below these.
MAX_XLSX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_XLSX_ENTRIES = 1000


def is_xlsx(data: bytes) -> bool:
    """A ZIP that holds a workbook (``xl/workbook.xml``)."""
    if not data.startswith(ZIP_MAGIC):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def cell_text(value: object) -> str:
    """A cell as the CSV export of the same sheet would write it."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a number typed as a number: « 1234 », not « 1234.0 »
    return str(value)


def _xlsx_records(data: bytes) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it ignores
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            values = [cell_text(value) for value in row]
            while values and values[-1] == "":
                values.pop()  # trailing empty cells (formatting past the last column)
            yield number, values
    finally:
        workbook.close()


def read_xlsx(data: bytes) -> MemberFile:
    """Check the first sheet of an XLSX member file, line by line like a CSV."""
    problem = inflation_problem(data, max_uncompressed=MAX_XLSX_UNCOMPRESSED, max_entries=MAX_XLSX_ENTRIES)
    if problem:
        return MemberFile(rows=(), errors=(TextIssue(0, problem),), encoding=XLSX)
    try:
        records = list(_xlsx_records(data))
    except Exception as error:  # noqa: BLE001 (openpyxl raises many kinds on a broken file)
        return MemberFile(
            rows=(),
            errors=(TextIssue(0, f"le classeur XLSX ne peut pas être lu ({type(error).__name__})."),),
            encoding=XLSX,
        )
    width = max((len(values) for _n, values in records[:1]), default=0)
    padded = ((n, values + [""] * (width - len(values))) for n, values in records)
    return check_member_records(padded, delimiter="", encoding=XLSX)


def read_member_file(data: bytes) -> MemberFile:
    """The checked member file, whatever its format (CSV in any encoding, or XLSX)."""
    if is_xlsx(data):
        return read_xlsx(data)
    if data.startswith(ZIP_MAGIC):
        return MemberFile(
            rows=(),
            errors=(
                TextIssue(
                    0,
                    "le fichier est binaire et n'est pas un classeur XLSX : enregistrez-le en CSV "
                    "ou en XLSX (Excel, LibreOffice).",
                ),
            ),
        )
    return parse_member_file(data)
