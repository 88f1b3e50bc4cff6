import pytest

from convention.domain.errors import IllegalTransition
from convention.domain.lifecycle import (
    CONTRIBUTION_TRANSITIONS,
    ContributionStatus,
    check_transition,
)
from convention.domain.textstructure import number_lines, proposal_reference, roman, wrap


@pytest.mark.parametrize(
    ("texts", "width", "expected"),
    [
        (["court"], 80, [(1, 1)]),
        (["a " * 50], 20, [(1, 5)]),
        (["un", "deux", "trois"], 80, [(1, 1), (2, 2), (3, 3)]),
        (["x" * 30, "mot " * 30], 40, [(1, 1), (2, 4)]),
        ([""], 80, [(1, 1)]),
    ],
)
def test_number_lines_counts_wrapped_lines_across_blocks(texts, width, expected):
    assert number_lines(texts, width) == expected


def test_number_lines_starts_where_asked():
    assert number_lines(["a", "b"], 80, first_line=10) == [(10, 10), (11, 11)]


def test_wrap_keeps_compounds_whole():
    lines = wrap("le bien-être des habitants d'Île-de-France", 12)
    assert lines == ["le bien-être", "des", "habitants", "d'Île-de-France"]


@pytest.mark.parametrize(
    ("number", "expected"), [(1, "I"), (4, "IV"), (9, "IX"), (14, "XIV"), (40, "XL")]
)
def test_roman(number, expected):
    assert roman(number) == expected


def test_roman_refuses_zero():
    with pytest.raises(ValueError):
        roman(0)


@pytest.mark.parametrize(
    ("part", "chapter", "rank", "expected"),
    [("II", "5", 3, "II.5.3"), ("", "1", 2, "1.2"), ("I", "", 1, "I.1")],
)
def test_proposal_reference(part, chapter, rank, expected):
    assert proposal_reference(part, chapter, rank) == expected


ALL = list(ContributionStatus)


@pytest.mark.parametrize("source", ALL)
@pytest.mark.parametrize("target", ALL)
def test_contribution_transition_table(source, target):
    allowed = target in CONTRIBUTION_TRANSITIONS[source]
    if allowed:
        check_transition(CONTRIBUTION_TRANSITIONS, source, target, "contribution")
    else:
        with pytest.raises(IllegalTransition):
            check_transition(CONTRIBUTION_TRANSITIONS, source, target, "contribution")


def test_decisions_are_final():
    for final in (
        ContributionStatus.INTEGRATED,
        ContributionStatus.PARTIALLY_INTEGRATED,
        ContributionStatus.NOT_RETAINED,
        ContributionStatus.WITHDRAWN,
    ):
        assert CONTRIBUTION_TRANSITIONS[final] == frozenset()
