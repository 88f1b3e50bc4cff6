"""Read and check a spreadsheet of amendments (one row each) before anything is written.

Pure Python. The database checks — the unit exists, the line or paragraph exists in the
current version, the quoted words are there — are made by
:mod:`convention.amendments.spreadsheet` with the helpers of this module
(:func:`locate_words`, :func:`planned_edit`).

The file
    CSV as federations' spreadsheets write it (UTF-8 with or without BOM, Windows-1252 of
    French Excel, UTF-16; ``;``, ``,`` or tab, sniffed from the header line; the decoding of
    :mod:`convention.domain.memberfile`) or an XLSX workbook (its first sheet, read by
    :mod:`convention.amendments.spreadsheet`). One header line naming the columns, in any
    order; header names are read without accents, case or punctuation (« Date de la réunion »,
    « DATE_REUNION » and « date réunion » are the same column).

    =====================  ============================================================  =========
    column                 content                                                       required
    =====================  ============================================================  =========
    unite                  « Fédération / Section » (« Isère / Grenoble ») or a          yes (1)
                           federation (code « 38 », name or title)
    ligne                  the line number of the current version (« 12 », or            yes (2)
                           « 12-14 » for words over several lines)
    alinea                 the paragraph's stable id (« II-5-12 »)                       no (2)
    type                   modifier (or remplacer), supprimer, insérer                   yes
    mots_vises             the words to replace or delete, or after which to insert      yes (3)
    nouveaux_mots          the new words, or the paragraph(s) to insert                  yes (3)
    expose_des_motifs      the rationale (Markdown)                                      yes
    date_reunion           the meeting that adopted it: JJ/MM/AAAA or AAAA-MM-JJ         yes
    =====================  ============================================================  =========

    (1) or two columns ``federation`` and ``section``; (2) ``ligne`` or ``alinea``, or both;
    (3) the column must be there; the cell may be empty where the type allows it:

    - modifier: both words and new words;
    - supprimer: the words to delete, or empty to delete the whole paragraph; no new words;
    - insérer: the new words; with quoted words, they are inserted after them in the
      paragraph, without, the new words are a paragraph inserted after the paragraph.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from convention.domain.amendments import AmendmentKind, Change, apply_change, span_lines
from convention.domain.cleaning import multiline, one_line
from convention.domain.memberfile import decode_member_file, fold, normalise_header, parse_date, sniff_delimiter
from convention.domain.textimport import TextIssue
from convention.domain.textstructure import normalize_space

MAX_ROWS = 10_000
MAX_RATIONALE = 20_000
MAX_WORDING = 20_000
MAX_UNIT = 300
MAX_ANCHOR = 40


class RowKind(enum.StrEnum):
    """What a row asks; the values are the chapter page's (``operations.RequestedKind``)."""

    MODIFY = "modifier"
    DELETE = "supprimer"
    INSERT = "inserer"


KIND_WORDS = {
    "modifier": RowKind.MODIFY,
    "modification": RowKind.MODIFY,
    "remplacer": RowKind.MODIFY,
    "remplacement": RowKind.MODIFY,
    "amender": RowKind.MODIFY,
    "rediger": RowKind.MODIFY,
    "supprimer": RowKind.DELETE,
    "suppression": RowKind.DELETE,
    "inserer": RowKind.INSERT,
    "insertion": RowKind.INSERT,
    "ajouter": RowKind.INSERT,
    "ajout": RowKind.INSERT,
}

