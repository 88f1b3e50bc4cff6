"""Read and check the membership file (CSV) before anything is written.

Pure Python (the database checks — unknown federation, e-mail already used by
another member — are made by :mod:`convention.members.importer`).

The file
    As federations' spreadsheets produce it: UTF-8 (with or without BOM), Windows-1252
    (French Excel's « CSV (séparateur : point-virgule) ») or UTF-16 (Excel's « texte
    Unicode »), the encoding detected and named in the report; ``;``, ``,`` or a tab as
    delimiter (sniffed from the header line); an XLSX workbook is read by
    :mod:`convention.members.files` and checked here line by line the same way. One header
    line then one member per line; a quoted name over two lines keeps its line break as a
    space, and control or bidirectional formatting characters are removed from every value. The columns, in any
    order (the header is read without accents, case or punctuation, so
    « Numéro adhérent » or « Cotisation jusqu'au » are fine too):

    ======================  ==========================================  ===========
    column                  content                                     required
    ======================  ==========================================  ===========
    numero_adherent         membership number (unique, up to 32 chars)  yes
    prenom                  first name                                  yes
    nom                     last name                                   yes
    email                   e-mail address (unique)                     yes
    section                 section name; created in its federation     yes
                            if it does not exist yet
    federation              federation: département code (« 38 »),      yes
                            name (« Isère ») or title (« Fédération de
                            l'Isère »); it must exist
    cotisation_jusqu_au     dues paid until: ``AAAA-MM-JJ`` or          no (empty:
                            ``JJ/MM/AAAA``                              never paid)
    ======================  ==========================================  ===========

    English headers are accepted as well (membership_number, first_name,
    last_name, email, section, federation, dues_paid_until).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from convention.domain.cleaning import one_line
from convention.domain.textimport import TextIssue

COLUMNS = (
    "numero_adherent",
    "prenom",
    "nom",
    "email",
    "section",
    "federation",
    "cotisation_jusqu_au",
)
REQUIRED = COLUMNS[:6]
UTF8, UTF8_BOM, CP1252, UTF16 = "UTF-8", "UTF-8 avec BOM", "Windows-1252 (Excel)", "UTF-16"
XLSX = "classeur XLSX"
COLUMN_LABELS = {
    "numero_adherent": "numéro d'adhérent",
    "prenom": "prénom",
    "nom": "nom",
    "email": "adresse électronique",
    "section": "section",
    "federation": "fédération",
    "cotisation_jusqu_au": "date de cotisation",
}
ALIASES = {
    "numero_adherent": "numero_adherent",
    "numero_d_adherent": "numero_adherent",
    "n_adherent": "numero_adherent",
    "no_adherent": "numero_adherent",
    "adherent": "numero_adherent",
    "membership_number": "numero_adherent",
    "prenom": "prenom",
    "first_name": "prenom",
    "nom": "nom",
    "nom_de_famille": "nom",
    "last_name": "nom",
    "email": "email",
    "e_mail": "email",
    "courriel": "email",
    "adresse_electronique": "email",
    "section": "section",
    "federation": "federation",
    "cotisation_jusqu_au": "cotisation_jusqu_au",
    "cotisation_jusqu_a": "cotisation_jusqu_au",
    "cotisation": "cotisation_jusqu_au",
    "a_jour_jusqu_au": "cotisation_jusqu_au",
    "dues_paid_until": "cotisation_jusqu_au",
}
MAX_LENGTHS = {
    "numero_adherent": 32,
    "prenom": 80,
    "nom": 80,
    "email": 254,
    "section": 160,
    "federation": 160,
}
_DOT_ATOM = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_FR_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


@dataclass(frozen=True)
class MemberRow:
    line: int
    membership_number: str
    first_name: str
    last_name: str
    email: str  # normalised, lower case
    section: str
    federation: str  # as written; resolved against the database by the importer
    dues_paid_until: dt.date | None


@dataclass(frozen=True)
class MemberFile:
    rows: tuple[MemberRow, ...]
    errors: tuple[TextIssue, ...]
    delimiter: str = ";"
    encoding: str = UTF8  # as detected, for the report: « UTF-8 », « Windows-1252 (Excel) »…

    @property
    def ok(self) -> bool:
        return not self.errors


def fold(value: str) -> str:
    """Compare key: no accents, lower case, punctuation as single spaces."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", ascii_text.lower()).split())


