"""The poll lifecycle and the arithmetic of a count (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convention.domain.errors import IllegalTransition
from convention.domain.polls import (
    POLL_TRANSITIONS,
    PollState,
    add_counts,
    can_transition,
    check_poll_transition,
    percent,
    summarise,
)

S = PollState

ALLOWED = {
    (S.DRAFT, S.SCHEDULED), (S.DRAFT, S.OPEN), (S.SCHEDULED, S.DRAFT), (S.SCHEDULED, S.OPEN),
    (S.OPEN, S.CLOSED), (S.CLOSED, S.TALLIED), (S.TALLIED, S.PROCLAIMED),
    (S.TALLIED, S.CLOSED),  # section minutes validated or sent back after the count: to be counted again
}  # fmt: skip


@pytest.mark.parametrize("source", list(PollState))
@pytest.mark.parametrize("target", list(PollState))
def test_transition_table(source, target):
    if (source, target) in ALLOWED:
        check_poll_transition(source, target)
        assert can_transition(source, target)
    else:
        with pytest.raises(IllegalTransition):
            check_poll_transition(source, target)
        assert not can_transition(source, target)


def test_every_state_is_in_the_table_and_proclaimed_is_final():
    assert set(POLL_TRANSITIONS) == set(PollState)
    assert POLL_TRANSITIONS[S.PROCLAIMED] == frozenset()


@pytest.mark.parametrize(
    ("part", "whole", "expected"), [(1, 3, 33.33), (2, 3, 66.67), (0, 0, 0.0), (5, 5, 100.0), (0, 7, 0.0)]
)
def test_percent(part, whole, expected):
    assert percent(part, whole) == expected


def test_blank_votes_are_counted_apart_from_expressed_votes():
    summary = summarise({1: 60, 2: 30, 3: 10}, blank_option_ids=[3], option_ids=[1, 2, 3], registered=200, voters=100)
    assert (summary.ballots, summary.blank, summary.expressed) == (100, 10, 90)
    assert [(o.option_id, o.votes, o.share) for o in summary.options] == [(1, 60, 66.67), (2, 30, 33.33), (3, 10, 10.0)]
    assert summary.turnout == 50.0


def test_options_without_votes_show_zero_and_unknown_options_are_refused():
    summary = summarise({}, [3], [1, 2, 3], registered=10, voters=0)
    assert [o.votes for o in summary.options] == [0, 0, 0] and summary.expressed == 0
    with pytest.raises(ValueError):
        summarise({9: 1}, [], [1, 2], registered=1, voters=1)


units = st.lists(st.dictionaries(st.sampled_from([1, 2, 3]), st.integers(0, 10_000), max_size=3), max_size=30)


@given(units)
def test_national_total_is_the_sum_of_the_federations(per_unit):
    national = add_counts(per_unit)
    for option_id in (1, 2, 3):
        assert national.get(option_id, 0) == sum(unit.get(option_id, 0) for unit in per_unit)
    summary = summarise(national, [3], [1, 2, 3], registered=10**6, voters=sum(national.values()))
    assert summary.blank + summary.expressed == summary.ballots == sum(national.values())
    expressed_shares = sum(o.share for o in summary.options if not o.is_blank)
    assert summary.expressed == 0 or abs(expressed_shares - 100) < 0.02