# The columns, their French label (the header to write, the name used in messages).
COLUMNS = (
    "unite",
    "ligne",
    "alinea",
    "type",
    "mots_vises",
    "nouveaux_mots",
    "expose_des_motifs",
    "date_reunion",
    "federation",
    "section",
)
COLUMN_LABELS = {
    "unite": "Unité",
    "ligne": "Ligne",
    "alinea": "Alinéa",
    "type": "Type",
    "mots_vises": "Mots visés",
    "nouveaux_mots": "Nouveaux mots",
    "expose_des_motifs": "Exposé des motifs",
    "date_reunion": "Date de la réunion",
    "federation": "Fédération",
    "section": "Section",
}
HEADER_EXAMPLE = ";".join(COLUMN_LABELS[c] for c in COLUMNS[:8])
ALIASES = {
    **{name: "unite" for name in (
        "unite", "unite_section_ou_federation", "unite_federation_section", "section_federation",
        "federation_section", "federation_et_section", "structure", "deposant", "auteur",
    )},
    **{name: "ligne" for name in (
        "ligne", "lignes", "n_ligne", "no_ligne", "num_ligne", "numero_ligne", "numero_de_ligne",
        "n_de_ligne", "line",
    )},
    **{name: "alinea" for name in (
        "alinea", "id_alinea", "identifiant_alinea", "identifiant_de_l_alinea", "paragraphe", "bloc",
        "ancre", "block",
    )},
    **{name: "type" for name in (
        "type", "type_d_amendement", "type_amendement", "nature", "action", "operation",
    )},
    **{name: "mots_vises" for name in (
        "mots_vises", "mots", "mots_a_remplacer", "mots_a_supprimer", "mots_a_remplacer_ou_supprimer",
        "mots_a_remplacer_ou_a_supprimer", "texte_vise", "texte_actuel", "ancien_texte", "texte_initial",
        "mots_actuels", "redaction_actuelle",
    )},
    **{name: "nouveaux_mots" for name in (
        "nouveaux_mots", "mots_nouveaux", "par_les_mots", "nouveau_texte", "texte_propose",
        "nouvelle_redaction", "redaction_proposee", "texte_a_inserer", "mots_a_inserer",
    )},
    **{name: "expose_des_motifs" for name in (
        "expose_des_motifs", "expose_motifs", "motifs", "motivation", "justification", "expose",
    )},
    **{name: "date_reunion" for name in (
        "date_reunion", "date_de_la_reunion", "date_de_reunion", "date", "date_d_adoption", "adopte_le",
        "date_adoption", "reunion_du",
    )},
    "federation": "federation",
    "federation_departementale": "federation",
    "section": "section",
}  # fmt: skip
REQUIRED = ("type", "mots_vises", "nouveaux_mots", "expose_des_motifs", "date_reunion")

_LINE_RE = re.compile(r"^(?:l|ligne|lignes)?\s*(\d{1,7})(?:\s+(?:a\s+)?(\d{1,7}))?$")
_DAY_RE = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$")
_ISO_TIME_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")
_FORMULA_RE = re.compile(r"^=\S")
_QUOTES = '«»“”„"‹›'
_EXCEL_EPOCH = dt.date(1899, 12, 30)
EARLIEST_MEETING = dt.date(2000, 1, 1)


class RowProblem(ValueError):
    """A row cannot be imported; the message is French, without the row number."""


@dataclass(frozen=True)
class AmendmentRow:
    """One checked row (its unit, place and words still to be found in the database)."""

    line: int  # the row's number in the file (the header is 1)
    unit: str  # as written, for messages
    federation: str  # « Isère » (or the only name given)
    section: str  # « Grenoble », or ""
    first_line: int | None
    last_line: int | None
    block: str  # the paragraph's stable id, or ""
    kind: RowKind
    words: str  # normalized; "" for a whole paragraph (deletion) or an inserted paragraph
    new_words: str  # normalized; paragraphs separated by a blank line for an inserted paragraph
    rationale: str
    adopted_on: dt.date


@dataclass(frozen=True)
class AmendmentSheet:
    rows: tuple[AmendmentRow, ...]
    errors: tuple[TextIssue, ...]
    encoding: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors


# --- cells ------------------------------------------------------------------------------------


