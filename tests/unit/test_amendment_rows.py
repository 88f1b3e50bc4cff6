"""The rows of a spreadsheet of amendments, checked without a database (``convention.domain.amendment_rows``)."""

from __future__ import annotations

import datetime as dt

import pytest

from convention.domain.amendment_rows import (
    RowKind,
    RowProblem,
    check_header,
    locate_words,
    parse_csv,
    parse_kind,
    parse_meeting_date,
    parse_text_lines,
    planned_edit,
    split_unit,
    strip_quotes,
)
from convention.domain.amendments import compute_change
from convention.domain.textstructure import line_spans, normalize_space

TODAY = dt.date(2026, 12, 6)
HEADER = "Unité;Ligne;Type;Mots visés;Nouveaux mots;Exposé des motifs;Date de la réunion"


def csv(*rows: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode(encoding)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("12", (12, 12)),
        ("12.0", (12, 12)),
        ("l. 12", (12, 12)),
        ("Ligne 7", (7, 7)),
        ("12-14", (12, 14)),
        ("12 à 14", (12, 14)),
        ("14-12", None),
        ("0", None),
        ("douze", None),
        ("", None),
    ],
)
def test_line_references(value, expected):
    assert parse_text_lines(value) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        ("modifier", RowKind.MODIFY),
        ("Remplacer", RowKind.MODIFY),
        ("MODIFICATION", RowKind.MODIFY),
        ("supprimer", RowKind.DELETE),
        ("Suppression de l'alinéa", RowKind.DELETE),
        ("Insérer", RowKind.INSERT),
        ("inserer", RowKind.INSERT),
        ("ajout", RowKind.INSERT),
        ("voter", None),
        ("", None),
    ],
)
def test_kinds(value, expected):
    assert parse_kind(value) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        ("28/11/2026", dt.date(2026, 11, 28)),
        ("2026-11-28", dt.date(2026, 11, 28)),
        ("2026-11-28 00:00:00", dt.date(2026, 11, 28)),
        ("28.11.2026", dt.date(2026, 11, 28)),
        ("28-11-2026", dt.date(2026, 11, 28)),
        ("46354", dt.date(2026, 11, 28)),  # an Excel day number
        ("31/02/2026", None),
        ("hier", None),
    ],
)
def test_meeting_dates(value, expected):
    assert parse_meeting_date(value) == expected


def test_units_and_quotes():
    assert split_unit("Isère / Grenoble") == ("Isère", "Grenoble")
    assert split_unit("38") == ("38", "")
    assert strip_quotes("« dès l'école »") == "dès l'école"
    assert strip_quotes('"les familles"') == "les familles"
    assert strip_quotes("les familles") == "les familles"


@pytest.mark.parametrize(
    "header, missing",
    [
        (HEADER, ""),
        ("unite;LIGNE;type;mots_vises;nouveaux_mots;expose_des_motifs;date_reunion", ""),
        ("Fédération;Section;Alinéa;Type;Mots visés;Nouveaux mots;Motifs;Date", ""),
        ("Unité;Type;Mots visés;Nouveaux mots;Exposé des motifs;Date de la réunion", "Ligne (ou Alinéa)"),
        ("Ligne;Type;Mots visés;Nouveaux mots;Exposé des motifs;Date de la réunion", "Unité"),
        ("Unité;Ligne;Type;Mots visés;Nouveaux mots;Date de la réunion", "Exposé des motifs"),
    ],
)
def test_headers_are_read_without_case_or_accents(header, missing):
    _columns, problems = check_header(header.split(";"))
    if missing:
        assert problems == [f"colonne(s) manquante(s) : {missing}."]
    else:
        assert problems == []


def test_unknown_and_duplicated_columns_are_named():
    _columns, problems = check_header([*HEADER.split(";"), "Couleur", "Ligne"])
    assert problems[0].startswith("colonne(s) inconnue(s) : « Couleur »")
    assert problems[1] == "colonne(s) en double : Ligne."


