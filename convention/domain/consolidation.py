"""The next version of a text from its adopted amendments, without a database.

Consolidating. :func:`consolidate` takes the blocks of a version (stable anchor, kind, text,
chapter) and the adopted changes (each a :class:`~convention.domain.amendments.Change` with the
amendment's id and its block's anchor) and gives the blocks of the next version:

- a block that is changed keeps its anchor; several non-overlapping changes to one block are
  applied together (:func:`~convention.domain.amendments.apply_changes`);
- a block deleted as a whole is gone, and its anchor is never given to another block;
- an inserted paragraph gets a new anchor made from the block it follows and a letter
  (« II-5-12a », « II-5-12b »…; after « II-5-12a », « II-5-12aa »…), never one already used in
  the text: every anchor ever used is an input;
- each new block records the amendments that changed it.

Two adopted changes that conflict (:func:`~convention.domain.amendments.conflicts`) are refused
with :class:`ConflictingChanges`, which lists the pairs.

Re-anchoring. An amendment still pending on the old version quotes its passage with a little
context (prefix and suffix, as Web Annotation's TextQuoteSelector). :func:`reanchor` finds the
quoted words again in the same block of the new version (the context chooses among several
occurrences, then the nearest to the old place), or else in another block of the same
chapter, where some context must agree too unless the quotation is long; otherwise the
amendment is « à redéposer ». An insertion follows its block wherever it is; a whole-block
deletion needs the paragraph unchanged.

Diffing. :func:`diff_versions` compares two lists of blocks by anchor (unchanged, modified,
inserted, deleted) and gives, for a modified block, the word-level hunks in the old text.
All offsets are in ``normalize_space(text)``, as everywhere in the amendments.
"""

from __future__ import annotations

import difflib
import enum
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from convention.domain.amendments import (
    CONTEXT,
    AmendmentKind,
    Change,
    StaleChange,
    anchor_of,
    apply_changes,
    conflicts,
    split_paragraphs,
    tokenize,
)
from convention.domain.errors import DomainError
from convention.domain.textstructure import BlockKind, normalize_space

MAX_ANCHOR_LENGTH = 40  # the column's length
# A quotation at least this long is found in another block of the chapter without its context.
DISTINCTIVE_QUOTE = 30
# Characters of context that must agree to accept a match in another block (or a point).
MIN_CONTEXT = 8


class BlockChange(enum.StrEnum):
    UNCHANGED = "unchanged"
    MODIFIED = "modified"
    INSERTED = "inserted"
    DELETED = "deleted"


@dataclass(frozen=True)
class SourceBlock:
    """One block of a version, as consolidation and re-anchoring read it."""

    anchor: str
    kind: BlockKind
    text: str
    chapter: str  # the chapter's anchor


@dataclass(frozen=True)
class AdoptedChange:
    """An adopted amendment's change (with its final wording) on one block of the version."""

    amendment_id: int
    block: str
    change: Change


@dataclass(frozen=True)
class NewBlock:
    """One block of the next version."""

    anchor: str
    kind: BlockKind
    text: str
    chapter: str
    origin: str  # the old block it continues (itself) or, for an inserted block, the block it follows
    change: BlockChange  # UNCHANGED, MODIFIED or INSERTED
    amendment_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Consolidation:
    blocks: tuple[NewBlock, ...]
    deleted: tuple[tuple[str, tuple[int, ...]], ...]  # (anchor, amendment ids) of the blocks gone

    @property
    def anchors(self) -> set[str]:
        return {b.anchor for b in self.blocks}


class ConflictingChanges(DomainError):
    """Two adopted amendments touch the same passage: the text cannot be consolidated."""

    def __init__(self, pairs: Sequence[tuple[int, int]]) -> None:
        self.pairs = list(pairs)
        super().__init__(f"conflicting adopted changes: {self.pairs}")


class StaleAdoptedChange(DomainError):
    """An adopted change no longer matches its block (its passage is not where it says)."""

    def __init__(self, amendment_id: int, block: str) -> None:
        self.amendment_id = amendment_id
        self.block = block
        super().__init__(f"the change of amendment {amendment_id} does not match block {block}")


class UnknownBlock(DomainError):
    """An adopted change names a block that is not in the version."""

    def __init__(self, amendment_id: int, block: str) -> None:
        self.amendment_id = amendment_id
        self.block = block
        super().__init__(f"amendment {amendment_id} names block {block}, which is not in the version")


# --- the final wording of an adopted amendment ------------------------------------------------


