"""Member files as federations produce them (issue 9).

French Excel's CSV (semicolons, Windows-1252 or UTF-8 with a BOM), UTF-16 « texte Unicode »
and XLSX workbooks are read, the encoding named in the report; an unknown section is an error
listing the close names unless sections are to be created; bidirectional controls are removed
from names, a quoted name over two lines keeps its break as a space, and a cell that looks
like a formula is stored as text and neutralised in every export.
"""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
import sqlalchemy as sa

from convention.core.exports import csv_bytes, xlsx_bytes
from convention.domain.memberfile import CP1252, UTF8_BOM, UTF16, XLSX, parse_member_file
from convention.members.files import read_member_file
from convention.members.importer import import_members
from convention.members.models import Member, Section
from tests.integration.test_members_import import count, federations, runner, write  # noqa: F401

FRENCH_HEADER = "Numéro adhérent;Prénom;Nom;Courriel;Section;Fédération;Cotisation jusqu'au"
FRENCH_ROWS = [
    "2001;Hélène;Lefèvre;helene@exemple.fr;Grenoble;Isère;31/12/2026",
    "2002;François;Côté;francois@exemple.fr;Grenoble;38;",
]


def members(database) -> dict[str, Member]:
    database.session.expire_all()
    return {m.membership_number: m for m in database.session.scalars(sa.select(Member))}


@pytest.mark.parametrize(
    ("encode", "label"),
    [
        (lambda text: text.encode("cp1252"), CP1252),
        (lambda text: text.encode("utf-8-sig"), UTF8_BOM),
        (lambda text: text.replace(";", "\t").encode("utf-16"), UTF16),  # Excel « texte Unicode »
        (lambda text: text.encode("utf-16-le"), UTF16),  # no BOM
    ],
    ids=["excel-cp1252", "utf8-bom", "utf16-tabs", "utf16le-no-bom"],
)
def test_french_excel_files_are_read_and_the_encoding_said(database, federations, runner, tmp_path, encode, label):  # noqa: F811
    data = encode("\r\n".join([FRENCH_HEADER, *FRENCH_ROWS]) + "\r\n")
    result = runner.invoke(args=["members", "import", write(tmp_path, data)])
    assert result.exit_code == 0, result.output
    assert f"Fichier lu comme : {label}." in result.output
    found = members(database)
    assert (found["2001"].first_name, found["2001"].last_name) == ("Hélène", "Lefèvre")
    assert found["2002"].last_name == "Côté" and found["2001"].dues_paid_until == dt.date(2026, 12, 31)


def _workbook(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_an_xlsx_workbook_is_read(database, federations, runner, tmp_path):  # noqa: F811
    data = _workbook(
        [
            ["numero_adherent", "prenom", "nom", "email", "section", "federation", "cotisation_jusqu_au"],
            [3001, "Inès", "Moreau", "ines@exemple.fr", "Grenoble", 38, dt.datetime(2027, 1, 31)],
            [3002, "Paul", "Roux", "paul@exemple.fr", "Grenoble", "Isère", None],
        ]
    )
    result = runner.invoke(args=["members", "import", write(tmp_path, data, "adherents.xlsx")])
    assert result.exit_code == 0, result.output
    assert f"Fichier lu comme : {XLSX}." in result.output
    found = members(database)
    assert found["3001"].first_name == "Inès" and found["3001"].dues_paid_until == dt.date(2027, 1, 31)
    assert "3002" in found  # a number cell is « 3002 », not « 3002.0 »


def test_an_unknown_section_lists_close_names_unless_asked_to_create(database, federations, runner, tmp_path):  # noqa: F811
    header = "numero_adherent;prenom;nom;email;section;federation"
    path = write(tmp_path, [header, "4001;Ana;Martin;ana@exemple.fr;Grenobel;38"])
    result = runner.invoke(args=["members", "import", path])
    assert result.exit_code == 1
    assert "ligne 2 : section inconnue « Grenobel »" in result.output
    assert "« Grenoble »" in result.output
    assert count(database, Member) == 0 and count(database, Section) == 1
    result = runner.invoke(args=["members", "import", "--creer-sections", path])
    assert result.exit_code == 0 and "1 section créée : Grenobel" in result.output


def test_names_lose_bidi_controls_and_keep_a_quoted_line_break_as_a_space(database, federations):  # noqa: F811
    text = (
        "numero_adherent;prenom;nom;email;section;federation\n"
        '5001;"Marie\nHélène";"\u202eecilA\u202c Durand";marie@exemple.fr;Grenoble;38\n'
        "5002;Jean;Petit;pas-une-adresse;Grenoble;38\n"
    )
    parsed = parse_member_file(text.encode())
    assert [(r.first_name, r.last_name) for r in parsed.rows] == [("Marie Hélène", "ecilA Durand")]
    assert [issue.line for issue in parsed.errors] == [4]  # physical line of the second record
    report = import_members(None, read_member_file(
        "numero_adherent;prenom;nom;email;section;federation\n"
        '5001;"Marie\nHélène";"\u2066Alice\u2069";marie@exemple.fr;Grenoble;38\n'.encode()
    ))  # fmt: skip
    assert report.ok and report.created == 1
    assert members(database)["5001"].last_name == "Alice"


def test_formula_cells_are_stored_as_text_and_neutralised_in_exports(database, federations):  # noqa: F811
    formula = '=HYPERLINK("http://evil.example","Cliquez")'
    text = f'numero_adherent;prenom;nom;email;section;federation\n6001;"{formula.replace(chr(34), chr(34) * 2)}";+33612;m@exemple.fr;Grenoble;38\n'
    report = import_members(None, read_member_file(text.encode()))
    assert report.ok, report.errors
    member = members(database)["6001"]
    assert member.first_name == formula and member.last_name == "+33612"  # kept as typed, as text
    exported = csv_bytes(["prenom", "nom"], [[member.first_name, member.last_name]]).decode("utf-8-sig")
    assert exported.splitlines()[1] == '"\'=HYPERLINK(""http://evil.example"",""Cliquez"")";\'+33612'
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(["prenom", "nom"], [[member.first_name, -2]])))
    cell = workbook.active["A2"]
    assert cell.data_type == "s" and cell.value == "'" + formula
    assert workbook.active["B2"].value == -2  # numbers stay numbers