def strip_quotes(value: str) -> str:
    """The words without the French or English quotes a secretary put around them."""
    value = value.strip()
    while value and value[0] in _QUOTES and value[-1] in _QUOTES and len(value) >= 2:
        value = value[1:-1].strip()
    return value.strip(_QUOTES + " ")


def unneutralise(value: str) -> str:
    """A cell our own export prefixed with ``'`` (« '=… », « '-… ») read back as it was."""
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@":
        return value[1:]
    return value


def parse_text_lines(value: str) -> tuple[int, int] | None:
    """« 12 », « l. 12 », « 12-14 », « 12 à 14 » → (12, 14); None if not a line reference."""
    value = value.strip()
    if value.endswith(".0") and value[:-2].isdigit():
        value = value[:-2]  # a number a spreadsheet wrote as a float
    match = _LINE_RE.match(fold(value))
    if not match:
        return None
    first = int(match[1])
    last = int(match[2]) if match[2] else first
    if first < 1 or last < first:
        return None
    return first, last


def parse_kind(value: str) -> RowKind | None:
    """« Modifier », « remplacer », « Suppression », « Insérer »… (the first word decides)."""
    folded = fold(value)
    if folded in KIND_WORDS:
        return KIND_WORDS[folded]
    first = folded.split(" ", 1)[0] if folded else ""
    return KIND_WORDS.get(first)


def parse_meeting_date(value: str) -> dt.date | None:
    """JJ/MM/AAAA, AAAA-MM-JJ (a time after it is ignored), JJ.MM.AAAA, or an Excel day number."""
    value = value.strip()
    match = _ISO_TIME_RE.match(value)
    if match:
        value = match[1]
    day = parse_date(value)
    if day is not None:
        return day
    match = _DAY_RE.match(value)
    if match:
        try:
            return dt.date(int(match[3]), int(match[2]), int(match[1]))
        except ValueError:
            return None
    if value.isdigit() and 36526 <= int(value) <= 73050:  # a date cell read as its serial number
        return _EXCEL_EPOCH + dt.timedelta(days=int(value))
    return None


def split_unit(value: str) -> tuple[str, str]:
    """« Isère / Grenoble » → (« Isère », « Grenoble »); « Isère » → (« Isère », "")."""
    federation, _slash, section = value.partition("/")
    return federation.strip(), section.strip()


# --- the header and the rows -----------------------------------------------------------------


def check_header(header: Sequence[str]) -> tuple[list[str], list[str]]:
    """The column of each header cell ("" for an unknown one) and the problems (French)."""
    names = [one_line(h) for h in header]
    columns = [ALIASES.get(normalise_header(h), "") for h in names]
    problems: list[str] = []
    unknown = [h for h, c in zip(names, columns, strict=True) if not c and h]
    if unknown:
        problems.append(
            "colonne(s) inconnue(s) : " + ", ".join(f"« {h} »" for h in unknown)
            + f" (colonnes attendues : {', '.join(COLUMN_LABELS[c] for c in COLUMNS[:8])})."
        )  # fmt: skip
    seen = [c for c in columns if c]
    duplicated = sorted({c for c in seen if seen.count(c) > 1})
    if duplicated:
        problems.append("colonne(s) en double : " + ", ".join(COLUMN_LABELS[c] for c in duplicated) + ".")
    missing = [COLUMN_LABELS[c] for c in REQUIRED if c not in seen]
    if "unite" not in seen and "federation" not in seen:
        missing.insert(0, COLUMN_LABELS["unite"])
    if "ligne" not in seen and "alinea" not in seen:
        missing.insert(1 if missing and missing[0] == COLUMN_LABELS["unite"] else 0, "Ligne (ou Alinéa)")
    if missing:
        problems.append("colonne(s) manquante(s) : " + ", ".join(missing) + ".")
    return columns, problems


