"""Publishing results per unit without breaking the secrecy of the vote (small or unanimous cells merged)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from convention.domain.counting import Question, Tally, VoteMethod
from convention.domain.disclosure import (
    Cell,
    disclose,
    disclosure_rule,
    is_publishable,
    publishable_cells,
    totals,
)

TEXT = Question(VoteMethod.YES_NO_ABSTAIN)
WORDING = Question(VoteMethod.SINGLE, ("A", "B"))
OTHERS = "Autres sections de la fédération de l'Isère"


def section(number: int, yes: int, no: int, blank: int = 0, registered: int | None = None, **extra: int) -> Cell:
    tally = Tally.empty(TEXT)
    tally.add_tallies(votes={"yes": yes, "no": no}, blank=blank)
    tallies = {1: tally}
    if extra:
        wording = Tally.empty(WORDING)
        wording.add_tallies(votes=extra)
        tallies[2] = wording
    ballots = yes + no + blank
    return Cell(
        key=("section", number),
        label=f"Section {number}",
        level="section",
        registered=registered if registered is not None else 2 * ballots + 1,
        ballots=ballots,
        tallies=tallies,
        parent=("federation", 38),
    )


def keys(cells) -> list:
    return [c.members if c.is_merged else c.key for c in cells]


def test_every_fine_cell_is_published_as_is():
    cells = [section(1, 8, 4), section(2, 6, 6)]
    published = publishable_cells(cells, merged_label=OTHERS)
    assert keys(published) == [("section", 1), ("section", 2)]
    assert not any(c.is_merged for c in published)


def test_small_and_unanimous_cells_are_merged_together():
    cells = [section(1, 8, 4), section(2, 3, 2), section(3, 12, 0), section(4, 5, 5)]
    published = publishable_cells(cells, merged_label=OTHERS)
    # 2 is too small, 3 is unanimous (12 « Pour »); merged: 17 ballots, 15 Pour and 2 Contre, fine.
    assert keys(published) == [("section", 1), ("section", 4), (("section", 2), ("section", 3))]
    merged = published[-1]
    assert (merged.label, merged.ballots, merged.is_merged, merged.parent) == (OTHERS, 17, True, ("federation", 38))
    assert merged.tallies[1].votes == {"yes": 15, "no": 2, "abstain": 0}


def test_the_smallest_published_cells_join_a_merged_cell_that_is_still_too_small():
    cells = [section(1, 30, 10), section(2, 2, 1), section(3, 6, 5), section(4, 9, 3)]
    published = publishable_cells(cells, merged_label=OTHERS)
    # 2 alone (3 ballots) is too small: the smallest published cell (3, 11 ballots) joins it.
    assert keys(published) == [("section", 1), ("section", 4), (("section", 2), ("section", 3))]


def test_a_merged_cell_that_is_unanimous_takes_in_another_cell():
    cells = [section(1, 6, 0), section(2, 5, 0), section(3, 7, 6), section(4, 20, 20)]
    published = publishable_cells(cells, merged_label=OTHERS)
    # 1 and 2 together: 11 ballots, all « Pour » — still revealing; section 3 (13 ballots) joins.
    assert keys(published) == [("section", 4), (("section", 1), ("section", 2), ("section", 3))]
    assert all(is_publishable(c) for c in published)


def test_nothing_is_published_when_even_everything_merged_is_not_fine():
    cells = [section(1, 3, 0), section(2, 4, 0)]
    assert publishable_cells(cells, merged_label=OTHERS) == []
    disclosure = disclose(cells, merged_label=OTHERS)
    assert disclosure.withheld is True
    assert disclosure.cells == []
    # Turnout stays published per unit.
    assert [(t.key, t.registered, t.voters) for t in disclosure.turnout] == [
        (("section", 1), 7, 3),
        (("section", 2), 9, 4),
    ]


def test_every_question_counts():
    # Section 1 is fine on the text but unanimous on the wording (all « A »): merged.
    cells = [section(1, 8, 4, A=12), section(2, 10, 5, A=7, B=8), section(3, 7, 6, A=6, B=7)]
    published = publishable_cells(cells, merged_label=OTHERS)
    assert keys(published) == [("section", 2), (("section", 1), ("section", 3))]


def test_the_rule_is_given_in_french_with_the_threshold():
    assert disclosure_rule(10).startswith(
        "Pour protéger le secret du vote, les résultats d'une unité de moins de 10 bulletins ou dont tous les "
        "bulletins sont identiques sont regroupés"
    )
    disclosure = disclose([section(1, 8, 4)], threshold=5, merged_label=OTHERS)
    assert "moins de 5 bulletins" in disclosure.rule
    assert disclosure.withheld is False
    assert disclosure.merged is None


def test_an_empty_level_publishes_nothing_and_withholds_nothing():
    disclosure = disclose([], merged_label=OTHERS)
    assert (disclosure.cells, disclosure.turnout, disclosure.withheld) == ([], [], False)


CELLS = st.lists(
    st.tuples(st.integers(0, 14), st.integers(0, 14), st.integers(0, 3), st.integers(0, 6), st.integers(0, 6)),
    max_size=9,
)


@settings(max_examples=300, deadline=None)
@given(figures=CELLS, threshold=st.integers(1, 15))
def test_property_nothing_published_is_small_or_revealing_and_sums_are_kept(figures, threshold):
    cells = [
        section(i, yes, no, blank, **({"A": a, "B": b} if a + b else {}))
        for i, (yes, no, blank, a, b) in enumerate(figures)
    ]
    published = publishable_cells(cells, threshold=threshold, merged_label=OTHERS)
    for cell in published:
        assert cell.ballots >= threshold
        for tally in cell.tallies.values():
            assert tally.ballots == 0 or (tally.ballots >= threshold and not tally.is_revealing())
    if published:
        # Every unit is in exactly one published cell, and the published cells add up to the totals.
        members = [key for cell in published for key in cell.members]
        assert sorted(members) == sorted(c.key for c in cells)
        assert totals(published) == totals(cells)
        assert sum(1 for c in published if c.is_merged) <= 1
    else:
        # Withheld only when even the whole level, merged, is not fine.
        whole = Cell(("all",), "Tout", "section", *totals(cells)[:2], dict(totals(cells)[2]))
        assert not cells or not is_publishable(whole, threshold)
