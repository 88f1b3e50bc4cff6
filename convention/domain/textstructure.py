"""Structure of a text: block kinds, line numbering and proposal references.

The line rule. A block's text, its whitespace runs read as one space
(:func:`normalize_space`), is wrapped greedily at word boundaries into lines of at
most ``width`` characters: each line takes as many whole words as fit, and a word
longer than ``width`` stands alone on its line. Words are split on whitespace only, so
compounds (« bien-être », « d'Île-de-France ») are never broken. An empty block still
takes one (empty) line. Numbering runs continuously through a version from 1; headings
(part and chapter titles) are not blocks and are not numbered.

Character offsets used by amendments (:func:`line_spans`, :func:`line_of_offset`) are
offsets in the normalized text.
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Iterable, Sequence


class BlockKind(enum.StrEnum):
    PARAGRAPH = "paragraph"
    SUBHEADING = "subheading"
    PROPOSAL = "proposal"
    RECOMMENDATION = "recommendation"
    LIST_ITEM = "list_item"
    QUOTE = "quote"


def normalize_space(text: str) -> str:
    """The text with every whitespace run read as one space, and no space at either end."""
    return " ".join(text.split())


def line_spans(text: str, width: int) -> list[tuple[int, int]]:
    """(start, end) offsets in ``normalize_space(text)`` of each wrapped line (end exclusive)."""
    if width < 1:
        raise ValueError("the line width must be at least 1")
    normalized = normalize_space(text)
    if not normalized:
        return [(0, 0)]
    spans: list[tuple[int, int]] = []
    line_start = line_end = 0
    position = 0
    for word in normalized.split(" "):
        word_start, word_end = position, position + len(word)
        position = word_end + 1  # one space between words
        if word_start == 0:
            line_end = word_end
        elif word_end - line_start <= width:
            line_end = word_end
        else:
            spans.append((line_start, line_end))
            line_start, line_end = word_start, word_end
    spans.append((line_start, line_end))
    return spans


def wrap(text: str, width: int) -> list[str]:
    """The printed lines of one block at ``width`` characters (never empty)."""
    normalized = normalize_space(text)
    return [normalized[start:end] for start, end in line_spans(normalized, width)]


def line_of_offset(text: str, width: int, offset: int) -> int:
    """0-based index of the wrapped line holding character ``offset`` of the normalized text.

    The space between two lines belongs to the line before; ``offset == len`` is on the last line.
    """
    normalized = normalize_space(text)
    if not 0 <= offset <= len(normalized):
        raise ValueError(f"offset {offset} outside the text (0..{len(normalized)})")
    ends = [end for _, end in line_spans(normalized, width)]
    return bisect.bisect_left(ends, offset)


def number_lines(
    texts: Iterable[str], width: int, first_line: int = 1
) -> list[tuple[int, int]]:
    """Consecutive (line_start, line_end) for each block text, numbering across the whole text."""
    spans = []
    line = first_line
    for text in texts:
        count = len(line_spans(text, width))
        spans.append((line, line + count - 1))
        line += count
    return spans


ROMAN = (
    (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
    (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
)  # fmt: skip


def roman(number: int) -> str:
    """Roman numeral of a positive integer (part numbers: I, II, …)."""
    if number <= 0:
        raise ValueError("roman numerals start at 1")
    out = []
    for value, letters in ROMAN:
        while number >= value:
            out.append(letters)
            number -= value
    return "".join(out)


def proposal_reference(part_number: str, chapter_number: str, index: int) -> str:
    """The stable reference of a proposal: part, chapter, rank in the chapter (``II.5.3``)."""
    parts: Sequence[str] = [p for p in (part_number, chapter_number) if p]
    return ".".join([*parts, str(index)])