def _row(line: int, values: dict[str, str], today: dt.date) -> tuple[AmendmentRow | None, list[str]]:
    problems: list[str] = []
    for column, value in values.items():
        if _FORMULA_RE.match(value):
            problems.append(
                f"la cellule « {COLUMN_LABELS[column]} » contient une formule (« {value[:30]} ») : "
                "le fichier doit contenir des valeurs."
            )
    if problems:
        return None, problems
    unit = one_line(values.get("unite", ""))
    if unit:
        federation, section = split_unit(unit)
    else:
        federation, section = one_line(values.get("federation", "")), one_line(values.get("section", ""))
        unit = f"{federation} / {section}" if section else federation
    if not federation:
        problems.append("unité manquante (« Fédération / Section » ou une fédération).")
    elif len(unit) > MAX_UNIT:
        problems.append(f"unité trop longue (plus de {MAX_UNIT} caractères).")
    first = last = None
    raw_line = one_line(values.get("ligne", ""))
    block = one_line(values.get("alinea", ""))
    if raw_line:
        lines = parse_text_lines(raw_line)
        if lines is None:
            problems.append(f"ligne invalide « {raw_line[:40]} » (attendu un numéro de ligne : « 12 » ou « 12-14 »).")
        else:
            first, last = lines
    if len(block) > MAX_ANCHOR:
        problems.append(f"alinéa invalide « {block[:40]}… » (attendu son identifiant, par exemple « II-5-12 »).")
    if not raw_line and not block:
        problems.append("ligne manquante (ou l'identifiant de l'alinéa).")
    raw_kind = one_line(values.get("type", ""))
    kind = parse_kind(raw_kind)
    if not raw_kind:
        problems.append("type manquant (modifier, supprimer ou insérer).")
    elif kind is None:
        problems.append(f"type inconnu « {raw_kind[:40]} » (attendu : modifier, remplacer, supprimer ou insérer).")
    words = normalize_space(strip_quotes(one_line(values.get("mots_vises", ""))))
    raw_new = strip_quotes(multiline(values.get("nouveaux_mots", "")))
    if kind == RowKind.INSERT and not words:
        new_words = "\n\n".join(p for p in (normalize_space(p) for p in re.split(r"\n\s*\n", raw_new)) if p)
    else:
        new_words = normalize_space(raw_new)
    if len(words) > MAX_WORDING or len(new_words) > MAX_WORDING:
        problems.append(f"texte trop long (plus de {MAX_WORDING} caractères).")
    if kind == RowKind.MODIFY:
        if not words:
            problems.append("mots visés manquants : une modification remplace des mots du texte par d'autres.")
        if not new_words:
            problems.append(
                "nouveaux mots manquants : une modification remplace des mots par d'autres (pour les retirer, "
                "type « supprimer »)."
            )
        if words and new_words and words == new_words:
            problems.append("les nouveaux mots sont identiques aux mots visés.")
    elif kind == RowKind.DELETE and new_words:
        problems.append("une suppression n'a pas de nouveaux mots (pour les remplacer, type « modifier »).")
    elif kind == RowKind.INSERT and not new_words:
        problems.append("nouveaux mots manquants : écrivez les mots ou l'alinéa à insérer.")
    rationale = multiline(values.get("expose_des_motifs", ""))
    if not rationale:
        problems.append("exposé des motifs manquant.")
    elif len(rationale) > MAX_RATIONALE:
        problems.append(f"exposé des motifs trop long (plus de {MAX_RATIONALE} caractères).")
    raw_date = one_line(values.get("date_reunion", ""))
    adopted_on = parse_meeting_date(raw_date) if raw_date else None
    if not raw_date:
        problems.append("date de la réunion manquante.")
    elif adopted_on is None or adopted_on < EARLIEST_MEETING:
        problems.append(f"date de la réunion invalide « {raw_date[:40]} » (attendu JJ/MM/AAAA ou AAAA-MM-JJ).")
    elif adopted_on > today:
        problems.append(f"la date de la réunion ({adopted_on:%d/%m/%Y}) est dans le futur.")
    if problems or kind is None or adopted_on is None:
        return None, problems
    return (
        AmendmentRow(
            line=line,
            unit=unit,
            federation=federation,
            section=section,
            first_line=first,
            last_line=last,
            block=block,
            kind=kind,
            words=words,
            new_words=new_words,
            rationale=rationale,
            adopted_on=adopted_on,
        ),
        [],
    )


