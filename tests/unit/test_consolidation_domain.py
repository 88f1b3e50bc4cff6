"""Consolidation without a database: the next version's blocks, re-anchoring, the diff of two versions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convention.domain.amendments import (
    CONTEXT,
    AmendmentKind,
    Change,
    compute_change,
    delete_block,
    insert_after,
    span_lines,
)
from convention.domain.consolidation import (
    AdoptedChange,
    BlockChange,
    ConflictingChanges,
    NewBlock,
    PendingQuote,
    SourceBlock,
    StaleAdoptedChange,
    UnknownBlock,
    change_at,
    consolidate,
    diff_versions,
    effective_change,
    fresh_anchor,
    inserted_kind,
    reanchor,
    reanchor_all,
    word_hunks,
)
from convention.domain.textstructure import BlockKind, number_lines, wrap

P = BlockKind.PARAGRAPH


def block(anchor: str, text: str, chapter: str = "I-1", kind: BlockKind = P) -> SourceBlock:
    return SourceBlock(anchor, kind, text, chapter)


def modify(text: str, old: str, new: str) -> Change:
    return compute_change(text, text.replace(old, new, 1))


def quote_of(amendment_id: int, source: SourceBlock, change: Change) -> PendingQuote:
    return PendingQuote(amendment_id, source.anchor, source.chapter, change.kind, change.start, change.end,
                        change.original, change.prefix, change.suffix, change.whole_block)  # fmt: skip


A = "La prévention commence dès l'école, avec les familles et les éducateurs de rue."
B = "Créer une maison de la justice et du droit dans chaque département."
C = "Les polices municipales travaillent avec les habitants, sous l'autorité du maire."
BLOCKS = [block("I-1-1", A), block("I-1-2", B, kind=BlockKind.PROPOSAL), block("I-1-3", C)]


# --- consolidating -----------------------------------------------------------------------------


def test_a_modified_block_keeps_its_anchor_and_records_its_amendments():
    first = modify(A, "dès l'école", "dès la crèche")
    second = modify(A, "de rue", "spécialisés")
    result = consolidate(BLOCKS, [AdoptedChange(7, "I-1-1", second), AdoptedChange(3, "I-1-1", first)])
    new = result.blocks[0]
    assert new.anchor == "I-1-1"
    assert new.text == "La prévention commence dès la crèche, avec les familles et les éducateurs spécialisés."
    assert new.change == BlockChange.MODIFIED
    assert new.amendment_ids == (3, 7)
    assert [b.change for b in result.blocks[1:]] == [BlockChange.UNCHANGED, BlockChange.UNCHANGED]
    assert result.blocks[1].text == B and result.deleted == ()


def test_a_deleted_block_is_gone_and_an_inserted_one_gets_a_new_anchor():
    result = consolidate(
        BLOCKS,
        [AdoptedChange(1, "I-1-2", delete_block(B)), AdoptedChange(2, "I-1-2", insert_after(B, "Un.\n\nDeux."))],
    )
    assert [(b.anchor, b.text, b.change) for b in result.blocks] == [
        ("I-1-1", A, BlockChange.UNCHANGED),
        ("I-1-2a", "Un.", BlockChange.INSERTED),
        ("I-1-2b", "Deux.", BlockChange.INSERTED),
        ("I-1-3", C, BlockChange.UNCHANGED),
    ]
    assert result.deleted == (("I-1-2", (1,)),)
    # an insertion after a proposal is a proposal; the block it follows is recorded
    assert {b.kind for b in result.blocks if b.change == BlockChange.INSERTED} == {BlockKind.PROPOSAL}
    assert {b.origin for b in result.blocks if b.change == BlockChange.INSERTED} == {"I-1-2"}
    assert result.blocks[1].amendment_ids == (2,)


def test_an_anchor_once_used_is_never_given_again():
    used = {"I-1-1", "I-1-2", "I-1-3", "I-1-1a", "I-1-1b"}  # I-1-1a was deleted in an earlier version
    result = consolidate(BLOCKS, [AdoptedChange(4, "I-1-1", insert_after(A, "Nouveau."))], used)
    assert result.blocks[1].anchor == "I-1-1c"


def test_fresh_anchors_letters_and_the_fallback():
    used: set[str] = set()
    assert [fresh_anchor("II-5-12", "II-5", used) for _ in range(28)][-3:] == ["II-5-12z", "II-5-12aa", "II-5-12ab"]
    long = "x" * 40
    assert fresh_anchor(long, "II-5", used) == "II-5-n1"
    assert fresh_anchor(long, "II-5", used) == "II-5-n2"


@pytest.mark.parametrize(
    "after, kind",
    [(BlockKind.PROPOSAL, BlockKind.PROPOSAL), (BlockKind.LIST_ITEM, BlockKind.LIST_ITEM),
     (BlockKind.SUBHEADING, P), (BlockKind.RECOMMENDATION, P), (BlockKind.QUOTE, P), (P, P)],
)  # fmt: skip
def test_inserted_kind(after, kind):
    assert inserted_kind(after) == kind


def test_conflicting_adopted_changes_are_refused_with_the_pairs():
    one = modify(A, "dès l'école", "dès la crèche")
    two = modify(A, "l'école, avec", "l'enfance, avec")
    with pytest.raises(ConflictingChanges) as error:
        consolidate(BLOCKS, [AdoptedChange(5, "I-1-1", one), AdoptedChange(2, "I-1-1", two),
                             AdoptedChange(9, "I-1-3", delete_block(C))])  # fmt: skip
    assert error.value.pairs == [(2, 5)]


def test_a_stale_or_misplaced_change_is_refused():
    with pytest.raises(StaleAdoptedChange) as error:
        consolidate(BLOCKS, [AdoptedChange(4, "I-1-3", modify(A, "dès", "depuis"))])
    assert (error.value.amendment_id, error.value.block) == (4, "I-1-3")
    with pytest.raises(UnknownBlock):
        consolidate(BLOCKS, [AdoptedChange(4, "IX-9-9", modify(A, "dès", "depuis"))])


def test_effective_change_takes_the_modified_wording():
    change = modify(A, "dès l'école", "dès la crèche")
    assert effective_change(change, "") is change
    assert change.original == "l'école"
    adopted = effective_change(change, "  la   maternelle ")
    assert (adopted.kind, adopted.replacement, adopted.original) == (
        AmendmentKind.MODIFY, "la maternelle", "l'école")  # fmt: skip
    deletion = effective_change(delete_block(B), "Une maison du droit par département.")
    assert (deletion.kind, deletion.whole_block, deletion.replacement) == (
        AmendmentKind.MODIFY, False, "Une maison du droit par département.")  # fmt: skip
    result = consolidate(BLOCKS, [AdoptedChange(1, "I-1-2", deletion)])
    assert result.blocks[1].text == "Une maison du droit par département."
    insertion = effective_change(insert_after(B, "Un."), "Premier.\n\n\nSecond.")
    assert insertion.replacement == "Premier.\n\nSecond."


# --- re-anchoring --------------------------------------------------------------------------------


def test_a_quote_in_an_unchanged_block_stays_and_one_in_a_changed_block_moves():
    pending = modify(C, "sous l'autorité du maire", "avec le maire")
    mover = modify(A, "les éducateurs", "les médiateurs")
    adopted = modify(A, "La prévention commence", "La prévention de la délinquance commence")
    new = consolidate(BLOCKS, [AdoptedChange(1, "I-1-1", adopted)]).blocks
    found = reanchor(quote_of(10, BLOCKS[2], pending), new)
    assert (found.block, found.start, found.end) == ("I-1-3", pending.start, pending.end)
    moved = reanchor(quote_of(11, BLOCKS[0], mover), new)
    text = new[0].text
    assert moved.block == "I-1-1" and text[moved.start : moved.end] == "éducateurs"
    assert moved.start == mover.start + len(" de la délinquance")
    assert moved.prefix == text[moved.start - CONTEXT : moved.start]


def test_the_context_chooses_among_several_occurrences():
    text = "Le maire agit. Le préfet coordonne, et le maire décide avec le conseil."
    source = block("I-2-1", text, "I-2")
    second = Change(AmendmentKind.MODIFY, text.rindex("maire"), text.rindex("maire") + 5, "maire", "conseil",
                    "coordonne, et le ", " décide avec le conseil.")  # fmt: skip
    new = [block("I-2-1", "Désormais, le maire agit. Le préfet coordonne, et le maire décide avec le conseil.", "I-2")]
    found = reanchor(quote_of(1, source, second), new)
    assert found.start == new[0].text.rindex("maire")


def test_a_quote_found_in_another_block_of_the_chapter_or_else_to_resubmit():
    source = block("I-1-2", B, kind=BlockKind.PROPOSAL)
    pending = modify(B, "dans chaque département", "dans chaque région")
    new = [
        block("I-1-1", A),
        block("I-1-2a", B.replace("Créer", "Ouvrir")),
        block("I-1-3", C),
        block("I-2-1", B, "I-2"),
    ]
    found = reanchor(quote_of(3, source, pending), new)
    assert found.block == "I-1-2a" and found.chapter == "I-1"
    gone = reanchor(quote_of(3, source, pending), [block("I-1-1", A), block("I-2-1", B, "I-2")])
    assert not gone.found and gone.block is None


def test_a_word_is_never_found_inside_another():
    text = "Des écoles ouvertes."
    source = block("I-1-9", "Une école ouverte.")
    pending = modify("Une école ouverte.", "école", "crèche")
    assert not reanchor(quote_of(1, source, pending), [block("I-1-9", text)]).found


def test_insertions_and_whole_block_deletions():
    insertion = insert_after(C, "Un alinéa.")
    deletion = delete_block(B)
    new_c = C.replace("maire", "maire et du préfet")
    new = [block("I-1-1", A), block("I-1-2", B), block("I-1-3", new_c)]
    found = reanchor(quote_of(1, BLOCKS[2], insertion), new)
    assert (found.block, found.start, found.end) == ("I-1-3", len(new_c), len(new_c))
    assert reanchor(quote_of(2, BLOCKS[1], deletion), new).end == len(B)
    changed = [block("I-1-1", A), block("I-1-2", B + " Avant 2030."), block("I-1-3", new_c)]
    assert not reanchor(quote_of(2, BLOCKS[1], deletion), changed).found
    assert not reanchor(quote_of(1, BLOCKS[2], insertion), new[:2]).found


def test_an_insertion_of_words_is_found_by_its_context():
    pending = compute_change(C, C.replace("du maire.", "du maire, garant de la tranquillité."))
    assert pending.original == "" and pending.start == pending.end
    new_c = "Désormais, " + C[0].lower() + C[1:]
    found = reanchor(quote_of(1, BLOCKS[2], pending), [block("I-1-3", new_c)])
    assert found.found and new_c[: found.start].endswith("du maire")
    assert not reanchor(quote_of(1, BLOCKS[2], pending), [block("I-1-3", "Tout autre chose.")]).found


def test_change_at_recomputes_the_quote_and_context():
    pending = modify(C, "sous l'autorité du maire", "avec le maire")
    new_c = "Désormais, " + C
    place = reanchor(quote_of(1, BLOCKS[2], pending), [block("I-1-3", new_c)])
    moved = change_at(quote_of(1, BLOCKS[2], pending), place, new_c, pending.replacement)
    assert moved.original == pending.original and moved.start == pending.start + len("Désormais, ")


# --- diffing ---------------------------------------------------------------------------------------


def test_diff_versions_marks_each_block():
    new = [NewBlock("I-1-1", P, "Changé.", "I-1", "I-1-1", BlockChange.MODIFIED, (1,)),
           NewBlock("I-1-1a", P, "Nouveau.", "I-1", "I-1-1", BlockChange.INSERTED, (2,)),
           NewBlock("I-1-3", P, C, "I-1", "I-1-3", BlockChange.UNCHANGED)]  # fmt: skip
    diffs = diff_versions(BLOCKS, new)
    assert [(d.anchor, d.change) for d in diffs] == [
        ("I-1-1", BlockChange.MODIFIED), ("I-1-1a", BlockChange.INSERTED),
        ("I-1-2", BlockChange.DELETED), ("I-1-3", BlockChange.UNCHANGED),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "before, after, hunks",
    [
        ("a b c d", "a X c d", [(2, 3, "b", "X")]),
        ("a b c d e", "a X Y e", [(2, 7, "b c d", "X Y")]),
        ("a b c d", "a d", [(2, 5, "b c", "")]),
        ("a b", "a", [(2, 3, "b", "")]),
        ("a b", "b", [(0, 1, "a", "")]),
        ("a b", "a X b", [(1, 1, "", "X")]),
        ("a b c d e", "X b c d Y", [(0, 1, "a", "X"), (8, 9, "e", "Y")]),
    ],
)
def test_word_hunks(before, after, hunks):
    assert [(h.start, h.end, h.original, h.replacement) for h in word_hunks(before, after)] == hunks


# --- properties ----------------------------------------------------------------------------------

VOCABULARY = [f"mot{i}" for i in range(400)]


@st.composite
def texts(draw):
    """Blocks in one or two chapters, every word distinct in the whole text."""
    count = draw(st.integers(1, 6))
    sizes = [draw(st.integers(3, 14)) for _ in range(count)]
    words = draw(st.permutations(VOCABULARY))
    blocks, used = [], 0
    for index, size in enumerate(sizes):
        chapter = "I-1" if index < (count + 1) // 2 else "I-2"
        blocks.append(SourceBlock(f"{chapter}-{index + 1}", P, " ".join(words[used : used + size]), chapter))
        used += size
    return blocks


def _offsets(words: list[str]) -> list[tuple[int, int]]:
    spans, position = [], 0
    for word in words:
        spans.append((position, position + len(word)))
        position += len(word) + 1
    return spans


@st.composite
def edits_of(draw, source: SourceBlock, fresh):
    """Non-overlapping changes of one block, each separated from the next by an untouched word."""
    words = source.text.split(" ")
    spans = _offsets(words)
    text = source.text
    changes: list[Change] = []
    if draw(st.integers(0, 9)) == 0:
        changes.append(delete_block(text))
    else:
        index = draw(st.integers(0, 1))
        while index < len(words) - 1:
            kind = draw(st.sampled_from(["modify", "delete", "point", "skip"]))
            if kind == "skip":
                index += draw(st.integers(1, 3))
                continue
            if kind == "point":  # after words[index], which stays, as the next one
                point = spans[index][1]
                replacement = " ".join(next(fresh) for _ in range(draw(st.integers(1, 2))))
                prefix, suffix = text[max(0, point - CONTEXT) : point], text[point : point + CONTEXT]
                changes.append(Change(AmendmentKind.MODIFY, point, point, "", replacement, prefix, suffix))
                index += 2
                continue
            length = draw(st.integers(1, max(1, min(3, len(words) - 1 - index))))
            start, end = spans[index][0], spans[index + length - 1][1]
            replacement = "" if kind == "delete" else " ".join(next(fresh) for _ in range(draw(st.integers(1, 3))))
            prefix, suffix = text[max(0, start - CONTEXT) : start], text[end : end + CONTEXT]
            changes.append(Change(AmendmentKind.DELETE if kind == "delete" else AmendmentKind.MODIFY,
                                  start, end, text[start:end], replacement, prefix, suffix))  # fmt: skip
            index += length + 1
    if draw(st.booleans()) and draw(st.booleans()):
        paragraphs = [
            " ".join(next(fresh) for _ in range(draw(st.integers(1, 4)))) for _ in range(draw(st.integers(1, 2)))
        ]
        changes.append(insert_after(text, "\n\n".join(paragraphs)))
    return changes


def _fresh_words():
    counter = 0
    while True:
        counter += 1
        yield f"neuf{counter}"


@st.composite
def consolidations(draw):
    blocks = draw(texts())
    fresh = _fresh_words()
    adopted, number = [], 0
    for source in blocks:
        for change in draw(edits_of(source, fresh)):
            number += 1
            adopted.append(AdoptedChange(number, source.anchor, change))
    return blocks, adopted


@settings(max_examples=150, deadline=None)
@given(consolidations())
def test_applying_changes_then_diffing_gives_back_exactly_those_changes(case):
    blocks, adopted = case
    result = consolidate(blocks, adopted)
    diffs = {d.anchor: d for d in diff_versions(blocks, result.blocks)}
    by_block: dict[str, list[Change]] = {}
    for item in adopted:
        by_block.setdefault(item.block, []).append(item.change)
    for source in blocks:
        changes = by_block.get(source.anchor, [])
        edits = sorted((c for c in changes if c.kind != AmendmentKind.INSERT), key=lambda c: c.start)
        diff = diffs[source.anchor]
        if any(c.whole_block for c in edits):
            assert diff.change == BlockChange.DELETED
        elif edits:
            assert diff.change == BlockChange.MODIFIED
            assert [(h.start, h.end, h.original, h.replacement) for h in diff.hunks] == [
                (c.start, c.end, c.original, c.replacement) for c in edits
            ]
        else:
            assert diff.change == BlockChange.UNCHANGED
        inserted = [p for c in changes if c.kind == AmendmentKind.INSERT for p in c.replacement.split("\n\n")]
        new_after = [b for b in result.blocks if b.change == BlockChange.INSERTED and b.origin == source.anchor]
        assert [b.text for b in new_after] == inserted
        assert all(diffs[b.anchor].change == BlockChange.INSERTED for b in new_after)
    assert len({b.anchor for b in result.blocks}) == len(result.blocks)


@settings(max_examples=100, deadline=None)
@given(consolidations(), st.data())
def test_reanchoring_after_unrelated_changes_keeps_the_quotes_and_moves_the_lines(case, data):
    blocks, adopted = case
    width = 30
    touched: dict[str, set[int]] = {}
    for item in adopted:
        words = touched.setdefault(item.block, set())
        source = next(b for b in blocks if b.anchor == item.block)
        for i, (s, e) in enumerate(_offsets(source.text.split(" "))):
            c = item.change
            if c.whole_block or (c.kind != AmendmentKind.INSERT and s <= c.end and e >= c.start):
                words.add(i)
    quotes, number = [], 1000
    for source in blocks:
        words = source.text.split(" ")
        free = [i for i in range(len(words)) if i not in touched.get(source.anchor, set())]
        if not free:
            continue
        i = data.draw(st.sampled_from(free))
        start, end = _offsets(words)[i]
        number += 1
        quotes.append(PendingQuote(number, source.anchor, source.chapter, AmendmentKind.MODIFY, start, end,
                                   words[i], source.text[max(0, start - CONTEXT) : start],
                                   source.text[end : end + CONTEXT]))  # fmt: skip
    result = consolidate(blocks, adopted)
    new_blocks = list(result.blocks)
    spans = number_lines([b.text for b in new_blocks], width)
    line_start = {b.anchor: first for b, (first, _) in zip(new_blocks, spans, strict=True)}
    # Every printed line of the new version, to find each (unique) word's line independently.
    line_of_word: dict[str, int] = {}
    for b, (first, _) in zip(new_blocks, spans, strict=True):
        for offset, line in enumerate(wrap(b.text, width)):
            for word in line.split(" "):
                line_of_word[word] = first + offset
    for quote, place in zip(quotes, reanchor_all(quotes, new_blocks), strict=True):
        assert place.found and place.block == quote.block
        text = next(b.text for b in new_blocks if b.anchor == place.block)
        assert text[place.start : place.end] == quote.original
        first, last = span_lines(text, width, line_start[place.block], place.start, place.end)
        assert first == last == line_of_word[quote.original]


@settings(max_examples=60, deadline=None)
@given(consolidations(), consolidations())
def test_anchors_are_never_reused_across_versions(first_case, second_case):
    blocks, adopted = first_case
    used = {b.anchor for b in blocks}
    v2 = consolidate(blocks, adopted, used)
    new_anchors = {b.anchor for b in v2.blocks} - {b.anchor for b in blocks}
    assert not new_anchors & used
    used |= v2.anchors
    # A second round on version 2: insert after and delete each block in turn.
    fresh = _fresh_words()
    v2_blocks = [SourceBlock(b.anchor, b.kind, b.text, b.chapter) for b in v2.blocks]
    changes = []
    for n, b in enumerate(v2_blocks):
        if n % 2:
            changes.append(AdoptedChange(100 + n, b.anchor, delete_block(b.text)))
        changes.append(AdoptedChange(200 + n, b.anchor, insert_after(b.text, next(fresh))))
    v3 = consolidate(v2_blocks, changes, used)
    created = {b.anchor for b in v3.blocks if b.change == BlockChange.INSERTED}
    assert len(created) == len(v2_blocks)
    assert not created & used
    assert len({b.anchor for b in v3.blocks}) == len(v3.blocks)
