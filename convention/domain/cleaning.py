"""Cleaning of free text typed or imported by people: one-line fields, control and bidi characters.

Pure functions, used where data is written (operations, importers) and again where it is
published (iCalendar, CSV exports), so that old rows written before a rule existed are safe too.
"""

from __future__ import annotations

import re
import unicodedata

# Line and paragraph separators a title must not carry (CR, LF, VT, FF, NEL, U+2028, U+2029).
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\x0b\x0c\x85\u2028\u2029]")
# Unicode's explicit bidirectional formatting characters (embeddings, overrides, isolates,
# marks): they can make « Alice » display as another name (Trojan Source).
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_SPACES = re.compile(r"[ \t\u00a0]{2,}")
# Characters a spreadsheet reads as the start of a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\x00")


def _drop_controls(text: str, keep: str = "") -> str:
    return "".join(
        ch
        for ch in text
        if ch in keep or (unicodedata.category(ch) != "Cc" and ch not in BIDI_CONTROLS and ch != "\ufeff")
    )


def one_line(value: str | None) -> str:
    """``value`` on one line: line breaks become spaces, control and bidi characters go."""
    text = _LINE_BREAKS.sub(" ", value or "").replace("\t", " ")
    text = _drop_controls(text)
    return _SPACES.sub(" ", text).strip()


def multiline(value: str | None) -> str:
    """``value`` with ``\\n`` line ends and no other control or bidi character."""
    text = _LINE_BREAKS.sub("\n", value or "")
    return _drop_controls(text, keep="\n\t").strip()


def strip_bidi(value: str) -> str:
    """``value`` without bidirectional formatting characters."""
    return "".join(ch for ch in value if ch not in BIDI_CONTROLS)


def neutralise_formula(value: object) -> object:
    """A cell value a spreadsheet will show as text, never evaluate (prefixed with ``'``).

    Numbers are left alone (a negative amount is not a formula); text starting with
    ``= + - @``, a tab or a carriage return gets a leading apostrophe.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