def test_good_rows_in_windows_1252():
    data = csv(
        "Isère / Grenoble;12;modifier;« dès l'école »;dès la crèche;La petite enfance.;28/11/2026",
        "38;13;supprimer;;;Inutile.;2026-11-27",
        'Rhône / Lyon;14;insérer;;"Un nouvel alinéa.\n\nEt un second.";Il manque.;27/11/2026',
        "38;13;supprimer;dès;;Après un alinéa sur trois lignes, la ligne 7 du fichier.;2026-11-27",
        encoding="cp1252",
    )
    sheet = parse_csv(data, today=TODAY)
    assert sheet.errors == ()
    assert sheet.encoding == "Windows-1252 (Excel)"
    first, second, third, fourth = sheet.rows
    assert (first.line, first.federation, first.section, first.first_line) == (2, "Isère", "Grenoble", 12)
    assert (first.kind, first.words, first.new_words) == (RowKind.MODIFY, "dès l'école", "dès la crèche")
    assert first.adopted_on == dt.date(2026, 11, 28)
    assert (second.unit, second.kind, second.words) == ("38", RowKind.DELETE, "")
    assert third.new_words == "Un nouvel alinéa.\n\nEt un second."
    assert (third.line, fourth.line) == (4, 7)  # a row's number is the file line where it starts


def test_every_bad_row_is_reported_with_its_number():
    data = csv(
        "Isère / Grenoble;12;modifier;dès l'école;dès la crèche;Motifs.;28/11/2026",
        ";12;modifier;a;b;Motifs.;28/11/2026",  # 3: no unit
        "38;douze;modifier;a;b;Motifs.;28/11/2026",  # 4: bad line
        "38;12;voter;a;b;Motifs.;28/11/2026",  # 5: unknown kind
        "38;12;modifier;a;;Motifs.;28/11/2026",  # 6: no new words
        "38;12;supprimer;a;b;Motifs.;28/11/2026",  # 7: a deletion with new words
        "38;12;modifier;a;b;;28/11/2026",  # 8: no rationale
        "38;12;modifier;a;b;Motifs.;31/02/2026",  # 9: no such day
        "38;12;modifier;a;b;Motifs.;01/01/2027",  # 10: in the future
        "38;12;modifier;=SOMME(A1:A3);b;Motifs.;28/11/2026",  # 11: a formula
    )
    sheet = parse_csv(data, today=TODAY)
    assert len(sheet.rows) == 1
    lines = [issue.line for issue in sheet.errors]
    assert lines == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    messages = {issue.line: issue.message for issue in sheet.errors}
    assert messages[3].startswith("unité manquante")
    assert messages[4].startswith("ligne invalide « douze »")
    assert messages[5].startswith("type inconnu « voter »")
    assert messages[6].startswith("nouveaux mots manquants")
    assert messages[7].startswith("une suppression n'a pas de nouveaux mots")
    assert messages[8] == "exposé des motifs manquant."
    assert messages[9].startswith("date de la réunion invalide « 31/02/2026 »")
    assert messages[10] == "la date de la réunion (01/01/2027) est dans le futur."
    assert "contient une formule" in messages[11]


def test_a_value_outside_the_columns_is_refused():
    sheet = parse_csv(csv("38;12;modifier;a;b;Motifs.;28/11/2026;en trop"), today=TODAY)
    assert sheet.errors[0].line == 2 and "8 champ(s) au lieu de 7" in sheet.errors[0].message


def test_our_own_export_neutralisation_is_undone():
    sheet = parse_csv(csv("38;12;modifier;'- un tiret;- deux tirets;Motifs.;28/11/2026"), today=TODAY)
    assert sheet.rows[0].words == "- un tiret"


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "le fichier est vide."),
        (csv(), "le fichier ne contient aucun amendement (seulement l'en-tête)."),
        (b"\x00\x01\x02binary", "le fichier est binaire"),
        (b'Unit\xc3\xa9;Ligne\r\n"ouvert;12\r\n', "colonne(s) manquante(s)"),
    ],
)
def test_unreadable_files(data, message):
    sheet = parse_csv(data, today=TODAY)
    assert sheet.rows == () and sheet.errors[0].message.startswith(message), sheet.errors