def effective_change(change: Change, modified_wording: str = "") -> Change:
    """The change as adopted: ``modified_wording`` (adopted as modified) replaces its words.

    For an insertion the wording is the new paragraph(s); for a modification, the words that
    replace the passage; a deletion adopted with a wording becomes the replacement of the
    passage (of the whole paragraph for a whole-block deletion).
    """
    if not normalize_space(modified_wording or ""):
        return change
    if change.kind == AmendmentKind.INSERT:
        return Change(
            AmendmentKind.INSERT,
            change.start,
            change.end,
            "",
            "\n\n".join(split_paragraphs(modified_wording)),
            change.prefix,
            change.suffix,
        )
    return Change(
        AmendmentKind.MODIFY,
        change.start,
        change.end,
        change.original,
        normalize_space(modified_wording),
        change.prefix,
        change.suffix,
        whole_block=False,
    )


# --- consolidating ------------------------------------------------------------------------------


def inserted_kind(after: BlockKind) -> BlockKind:
    """The kind of a paragraph inserted after a block of kind ``after``."""
    if after in (BlockKind.PROPOSAL, BlockKind.LIST_ITEM):
        return after
    return BlockKind.PARAGRAPH


def _letters(number: int) -> str:
    """1 → a, 26 → z, 27 → aa (bijective base 26)."""
    out = []
    while number > 0:
        number, rest = divmod(number - 1, 26)
        out.append(chr(ord("a") + rest))
    return "".join(reversed(out))


def fresh_anchor(after: str, chapter: str, used: set[str]) -> str:
    """A new anchor for a block inserted after the block ``after``, not in ``used`` (added to it)."""
    number = 1
    while True:
        candidate = f"{after}{_letters(number)}"
        if len(candidate) > MAX_ANCHOR_LENGTH:
            break
        if candidate not in used:
            used.add(candidate)
            return candidate
        number += 1
    number = 1
    while True:  # a long chain of insertions: fall back to a counter in the chapter
        candidate = f"{chapter}-n{number}"
        if candidate not in used:
            used.add(candidate)
            return candidate
        number += 1


def consolidate(
    blocks: Sequence[SourceBlock], changes: Iterable[AdoptedChange], used_anchors: Iterable[str] = ()
) -> Consolidation:
    """The blocks of the next version once ``changes`` are applied to ``blocks``.

    ``used_anchors``: every block anchor the text has ever used (the version's own are added).
    Raise ConflictingChanges, UnknownBlock or StaleAdoptedChange.
    """
    changes = list(changes)
    pairs = conflicts(anchor_of(c.amendment_id, c.block, c.change) for c in changes)
    if pairs:
        raise ConflictingChanges(pairs)
    known = {b.anchor for b in blocks}
    by_block: dict[str, list[AdoptedChange]] = defaultdict(list)
    for adopted in changes:
        if adopted.block not in known:
            raise UnknownBlock(adopted.amendment_id, adopted.block)
        by_block[adopted.block].append(adopted)
    used = set(used_anchors) | known
    result: list[NewBlock] = []
    deleted: list[tuple[str, tuple[int, ...]]] = []
    for block in blocks:
        mine = sorted(by_block.get(block.anchor, ()), key=lambda c: c.amendment_id)
        edits = [c for c in mine if c.change.kind != AmendmentKind.INSERT]
        inserts = [c for c in mine if c.change.kind == AmendmentKind.INSERT]
        if not edits:
            result.append(NewBlock(block.anchor, block.kind, block.text, block.chapter, block.anchor,
                                   BlockChange.UNCHANGED))  # fmt: skip
        else:
            try:
                head = apply_changes(block.text, [c.change for c in edits])
            except StaleChange:
                for c in edits:  # name the stale one
                    try:
                        apply_changes(block.text, [c.change])
                    except StaleChange:
                        raise StaleAdoptedChange(c.amendment_id, block.anchor) from None
                raise  # pragma: no cover - one of them is stale
            ids = tuple(c.amendment_id for c in edits)
            if head:
                result.append(NewBlock(block.anchor, block.kind, head[0], block.chapter, block.anchor,
                                       BlockChange.MODIFIED, ids))  # fmt: skip
            else:
                deleted.append((block.anchor, ids))
        kind = inserted_kind(block.kind)
        for adopted in inserts:
            for paragraph in adopted.change.replacement.split("\n\n"):
                if not paragraph:
                    continue
                anchor = fresh_anchor(block.anchor, block.chapter, used)
                result.append(NewBlock(anchor, kind, paragraph, block.chapter, block.anchor,
                                       BlockChange.INSERTED, (adopted.amendment_id,)))  # fmt: skip
    return Consolidation(tuple(result), tuple(deleted))


# --- re-anchoring pending amendments ----------------------------------------------------------------


@dataclass(frozen=True)
class PendingQuote:
    """Where a pending amendment stands on the old version (its TextQuoteSelector)."""

    amendment_id: int
    block: str
    chapter: str
    kind: AmendmentKind
    start: int
    end: int
    original: str
    prefix: str = ""
    suffix: str = ""
    whole_block: bool = False


