"""The current phase derived from dates, and the Bureau national's override (pure domain)."""

from __future__ import annotations

import datetime as dt

import pytest

from convention.domain.phases import PHASE_ORDER, PhaseKind, PhaseSpan, current_phase, is_open

K = PhaseKind
D = dt.date

# A calendar shaped like the convention's: contributions overlap the working groups,
# the Bureau national meets on one day, the adopted text has no end.
SPANS = [
    PhaseSpan(K.WORKING_GROUPS, D(2026, 1, 10), D(2026, 3, 31)),
    PhaseSpan(K.CONTRIBUTIONS, D(2026, 2, 1), D(2026, 4, 15)),
    PhaseSpan(K.AMENDMENTS, D(2026, 5, 1), D(2026, 5, 31)),
    PhaseSpan(K.NATIONAL_BUREAU, D(2026, 6, 2), D(2026, 6, 2)),
    PhaseSpan(K.MEMBERS_VOTE, D(2026, 6, 10), D(2026, 6, 12)),
    PhaseSpan(K.CONVENTION_DAY, D(2026, 6, 20), D(2026, 6, 20)),
    PhaseSpan(K.ADOPTED_TEXT, D(2026, 6, 21), None),
]


@pytest.mark.parametrize(
    ("today", "override", "expected"),
    [
        # before anything starts
        (D(2025, 12, 31), None, None),
        (D(2026, 1, 9), None, None),
        # first day, inclusive
        (D(2026, 1, 10), None, K.WORKING_GROUPS),
        (D(2026, 1, 31), None, K.WORKING_GROUPS),
        # overlap: the phase that started last wins
        (D(2026, 2, 1), None, K.CONTRIBUTIONS),
        (D(2026, 3, 31), None, K.CONTRIBUTIONS),
        (D(2026, 4, 15), None, K.CONTRIBUTIONS),
        # a gap between two phases: the latest started one stays current
        (D(2026, 4, 16), None, K.CONTRIBUTIONS),
        (D(2026, 4, 30), None, K.CONTRIBUTIONS),
        (D(2026, 5, 1), None, K.AMENDMENTS),
        (D(2026, 5, 31), None, K.AMENDMENTS),
        (D(2026, 6, 1), None, K.AMENDMENTS),
        # one-day phases, both ends included
        (D(2026, 6, 2), None, K.NATIONAL_BUREAU),
        (D(2026, 6, 3), None, K.NATIONAL_BUREAU),
        (D(2026, 6, 10), None, K.MEMBERS_VOTE),
        (D(2026, 6, 12), None, K.MEMBERS_VOTE),
        (D(2026, 6, 20), None, K.CONVENTION_DAY),
        # open-ended last phase
        (D(2026, 6, 21), None, K.ADOPTED_TEXT),
        (D(2030, 1, 1), None, K.ADOPTED_TEXT),
        # the override wins over the dates, whatever the day
        (D(2026, 5, 15), K.CONTRIBUTIONS, K.CONTRIBUTIONS),
        (D(2026, 1, 1), K.AMENDMENTS, K.AMENDMENTS),
        (D(2030, 1, 1), K.MEMBERS_VOTE, K.MEMBERS_VOTE),
        (D(2026, 6, 11), K.MEMBERS_VOTE, K.MEMBERS_VOTE),
    ],
)
def test_current_phase(today, override, expected):
    assert current_phase(SPANS, today, override) == expected


def test_no_phases_no_current_phase():
    assert current_phase([], D(2026, 1, 1)) is None
    assert current_phase([], D(2026, 1, 1), K.AMENDMENTS) is K.AMENDMENTS


def test_same_start_day_breaks_ties_by_process_order():
    spans = [
        PhaseSpan(K.CONTRIBUTIONS, D(2026, 2, 1), D(2026, 2, 28)),
        PhaseSpan(K.WORKING_GROUPS, D(2026, 2, 1), D(2026, 2, 28)),
    ]
    assert current_phase(spans, D(2026, 2, 10)) is K.CONTRIBUTIONS
    assert current_phase(list(reversed(spans)), D(2026, 2, 10)) is K.CONTRIBUTIONS


def test_order_of_spans_does_not_matter():
    for day in (D(2026, 2, 15), D(2026, 5, 10), D(2026, 6, 21)):
        assert current_phase(list(reversed(SPANS)), day) == current_phase(SPANS, day)


@pytest.mark.parametrize(
    ("kind", "today", "expected"),
    [
        (K.WORKING_GROUPS, D(2026, 2, 15), True),
        (K.CONTRIBUTIONS, D(2026, 2, 15), True),  # both open during the overlap
        (K.AMENDMENTS, D(2026, 2, 15), False),
        (K.CONTRIBUTIONS, D(2026, 4, 16), False),  # the day after it ends
        (K.NATIONAL_BUREAU, D(2026, 6, 2), True),
        (K.NATIONAL_BUREAU, D(2026, 6, 1), False),
        (K.ADOPTED_TEXT, D(2099, 1, 1), True),
    ],
)
def test_is_open(kind, today, expected):
    assert is_open(SPANS, kind, today) is expected


@pytest.mark.parametrize(
    ("span", "day", "expected"),
    [
        (PhaseSpan(K.AMENDMENTS, D(2026, 5, 1), D(2026, 5, 31)), D(2026, 4, 30), False),
        (PhaseSpan(K.AMENDMENTS, D(2026, 5, 1), D(2026, 5, 31)), D(2026, 5, 1), True),
        (PhaseSpan(K.AMENDMENTS, D(2026, 5, 1), D(2026, 5, 31)), D(2026, 5, 31), True),
        (PhaseSpan(K.AMENDMENTS, D(2026, 5, 1), D(2026, 5, 31)), D(2026, 6, 1), False),
        (PhaseSpan(K.ADOPTED_TEXT, D(2026, 6, 21), None), D(2026, 6, 20), False),
        (PhaseSpan(K.ADOPTED_TEXT, D(2026, 6, 21), None), D(2126, 6, 21), True),
    ],
)
def test_span_contains(span, day, expected):
    assert span.contains(day) is expected


def test_phase_order_follows_the_process():
    assert PHASE_ORDER[0] is K.WORKING_GROUPS
    assert PHASE_ORDER[-1] is K.ADOPTED_TEXT
    assert PHASE_ORDER.index(K.AMENDMENTS) < PHASE_ORDER.index(K.MEMBERS_VOTE)