def check_rows(records: Iterable[tuple[int, Sequence[str]]], *, today: dt.date, encoding: str = "") -> AmendmentSheet:
    """Check the header then every ``(line, values)`` record, whatever the file's format."""
    iterator = iter(records)
    try:
        _line, header = next(iterator)
    except StopIteration:
        return AmendmentSheet((), (TextIssue(0, "le fichier est vide."),), encoding)
    columns, problems = check_header(header)
    if problems:
        return AmendmentSheet((), tuple(TextIssue(1, p) for p in problems), encoding)
    rows: list[AmendmentRow] = []
    errors: list[TextIssue] = []
    width = len(columns)
    count = 0
    for line, record in iterator:
        if not any(str(field).strip() for field in record):
            continue  # a blank line
        count += 1
        if count > MAX_ROWS:
            return AmendmentSheet(
                (), (TextIssue(0, f"le fichier compte plus de {MAX_ROWS} amendements : découpez-le."),), encoding
            )
        if len(record) > width and any(str(field).strip() for field in record[width:]):
            errors.append(TextIssue(line, f"{len(record)} champ(s) au lieu de {width} : une valeur hors des colonnes."))
            continue
        cells = list(record[:width]) + [""] * (width - len(record))
        values = {c: unneutralise(str(v)) for c, v in zip(columns, cells, strict=True) if c}
        row, row_problems = _row(line, values, today)
        if row is None:
            errors.extend(TextIssue(line, p) for p in row_problems)
        else:
            rows.append(row)
    if not rows and not errors:
        errors.append(TextIssue(0, "le fichier ne contient aucun amendement (seulement l'en-tête)."))
    return AmendmentSheet(tuple(rows), tuple(errors), encoding)


def csv_records(data: bytes) -> tuple[Iterator[tuple[int, list[str]]] | None, str, list[TextIssue]]:
    """The ``(line, values)`` records of a CSV file, the encoding detected, and why it cannot be read."""
    text, encoding, issues = decode_member_file(data)
    if text is None:
        return None, encoding, issues
    delimiter = sniff_delimiter(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def records() -> Iterator[tuple[int, list[str]]]:
        start = 1
        try:
            for record in reader:
                yield start, record
                start = reader.line_num + 1
        except csv.Error as error:
            raise RowProblem(f"ligne {reader.line_num} : le fichier CSV est mal formé ({error}).") from None

    return records(), encoding, []


def parse_csv(data: bytes, *, today: dt.date) -> AmendmentSheet:
    """Decode and check every row of a CSV file of amendments."""
    records, encoding, issues = csv_records(data)
    if records is None:
        return AmendmentSheet((), tuple(issues), encoding)
    try:
        return check_rows(records, today=today, encoding=encoding)
    except RowProblem as problem:
        return AmendmentSheet((), (TextIssue(0, str(problem)),), encoding)


# --- finding the words in the paragraph ---------------------------------------------------------

_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "‘": "'", "\u00a0": " ", "\u202f": " "})


def _canon(text: str) -> str:
    """The same length as ``text``: curly apostrophes read as straight ones."""
    return text.translate(_APOSTROPHES)


def _is_word_char(char: str) -> bool:
    return char.isalnum()


def _occurrences(text: str, words: str) -> list[int]:
    """Start offsets of ``words`` in ``text`` that neither start nor end inside a word."""
    found = []
    start = text.find(words)
    while start >= 0:
        end = start + len(words)
        left_ok = start == 0 or not (_is_word_char(text[start - 1]) and _is_word_char(words[0]))
        right_ok = end == len(text) or not (_is_word_char(text[end]) and _is_word_char(words[-1]))
        if left_ok and right_ok:
            found.append(start)
        start = text.find(words, start + 1)
    return found


