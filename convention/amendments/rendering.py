"""What the pages show of an amendment: its diff in the paragraph, the text lines with numbers."""

from __future__ import annotations

from dataclasses import dataclass

from convention.domain import amendments as domain
from convention.domain.amendments import AmendmentKind
from convention.domain.textstructure import line_spans, normalize_space

CLOSING = tuple(",.)]…")


@dataclass(frozen=True)
class Shown:
    """The paragraph with the change marked: segments of (op, text), and inserted paragraphs."""

    segments: list[tuple[str, str]]
    inserted: list[str]
    whole_block_deleted: bool


def shown_change(block_text: str, kind: AmendmentKind, start: int, end: int, replacement: str,
                 whole_block: bool = False) -> Shown:
    """The paragraph as the amendment would change it: deleted words struck, added ones underlined.

    Only the span's words are diffed; the rest of the paragraph is shown as it is, so the
    reader sees the change in its sentence.
    """
    text = normalize_space(block_text)
    if kind == AmendmentKind.INSERT:
        return Shown([("equal", text)], [p for p in replacement.split("\n\n") if p], False)
    if whole_block:
        return Shown([("delete", text)], [], True)
    segments: list[tuple[str, str]] = []
    before, middle, after = text[:start], text[start:end], text[end:]
    if before:
        segments.append(("equal", before))
    if middle and replacement:
        segments.extend(domain.word_diff(middle, replacement))
    elif middle:
        segments.append(("delete", middle))
    elif replacement:
        # A word insertion at a point: keep a space between the context and the new words.
        # (French typography, as the domain applies it: no space before , . ) ] … nor after ( [)
        lead = " " if before and not before.endswith((" ", "(", "[")) and replacement[0] not in CLOSING else ""
        trail = " " if after and not after.startswith((" ", *CLOSING)) and replacement[-1] not in "([" else ""
        segments.append(("insert", f"{lead}{replacement}{trail}"))
    if after:
        segments.append(("equal", after))
    return Shown(segments, [], False)


def shown_amendment(amendment, block_text: str | None, wording: str | None = None) -> Shown:
    """``shown_change`` for a stored amendment (``wording`` to show another text, e.g. a rectification)."""
    replacement = amendment.replacement if wording is None else wording
    if block_text is None:  # the block is not in the version any more: show the quote alone
        block_text = f"{amendment.prefix}{amendment.original}{amendment.suffix}"
        start = len(amendment.prefix)
        return shown_change(block_text, amendment.kind, start, start + len(amendment.original), replacement,
                            amendment.is_whole_block)
    return shown_change(block_text, amendment.kind, amendment.span_start, amendment.span_end, replacement,
                        amendment.is_whole_block)


@dataclass(frozen=True)
class NumberedLine:
    number: int
    text: str


def numbered_lines(block_text: str, width: int, first_line: int) -> list[NumberedLine]:
    """The block's lines as the line rule cuts them, each with its number in the version."""
    text = normalize_space(block_text)
    return [
        NumberedLine(first_line + index, text[start:end])
        for index, (start, end) in enumerate(line_spans(text, width))
    ]