def normalise_header(value: str) -> str:
    return fold(value).replace(" ", "_")


@functools.lru_cache(maxsize=4096)
def _check_domain(domain: str) -> str | None:
    try:
        return validate_email(f"x@{domain}", check_deliverability=False).domain.lower()
    except EmailNotValidError:
        return None


def normalise_email(value: str) -> str | None:
    """The address in lower case, or ``None`` if email-validator refuses it.

    Plain ASCII local parts are checked by a regular expression and each domain
    once (email-validator costs ~0.1 ms an address: 10 s for 100,000 lines).
    """
    local, at, domain = value.rpartition("@")
    if at and len(value) <= 254 and len(local) <= 64 and _DOT_ATOM.match(local):
        checked = _check_domain(domain)
        return f"{local.lower()}@{checked}" if checked else None
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def parse_date(value: str) -> dt.date | None:
    """``AAAA-MM-JJ`` or ``JJ/MM/AAAA``; ``None`` if neither (or not a real day)."""
    match = _ISO_DATE.match(value)
    try:
        if match:
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        match = _FR_DATE.match(value)
        if match:
            return dt.date(int(match[3]), int(match[2]), int(match[1]))
    except ValueError:
        return None
    return None


def sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (";", ",", "\t")}
    return max(counts, key=lambda d: (counts[d], d == ";"))


def _looks_utf16(data: bytes) -> str | None:
    """``utf-16-le``/``-be`` for UTF-16 text without a BOM (every other byte nul), else None."""
    sample = data[:4000]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > len(odd) * 0.4 and even.count(0) < len(even) * 0.1:
        return "utf-16-le"
    if even.count(0) > len(even) * 0.4 and odd.count(0) < len(odd) * 0.1:
        return "utf-16-be"
    return None


def decode_member_file(data: bytes) -> tuple[str | None, str, list[TextIssue]]:
    """The file's text, the encoding detected (for the report), and why it cannot be read.

    UTF-16 (BOM or nul-byte pattern), UTF-8 (with or without BOM), otherwise Windows-1252,
    which French Excel writes and which decodes any byte but five.
    """
    if not data.strip():
        return None, UTF8, [TextIssue(0, "le fichier est vide.")]
    encoding, label = None, UTF8
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding, label = "utf-16", UTF16
    elif (guess := _looks_utf16(data)) is not None:
        encoding, label = guess, UTF16
    if encoding is not None:
        try:
            text = data.decode(encoding).lstrip("\ufeff")
        except UnicodeDecodeError:
            return None, UTF16, [TextIssue(0, "le fichier UTF-16 est tronqué ou abîmé.")]
    else:
        nul = data.find(b"\x00")
        if nul >= 0:
            return None, UTF8, [
                TextIssue(
                    0,
                    f"le fichier est binaire (octet nul à la position {nul}) : enregistrez-le en CSV "
                    "(UTF-8 ou « CSV (séparateur : point-virgule) » d'Excel) ou en XLSX.",
                )
            ]
        try:
            text = data.decode("utf-8-sig")
            label = UTF8_BOM if data.startswith(b"\xef\xbb\xbf") else UTF8
        except UnicodeDecodeError:
            try:
                text, label = data.decode("cp1252"), CP1252
            except UnicodeDecodeError as error:
                line = data.count(b"\n", 0, error.start) + 1
                return None, CP1252, [
                    TextIssue(
                        0,
                        f"encodage non reconnu : octet 0x{data[error.start]:02X} à la position "
                        f"{error.start} (ligne {line}). Enregistrez le fichier en UTF-8 et recommencez.",
                    )
                ]
    if "\x00" in text:
        return None, label, [TextIssue(0, "le fichier contient un caractère nul : ce n'est pas un fichier texte.")]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return None, label, [TextIssue(0, "le fichier est vide.")]
    return text, label, []


def parse_member_file(data: bytes) -> MemberFile:
    """Decode and check every line of a CSV membership file; nothing here touches a database."""
    text, encoding, decode_errors = decode_member_file(data)
    if text is None:
        return MemberFile(rows=(), errors=tuple(decode_errors), encoding=encoding)
    header_line = text.split("\n", 1)[0]
    delimiter = sniff_delimiter(header_line)
    # csv reads the text itself (not a list of lines), so a quoted value may span lines.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def records() -> Iterator[tuple[int, list[str]]]:
        for record in reader:
            yield reader.line_num, record

    return check_member_records(records(), delimiter=delimiter, encoding=encoding)


