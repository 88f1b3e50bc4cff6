"""Structure of a text: block kinds, line numbering and proposal references."""

from __future__ import annotations

import enum
import textwrap
from collections.abc import Iterable, Sequence


class BlockKind(enum.StrEnum):
    PARAGRAPH = "paragraph"
    SUBHEADING = "subheading"
    PROPOSAL = "proposal"
    RECOMMENDATION = "recommendation"
    LIST_ITEM = "list_item"
    QUOTE = "quote"


def wrap(text: str, width: int) -> list[str]:
    """The printed lines of one block at ``width`` characters (never empty)."""
    lines = textwrap.wrap(text, width=width, break_long_words=False, break_on_hyphens=False)
    return lines or [""]


def number_lines(
    texts: Iterable[str], width: int, first_line: int = 1
) -> list[tuple[int, int]]:
    """Consecutive (line_start, line_end) for each block text, numbering across the whole text."""
    spans = []
    line = first_line
    for text in texts:
        count = len(wrap(text, width))
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