@dataclass(frozen=True)
class Reanchoring:
    """Where the amendment stands on the new version; ``block`` None: « à redéposer »."""

    amendment_id: int
    block: str | None
    chapter: str | None = None
    start: int = 0
    end: int = 0
    prefix: str = ""
    suffix: str = ""

    @property
    def found(self) -> bool:
        return self.block is not None


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _common_suffix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(reversed(a), reversed(b), strict=False):
        if x != y:
            break
        n += 1
    return n


def _is_word_char(char: str) -> bool:
    return char.isalnum()


def _aligned(text: str, start: int, end: int) -> bool:
    """No word is cut at either end of text[start:end]."""
    if start > 0 and end > start and _is_word_char(text[start - 1]) and _is_word_char(text[start]):
        return False
    if end < len(text) and end > start and _is_word_char(text[end - 1]) and _is_word_char(text[end]):
        return False
    return True


def _occurrences(text: str, quote: PendingQuote) -> list[tuple[int, int]]:
    """Candidate spans of the quotation in ``text`` (points for an insertion of words)."""
    found: list[tuple[int, int]] = []
    if quote.original:
        index = text.find(quote.original)
        while index != -1:
            end = index + len(quote.original)
            if _aligned(text, index, end):
                found.append((index, end))
            index = text.find(quote.original, index + 1)
        return found
    # A point: right after the last token of the prefix (or at the start of the paragraph).
    tokens = [t for t in tokenize(quote.prefix.rstrip(" ")) if not t.isspace()]
    if not tokens:
        return [(0, 0)]
    last = tokens[-1]
    index = text.find(last)
    while index != -1:
        end = index + len(last)
        if _aligned(text, index, end):
            found.append((end, end))
        index = text.find(last, index + 1)
    return found


def _score(text: str, start: int, end: int, quote: PendingQuote) -> int:
    """How many characters of context agree around text[start:end]."""
    return _common_suffix(text[:start], quote.prefix) + _common_prefix(text[end:], quote.suffix)


def _needed_context(quote: PendingQuote) -> int:
    return min(len(quote.prefix) + len(quote.suffix), MIN_CONTEXT)


def _context(text: str, start: int, end: int) -> tuple[str, str]:
    return text[max(0, start - CONTEXT) : start], text[end : end + CONTEXT]


def _found(quote: PendingQuote, block: SourceBlock | NewBlock, text: str, start: int, end: int) -> Reanchoring:
    prefix, suffix = _context(text, start, end)
    return Reanchoring(quote.amendment_id, block.anchor, block.chapter, start, end, prefix, suffix)


class _Index:
    """The new version's blocks by anchor and by chapter, with their normalized texts."""

    def __init__(self, blocks: Sequence[SourceBlock | NewBlock]) -> None:
        self.by_anchor = {b.anchor: b for b in blocks}
        self.texts = {b.anchor: normalize_space(b.text) for b in blocks}
        self.by_chapter: dict[str, list[SourceBlock | NewBlock]] = defaultdict(list)
        for block in blocks:
            self.by_chapter[block.chapter].append(block)


def _reanchor(quote: PendingQuote, index: _Index) -> Reanchoring:
    same = index.by_anchor.get(quote.block)
    if quote.kind == AmendmentKind.INSERT:
        if same is None:
            return Reanchoring(quote.amendment_id, None)
        text = index.texts[same.anchor]
        return _found(quote, same, text, len(text), len(text))
    if quote.whole_block:
        original = normalize_space(quote.original)
        candidates = ([same] if same is not None else []) + index.by_chapter.get(quote.chapter, [])
        for block in candidates:
            text = index.texts[block.anchor]
            if text == original:
                return _found(quote, block, text, 0, len(text))
        return Reanchoring(quote.amendment_id, None)
    needed = _needed_context(quote)
    if same is not None:
        text = index.texts[same.anchor]
        best: tuple[int, int, int, int] | None = None  # (-score, distance, start, end)
        for start, end in _occurrences(text, quote):
            score = _score(text, start, end, quote)
            if not quote.original and score < needed:
                continue
            key = (-score, abs(start - quote.start), start, end)
            if best is None or key < best:
                best = key
        if best is not None:
            return _found(quote, same, text, best[2], best[3])
    best_elsewhere: tuple[int, int, SourceBlock | NewBlock, int, int] | None = None
    for position, block in enumerate(index.by_chapter.get(quote.chapter, [])):
        if block.anchor == quote.block:
            continue
        text = index.texts[block.anchor]
        for start, end in _occurrences(text, quote):
            score = _score(text, start, end, quote)
            if score < needed and len(quote.original) < DISTINCTIVE_QUOTE:
                continue
            if best_elsewhere is None or (-score, position) < (-best_elsewhere[0], best_elsewhere[1]):
                best_elsewhere = (score, position, block, start, end)
    if best_elsewhere is not None:
        _, _, block, start, end = best_elsewhere
        return _found(quote, block, index.texts[block.anchor], start, end)
    return Reanchoring(quote.amendment_id, None)