def check_member_records(
    records: Iterable[tuple[int, Sequence[str]]], *, delimiter: str = ";", encoding: str = UTF8
) -> MemberFile:
    """Check the header then every ``(line, values)`` record, whatever the file's format."""
    iterator = iter(records)
    errors: list[TextIssue] = []
    try:
        _line, header = next(iterator)
    except StopIteration:
        return MemberFile(rows=(), errors=(TextIssue(0, "le fichier est vide."),), encoding=encoding)
    header = [one_line(h) for h in header]
    columns = [ALIASES.get(normalise_header(h), "") for h in header]
    unknown = [h.strip() for h, c in zip(header, columns, strict=True) if not c]
    if unknown:
        errors.append(
            TextIssue(1, "colonne(s) inconnue(s) : " + ", ".join(f"« {h} »" for h in unknown)
                      + f" (colonnes attendues : {', '.join(COLUMNS)})")
        )  # fmt: skip
    seen = [c for c in columns if c]
    duplicated = sorted({c for c in seen if seen.count(c) > 1})
    if duplicated:
        errors.append(TextIssue(1, "colonne(s) en double : " + ", ".join(duplicated)))
    missing = [c for c in REQUIRED if c not in seen]
    if missing:
        errors.append(TextIssue(1, "colonne(s) manquante(s) : " + ", ".join(missing)))
    if errors:
        return MemberFile(rows=(), errors=tuple(errors), delimiter=delimiter, encoding=encoding)

    rows: list[MemberRow] = []
    numbers: dict[str, int] = {}
    emails: dict[str, int] = {}
    width = len(columns)
    for line, record in iterator:
        if not any(field.strip() for field in record):
            continue  # blank line
        if len(record) != width:
            errors.append(TextIssue(line, f"{len(record)} champ(s) au lieu de {width}."))
            continue
        # One line each: a quoted line break becomes a space; control and bidi characters go.
        values = {c: one_line(v) for c, v in zip(columns, record, strict=True)}
        values.setdefault("cotisation_jusqu_au", "")
        line_errors = []
        for column in REQUIRED:
            if not values[column]:
                line_errors.append(f"{COLUMN_LABELS[column]} manquant(e).")
            elif len(values[column]) > MAX_LENGTHS[column]:
                line_errors.append(
                    f"{COLUMN_LABELS[column]} trop long(ue) "
                    f"(plus de {MAX_LENGTHS[column]} caractères)."
                )
        email = values["email"]
        if email:
            email = normalise_email(email) or ""
            if not email:
                line_errors.append(f"adresse électronique invalide « {values['email']} ».")
        dues = None
        if values["cotisation_jusqu_au"]:
            dues = parse_date(values["cotisation_jusqu_au"])
            if dues is None:
                line_errors.append(
                    f"date de cotisation invalide « {values['cotisation_jusqu_au']} » "
                    "(attendu AAAA-MM-JJ ou JJ/MM/AAAA)."
                )
        number = values["numero_adherent"]
        if number:
            if number in numbers:
                line_errors.append(
                    f"numéro d'adhérent « {number} » en double (déjà ligne {numbers[number]})."
                )
            else:
                numbers[number] = line
        if email:
            if email in emails:
                line_errors.append(
                    f"adresse électronique « {email} » en double (déjà ligne {emails[email]})."
                )
            else:
                emails[email] = line
        if line_errors:
            errors.extend(TextIssue(line, message) for message in line_errors)
            continue
        rows.append(
            MemberRow(
                line=line,
                membership_number=number,
                first_name=values["prenom"],
                last_name=values["nom"],
                email=email,
                section=values["section"],
                federation=values["federation"],
                dues_paid_until=dues,
            )
        )
    if not rows and not errors:
        errors.append(TextIssue(0, "le fichier ne contient aucun adhérent (seulement l'en-tête)."))
    return MemberFile(rows=tuple(rows), errors=tuple(errors), delimiter=delimiter, encoding=encoding)
