"""Emphasis (bold, italic) kept beside a block's plain text, as spans of offsets.

Pure Python. Amendments quote the plain text, count their offsets in it and cite its numbered
lines, so the plain text never carries markers: the words a document sets in bold or italic are
kept as ``(start, end, kind)`` spans over it (``end`` exclusive, ``kind`` ``strong`` or ``em``),
never starting or ending on a space. The readers give spans over the text of an element; the
parser moves them onto the block's text (spaces collapsed, a typed « - » left out) with
:func:`remap_spans`; a Markdown or plain-text source gives its ``**gras**`` with
:func:`markdown_emphasis`.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence

STRONG = "strong"
EM = "em"
KINDS = (STRONG, EM)

Span = tuple[int, int, str]

# What ``textimport.clean_inline`` takes out of a Markdown line: ``**gras**`` / ``__gras__``, then escapes.
MARKDOWN_STRONG = re.compile(r"(\*\*|__)(.+?)\1")
MARKDOWN_ESCAPABLE = frozenset("\\`*_{}[]()#+-.!>")


def spans_of_flags(text: str, flags: dict[str, Sequence[bool]]) -> tuple[Span, ...]:
    """The maximal runs of each kind's flagged characters of ``text``, trimmed of their spaces."""
    spans: list[Span] = []
    for kind in KINDS:
        marks = flags.get(kind, ())
        start = None
        for index in range(len(text) + 1):
            on = index < len(text) and index < len(marks) and bool(marks[index])
            if on and start is None:
                start = index
            elif not on and start is not None:
                span = _trimmed(text, start, index, kind)
                if span is not None:
                    spans.append(span)
                start = None
    return tuple(sorted(spans))


def _trimmed(text: str, start: int, end: int, kind: str) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end, kind) if start < end else None


def runs_emphasis(pieces: Iterable[tuple[str, bool, bool]]) -> tuple[Span, ...]:
    """Spans over ``"".join(text for text, _bold, _italic in pieces)`` of its bold and italic runs."""
    text: list[str] = []
    strong: list[bool] = []
    em: list[bool] = []
    for piece, bold, italic in pieces:
        text.append(piece)
        strong.extend([bold] * len(piece))
        em.extend([italic] * len(piece))
    return spans_of_flags("".join(text), {STRONG: strong, EM: em})


def markdown_emphasis(raw: str) -> tuple[str, tuple[Span, ...]]:
    """``raw`` without its ``**gras**`` markers and Markdown escapes, and the spans of its bold words.

    The same reading as :func:`convention.domain.textimport.clean_inline` (before its spaces are
    collapsed): a single ``*`` stays in the text, so it gives no italic.
    """
    chars: list[str] = []
    strong: list[bool] = []

    def add(piece: str, on: bool) -> None:
        chars.extend(piece)
        strong.extend([on] * len(piece))

    position = 0
    for match in MARKDOWN_STRONG.finditer(raw):
        add(raw[position : match.start()], False)
        add(match.group(2), True)
        position = match.end()
    add(raw[position:], False)
    text: list[str] = []
    flags: list[bool] = []
    index = 0
    while index < len(chars):
        if chars[index] == "\\" and index + 1 < len(chars) and chars[index + 1] in MARKDOWN_ESCAPABLE:
            index += 1
        text.append(chars[index])
        flags.append(strong[index])
        index += 1
    plain = "".join(text)
    return plain, spans_of_flags(plain, {STRONG: flags})


def remap_spans(spans: Iterable[Span], source: str, target: str) -> tuple[Span, ...]:
    """``spans`` over ``source`` moved onto ``target``, the same words with other spaces (or a prefix left out).

    ``target``'s characters other than spaces must be those of ``source`` (all, or the end of
    them when a prefix such as a typed « - » was left out); otherwise nothing is kept: no span
    is ever placed on words it was not given for.
    """
    spans = list(spans)
    if not spans:
        return ()
    source_at = [index for index, char in enumerate(source) if not char.isspace()]
    target_at = [index for index, char in enumerate(target) if not char.isspace()]
    source_chars = "".join(source[index] for index in source_at)
    target_chars = "".join(target[index] for index in target_at)
    if not target_chars:
        return ()
    if source_chars.endswith(target_chars):
        shift = len(source_chars) - len(target_chars)
    else:
        shift = source_chars.find(target_chars)
        if shift < 0:
            return ()
    moved: list[Span] = []
    for start, end, kind in spans:
        first = bisect.bisect_left(source_at, start) - shift  # first character at or after ``start``
        last = bisect.bisect_left(source_at, end) - 1 - shift  # last character before ``end``
        first, last = max(first, 0), min(last, len(target_at) - 1)
        if first <= last:
            moved.append((target_at[first], target_at[last] + 1, kind))
    return tuple(sorted(set(moved)))


def valid_spans(spans: Iterable[Sequence], text: str) -> tuple[Span, ...]:
    """The well-formed spans of ``spans`` over ``text`` (stored or sent ones): others are dropped."""
    kept: list[Span] = []
    for span in spans or ():
        try:
            start, end, kind = span
        except (TypeError, ValueError):
            continue
        if (
            isinstance(start, int)
            and isinstance(end, int)
            and not isinstance(start, bool)
            and not isinstance(end, bool)
            and kind in KINDS
            and 0 <= start < end <= len(text)
        ):
            kept.append((start, end, kind))
    return tuple(sorted(set(kept)))