def reanchor(quote: PendingQuote, blocks: Sequence[SourceBlock | NewBlock]) -> Reanchoring:
    """Where the pending amendment ``quote`` stands on the version made of ``blocks``."""
    return _reanchor(quote, _Index(blocks))


def reanchor_all(quotes: Iterable[PendingQuote], blocks: Sequence[SourceBlock | NewBlock]) -> list[Reanchoring]:
    """:func:`reanchor` for many amendments (the blocks are indexed once)."""
    index = _Index(blocks)
    return [_reanchor(quote, index) for quote in quotes]


def change_at(quote: PendingQuote, place: Reanchoring, text: str, replacement: str) -> Change:
    """The amendment's change at its new place (to compute its lines and citation again)."""
    normalized = normalize_space(text)
    return Change(
        quote.kind,
        place.start,
        place.end,
        normalized[place.start : place.end] if quote.kind != AmendmentKind.INSERT else "",
        replacement,
        place.prefix,
        place.suffix,
        whole_block=quote.whole_block,
    )


# --- the difference between two versions --------------------------------------------------------


@dataclass(frozen=True)
class Hunk:
    """One changed passage of a block: [start, end) of the old text replaced by ``replacement``."""

    start: int
    end: int
    original: str
    replacement: str


@dataclass(frozen=True)
class BlockDiff:
    anchor: str
    change: BlockChange
    before: str  # normalized; "" for an inserted block
    after: str  # normalized; "" for a deleted block
    hunks: tuple[Hunk, ...] = ()


def _hunk(a: str, b: str, i1: int, i2: int, j1: int, j2: int) -> Hunk:
    original, replacement = a[i1:i2], b[j1:j2]
    start = i1 + len(original) - len(original.lstrip(" "))
    original, replacement = original.strip(" "), replacement.strip(" ")
    end = start + len(original)
    if not original:
        start = end = min(start, len(a))
        while start > 0 and a[start - 1] == " ":  # a point follows the word before it
            start = end = start - 1
    return Hunk(start, end, original, replacement)


def word_hunks(before: str, after: str) -> list[Hunk]:
    """The changed passages turning ``before`` into ``after`` (normalized), word by word.

    Neighbouring changes separated by spaces only are one passage.
    """
    a, b = normalize_space(before), normalize_space(after)
    ta, tb = tokenize(a), tokenize(b)
    ca, cb = [0], [0]
    for token in ta:
        ca.append(ca[-1] + len(token))
    for token in tb:
        cb.append(cb[-1] + len(token))
    regions: list[list[int]] = []  # [i1, i2, j1, j2] in tokens
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, ta, tb, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        if regions:
            last = regions[-1]
            between = ta[last[1] : i1]
            if all(t.isspace() for t in between):
                last[1], last[3] = i2, j2
                continue
        regions.append([i1, i2, j1, j2])
    return [_hunk(a, b, ca[i1], ca[i2], cb[j1], cb[j2]) for i1, i2, j1, j2 in regions]


def diff_versions(old: Sequence[SourceBlock | NewBlock], new: Sequence[SourceBlock | NewBlock]) -> list[BlockDiff]:
    """Every block of either version by anchor, in reading order (a deleted block where it was)."""
    old_by_anchor = {b.anchor: b for b in old}
    new_anchors = {b.anchor for b in new}
    old_order = [b.anchor for b in old]
    emitted: set[str] = set()
    diffs: list[BlockDiff] = []
    cursor = 0

    def flush_deleted(until: int) -> None:
        nonlocal cursor
        while cursor < until:
            anchor = old_order[cursor]
            cursor += 1
            if anchor not in new_anchors and anchor not in emitted:
                emitted.add(anchor)
                diffs.append(BlockDiff(anchor, BlockChange.DELETED, normalize_space(old_by_anchor[anchor].text), ""))

    positions = {anchor: i for i, anchor in enumerate(old_order)}
    for block in new:
        after = normalize_space(block.text)
        previous = old_by_anchor.get(block.anchor)
        if previous is None:
            diffs.append(BlockDiff(block.anchor, BlockChange.INSERTED, "", after))
            continue
        flush_deleted(positions[block.anchor])
        cursor = max(cursor, positions[block.anchor] + 1)
        before = normalize_space(previous.text)
        if before == after:
            diffs.append(BlockDiff(block.anchor, BlockChange.UNCHANGED, before, after))
        else:
            diffs.append(BlockDiff(block.anchor, BlockChange.MODIFIED, before, after, tuple(word_hunks(before, after))))
    flush_deleted(len(old_order))
    return diffs
