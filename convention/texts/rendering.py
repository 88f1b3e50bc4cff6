"""Rendering helpers for the text: acronyms shown with ``<abbr title="…">``, numbered lines with their emphasis."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from convention.domain.documents.emphasis import EM, STRONG, remap_spans, valid_spans
from convention.domain.textstructure import line_spans, normalize_space


def acronym_pattern(abbreviations: list[str]) -> re.Pattern[str] | None:
    """A regex matching any of ``abbreviations`` as a whole word (longest first)."""
    words = sorted({a for a in abbreviations if a}, key=lambda a: (-len(a), a))
    if not words:
        return None
    alternatives = "|".join(re.escape(str(escape(word))) for word in words)
    return re.compile(rf"(?<![\w&#])({alternatives})(?!\w)")


def acronym_titles(acronyms: Mapping[str, str]) -> dict[str, str]:
    """Escaped abbreviation → escaped meaning, as ``wrap_acronyms`` looks them up."""
    return {str(escape(abbr)): str(escape(meaning)) for abbr, meaning in acronyms.items()}


def wrap_acronyms(
    text: str,
    acronyms: Mapping[str, str],
    pattern: re.Pattern[str] | None = None,
    titles: Mapping[str, str] | None = None,
) -> Markup:
    """Escape ``text``, then wrap each whole-word acronym in ``<abbr title="meaning">``.

    ``acronyms`` maps an abbreviation to its meaning. Escaping comes first, so HTML
    in the text is shown, never interpreted; only the ``<abbr>`` tags are markup.
    """
    escaped = str(escape(text))
    if pattern is None:
        pattern = acronym_pattern(list(acronyms))
    if pattern is None:
        return Markup(escaped)
    if titles is None:
        titles = acronym_titles(acronyms)

    def replace(match: re.Match[str]) -> str:
        word = match.group(1)
        title = titles.get(word)
        if title is None:
            return word
        return f'<abbr title="{title}">{word}</abbr>'

    return Markup(pattern.sub(replace, escaped))


@dataclass(frozen=True)
class Piece:
    """A run of a line's words with one emphasis: shown in ``<strong>`` and/or ``<em>``, or plain."""

    text: str
    strong: bool = False
    em: bool = False


@dataclass(frozen=True)
class EmphasizedLine:
    """One numbered line of a block (the same as ``amendments.rendering.NumberedLine``), cut into pieces."""

    number: int
    text: str
    pieces: tuple[Piece, ...]


def emphasized_lines(
    text: str, emphasis: Sequence[Sequence] | None, width: int, first_line: int
) -> list[EmphasizedLine]:
    """The block's lines as the line rule cuts them, each with its number and its bold and italic pieces.

    ``emphasis`` is the block's stored spans (offsets in ``text``); a span that crosses a line
    end is cut in two, one piece on each line. The lines and their words are exactly those of
    the plain text: emphasis never moves a line end.
    """
    normalized = normalize_space(text)
    spans = valid_spans(emphasis or (), text)
    if spans and normalized != text:
        spans = remap_spans(spans, text, normalized)
    strong = [False] * len(normalized)
    em = [False] * len(normalized)
    for start, end, kind in spans:
        marks = strong if kind == STRONG else em if kind == EM else None
        if marks is not None:
            marks[start:end] = [True] * (end - start)
    lines = []
    for index, (start, end) in enumerate(line_spans(normalized, width)):
        pieces: list[Piece] = []
        cut = start
        for position in range(start + 1, end + 1):
            if position == end or (strong[position], em[position]) != (strong[cut], em[cut]):
                pieces.append(Piece(normalized[cut:position], strong[cut], em[cut]))
                cut = position
        lines.append(EmphasizedLine(first_line + index, normalized[start:end], tuple(pieces)))
    return lines