def test_too_many_rows_is_refused():
    rows = ["38;12;modifier;a;b;Motifs.;28/11/2026"] * 10_001
    sheet = parse_csv(csv(*rows), today=TODAY)
    assert sheet.rows == () and "plus de 10000 amendements" in sheet.errors[0].message


# --- finding the words --------------------------------------------------------------------------------------

BLOCK = (
    "La prévention commence dès l'école, avec les familles. Les familles sont les premières "
    "concernées, et les familles doivent être écoutées par l'école et par la police de proximité."
)
WIDTH = 40


def lines_of(text: str) -> list[str]:
    normalized = normalize_space(text)
    return [normalized[s:e] for s, e in line_spans(normalized, WIDTH)]


def test_the_occurrence_on_the_given_line_is_taken():
    lines = lines_of(BLOCK)
    on = [i for i, line in enumerate(lines) if "familles" in line]
    assert len(on) >= 2  # « familles » on several lines of the paragraph
    for index in on:
        start, end = locate_words(BLOCK, WIDTH, 100, "familles", 100 + index, 100 + index)
        assert normalize_space(BLOCK)[start:end] == "familles"
        assert lines[index].find("familles") >= 0
        # The chosen occurrence is on that line.
        from convention.domain.amendments import span_lines

        assert span_lines(BLOCK, WIDTH, 100, start, end)[0] == 100 + index


def test_words_elsewhere_in_the_paragraph_say_where_they_are():
    with pytest.raises(RowProblem, match=r"ne figurent pas à la ligne 100 \(ils figurent à la ligne 10[1-9]"):
        locate_words(BLOCK, WIDTH, 100, "police de proximité", 100, 100)


def test_absent_words_and_words_inside_a_word_are_not_found():
    with pytest.raises(RowProblem, match="ne figurent pas à la ligne 100 du texte"):
        locate_words(BLOCK, WIDTH, 100, "la gendarmerie", 100, 100)
    with pytest.raises(RowProblem, match="ne figurent pas"):
        locate_words(BLOCK, WIDTH, 100, "famil", None, None)


def test_apostrophes_and_case_are_forgiven():
    text = "Il faut rétablir l’État de droit partout."
    start, end = locate_words(text, 80, 1, "l'État de droit", 1, 1)
    assert text[start:end] == "l’État de droit"
    start, end = locate_words(text, 80, 1, "IL FAUT", 1, 1)
    assert text[start:end] == "Il faut"


def test_without_a_line_the_words_must_be_unique_in_the_paragraph():
    with pytest.raises(RowProblem, match="figurent 3 fois dans l'alinéa : indiquez la ligne"):
        locate_words(BLOCK, WIDTH, 1, "familles", None, None)
    start, end = locate_words(BLOCK, WIDTH, 1, "police", None, None)
    assert normalize_space(BLOCK)[start:end] == "police"


@pytest.mark.parametrize(
    "kind, words, new, requested, result",
    [
        (RowKind.MODIFY, "dès l'école", "dès la crèche", "modifier", "La prévention commence dès la crèche, avec"),
        (RowKind.DELETE, ", avec les familles", "", "modifier", "La prévention commence dès l'école. Les"),
        (RowKind.INSERT, "dès l'école", "et au collège", "modifier", "commence dès l'école et au collège, avec"),
        (RowKind.DELETE, "", "", "supprimer", ""),
        (RowKind.INSERT, "", "Un alinéa.", "inserer", "Un alinéa."),
    ],
)
def test_planned_edit_gives_what_the_chapter_page_would_send(kind, words, new, requested, result):
    span = locate_words(BLOCK, WIDTH, 1, words, None, None) if words else (None, None)
    got_requested, edited = planned_edit(BLOCK, kind, *span, new)
    assert got_requested == requested
    assert result in edited
    if requested == "modifier":
        change = compute_change(BLOCK, edited)
        assert change.original in normalize_space(BLOCK)


def test_deleting_every_word_deletes_the_paragraph():
    text = "Tout supprimer."
    assert planned_edit(text, RowKind.DELETE, 0, len(text), "") == ("supprimer", "")