def _cited(words: str) -> str:
    return words if len(words) <= 60 else words[:57] + "…"


def locate_words(
    block_text: str,
    width: int,
    block_line_start: int,
    words: str,
    first_line: int | None,
    last_line: int | None,
) -> tuple[int, int]:
    """The span of ``words`` in the normalized paragraph, at the given lines (raise RowProblem).

    The words are compared with curly and straight apostrophes alike, then without case. When
    they appear several times in the paragraph, the occurrence on the given line is taken (the
    one that starts on it first); without a line, they must appear only once.
    """
    text = normalize_space(block_text)
    canonical, wanted = _canon(text), _canon(normalize_space(words))
    starts = _occurrences(canonical, wanted)
    if not starts and len(canonical.lower()) == len(canonical) and len(wanted.lower()) == len(wanted):
        starts = _occurrences(canonical.lower(), wanted.lower())
    if not starts:
        where = f"à la ligne {first_line}" if first_line is not None else "dans l'alinéa"
        if first_line is not None and last_line != first_line:
            where = f"aux lignes {first_line} à {last_line}"
        raise RowProblem(f"les mots « {_cited(words)} » ne figurent pas {where} du texte en vigueur.")
    if first_line is None:
        if len(starts) > 1:
            raise RowProblem(
                f"les mots « {_cited(words)} » figurent {len(starts)} fois dans l'alinéa : indiquez la ligne."
            )
        return starts[0], starts[0] + len(wanted)
    last = last_line if last_line is not None else first_line
    placed = []
    for start in starts:
        begin, end = span_lines(text, width, block_line_start, start, start + len(wanted))
        placed.append((start, begin, end))
    on_first = [start for start, begin, _end in placed if begin == first_line]
    touching = [start for start, begin, end in placed if begin <= last and end >= first_line]
    chosen = (on_first or touching or [None])[0]
    if chosen is None:
        elsewhere = [str(n) for n in sorted({begin for _s, begin, _e in placed})]
        lines = (
            f"à la ligne {elsewhere[0]}"
            if len(elsewhere) == 1
            else (f"aux lignes {', '.join(elsewhere[:-1])} et {elsewhere[-1]}")
        )
        raise RowProblem(
            f"les mots « {_cited(words)} » ne figurent pas à la ligne {first_line} "
            f"(ils figurent {lines} du même alinéa)."
        )
    return chosen, chosen + len(wanted)


def planned_edit(block_text: str, kind: RowKind, start: int | None, end: int | None, new_words: str) -> tuple[str, str]:
    """What the chapter page would receive for this row: (requested kind, edited text).

    ``start``/``end`` is the span of the quoted words (None when there are none): a
    modification or a deletion of words gives the paragraph as edited, an insertion after
    words the paragraph with the words inserted; a whole paragraph deleted or inserted
    gives the chapter page's « supprimer » or « insérer » with the new paragraph(s).
    """
    text = normalize_space(block_text)
    if start is None or end is None:
        if kind == RowKind.DELETE:
            return RowKind.DELETE.value, ""
        if kind == RowKind.INSERT:
            return RowKind.INSERT.value, new_words
        raise RowProblem("mots visés manquants.")
    if kind == RowKind.DELETE:
        if start == 0 and end == len(text):
            return RowKind.DELETE.value, ""  # every word of the paragraph: the paragraph goes
        change = Change(AmendmentKind.DELETE, start, end, text[start:end], "", "", "")
    elif kind == RowKind.INSERT:
        change = Change(AmendmentKind.MODIFY, end, end, "", new_words, "", "")
    else:
        change = Change(AmendmentKind.MODIFY, start, end, text[start:end], new_words, "", "")
    (edited,) = apply_change(text, change)
    return RowKind.MODIFY.value, edited
