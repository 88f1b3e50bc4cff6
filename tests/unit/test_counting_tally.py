"""Additive tallies: sums, storage as JSON, secrecy (is_revealing), and properties of the methods."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convention.domain.counting import (
    CountError,
    Question,
    Rule,
    Tally,
    VoteMethod,
    compare_majority_values,
    decide,
    majority_value,
    schulze_matrices,
)

OPTIONS = ("A", "B", "C")
QUESTIONS = {
    VoteMethod.YES_NO_ABSTAIN: Question(VoteMethod.YES_NO_ABSTAIN),
    VoteMethod.SINGLE: Question(VoteMethod.SINGLE, OPTIONS),
    VoteMethod.APPROVAL: Question(VoteMethod.APPROVAL, OPTIONS, seats=2),
    VoteMethod.MAJORITY_JUDGMENT: Question(VoteMethod.MAJORITY_JUDGMENT, OPTIONS, grades=("Bien", "Passable", "Mal")),
    VoteMethod.SCHULZE: Question(VoteMethod.SCHULZE, OPTIONS),
}

SPECIAL = st.sampled_from([{"choice": "blank"}, {"choice": "void"}])
BALLOT_CONTENT = {
    VoteMethod.YES_NO_ABSTAIN: st.sampled_from(["yes", "no", "abstain"]).map(lambda c: {"choice": c}),
    VoteMethod.SINGLE: st.sampled_from(OPTIONS).map(lambda c: {"choice": c}),
    VoteMethod.APPROVAL: st.lists(st.sampled_from(OPTIONS), unique=True).map(lambda a: {"approves": a}),
    VoteMethod.MAJORITY_JUDGMENT: st.dictionaries(st.sampled_from(OPTIONS), st.integers(0, 2)).map(
        lambda g: {"grades": g}
    ),
    VoteMethod.SCHULZE: st.permutations(OPTIONS).flatmap(
        lambda p: st.integers(0, 3).map(lambda n: {"ranking": list(p[:n])})
    ),
}
WEIGHTS = st.sampled_from([1, 1, 1, 2, "1/2", "3/2"])


def ballots_of(method: VoteMethod, weighted: bool = True) -> st.SearchStrategy[list[dict[str, Any]]]:
    one = st.tuples(st.one_of(BALLOT_CONTENT[method], SPECIAL), st.integers(0, 4), WEIGHTS if weighted else st.just(1))
    return st.lists(one, max_size=12).map(
        lambda items: [{**content, "count": count, "weight": weight} for content, count, weight in items]
    )


def tally_of(method: VoteMethod, ballots: list[dict[str, Any]]) -> Tally:
    tally = Tally.empty(QUESTIONS[method])
    for ballot in ballots:
        tally.add_ballot(**ballot)
    return tally


def canonical(method: VoteMethod, ballot: dict[str, Any]) -> Any:
    """A ballot's meaning, computed independently of the counting code: equal for identical ballots."""
    if ballot.get("choice") in ("blank", "void"):
        return ballot["choice"]
    if method is VoteMethod.APPROVAL:
        return frozenset(ballot["approves"]) or "blank"
    if method is VoteMethod.MAJORITY_JUDGMENT:
        return tuple(ballot["grades"].get(o, 2) for o in OPTIONS) if ballot["grades"] else "blank"
    if method is VoteMethod.SCHULZE:
        ranked = ballot["ranking"]
        if not ranked:
            return "blank"
        position = {o: (ranked.index(o) if o in ranked else len(ranked)) for o in OPTIONS}
        return frozenset((x, y) for x in OPTIONS for y in OPTIONS if position[x] < position[y])
    return ballot["choice"]


METHODS = st.sampled_from(list(VoteMethod))


@settings(max_examples=150, deadline=None)
@given(data=st.data(), method=METHODS)
def test_tallies_are_additive(data, method):
    first = data.draw(ballots_of(method))
    second = data.draw(ballots_of(method))
    whole = tally_of(method, first + second)
    assert tally_of(method, first) + tally_of(method, second) == whole
    assert sum([tally_of(method, first), tally_of(method, second)]) == whole
    assert whole.ballots == sum(b["count"] for b in first + second)
    assert whole.weight == sum(b["count"] * Fraction(b["weight"]) for b in first + second)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), method=METHODS)
def test_json_round_trip(data, method):
    tally = tally_of(method, data.draw(ballots_of(method)))
    stored = json.dumps(tally.to_json())  # as it is stored in the database
    assert Tally.from_json(json.loads(stored)) == tally
    assert Tally.from_json(stored) == tally


@settings(max_examples=200, deadline=None)
@given(data=st.data(), method=METHODS)
def test_is_revealing_means_every_ballot_identical(data, method):
    ballots = [b for b in data.draw(ballots_of(method)) if b["count"]]
    meanings = {canonical(method, b) for b in ballots}
    assert tally_of(method, ballots).is_revealing() == (len(meanings) == 1)


@pytest.mark.parametrize(
    ("method", "figures", "revealing"),
    [
        (VoteMethod.YES_NO_ABSTAIN, {"votes": {"yes": 12}}, True),  # all « Pour »
        (VoteMethod.YES_NO_ABSTAIN, {"votes": {"yes": 11}, "blank": 1}, False),
        (VoteMethod.YES_NO_ABSTAIN, {"blank": 12}, True),  # all blank
        (VoteMethod.YES_NO_ABSTAIN, {}, False),  # no ballot reveals nothing
        (VoteMethod.APPROVAL, {"votes": {"A": 12, "B": 12}, "ballots": 12}, True),  # everyone approved A and B only
        (VoteMethod.APPROVAL, {"votes": {"A": 12, "B": 11}, "ballots": 12}, False),
        (VoteMethod.MAJORITY_JUDGMENT, {"grades": {"A": [0, 12, 0], "B": [12, 0, 0], "C": [0, 0, 12]}}, True),
        (VoteMethod.MAJORITY_JUDGMENT, {"grades": {"A": [0, 12, 0], "B": [11, 1, 0], "C": [0, 0, 12]}}, False),
        (VoteMethod.SCHULZE, {"rankings": [(["A", "B"], 12)]}, True),
        (VoteMethod.SCHULZE, {"rankings": [(["A", "B"], 11), (["A", "B", "C"], 1)]}, True),  # the same order
        (VoteMethod.SCHULZE, {"rankings": [(["A", "B"], 11), (["A", "C"], 1)]}, False),
    ],
)
def test_is_revealing_on_aggregated_figures(method, figures, revealing):
    tally = Tally.empty(QUESTIONS[method])
    tally.add_tallies(**figures)
    assert tally.is_revealing() is revealing


def test_paper_minutes_add_to_online_ballots():
    question = QUESTIONS[VoteMethod.YES_NO_ABSTAIN]
    online = Tally.empty(question)
    online.add_ballot(choice="yes", count=40)
    online.add_ballot(choice="no", count=12)
    paper = Tally.empty(question)
    paper.add_tallies(votes={"yes": 20, "no": 8, "abstain": 3}, blank=2, void=1, ballots=34)
    total = online + paper
    assert (total.ballots, total.votes, total.blank, total.void) == (86, {"yes": 60, "no": 20, "abstain": 3}, 2, 1)
    result = decide(question, total, registered=100)
    assert (result["adopted"], result["valid"]) == (True, 83)


def test_majority_judgment_per_grade_counts_and_schulze_rankings_with_counts():
    mj = Tally.empty(QUESTIONS[VoteMethod.MAJORITY_JUDGMENT])
    mj.add_tallies(grades={"A": [3, 1, 0], "B": [0, 2, 2], "C": [1, 1, 2]}, blank=1)
    assert (mj.ballots, mj.valid) == (5, 4)
    assert decide(QUESTIONS[VoteMethod.MAJORITY_JUDGMENT], mj)["winner"] == "A"
    schulze = Tally.empty(QUESTIONS[VoteMethod.SCHULZE])
    schulze.add_tallies(rankings=[(["B", "A"], 3), ([["A", "C"]], 1), ([], 2)])
    assert (schulze.ballots, schulze.blank) == (6, 2)
    assert schulze.rankings == {(("B",), ("A",), ("C",)): 3, (("A", "C"), ("B",)): 1}


def test_paper_minutes_with_only_blank_ballots():
    mj = Tally.empty(QUESTIONS[VoteMethod.MAJORITY_JUDGMENT])
    mj.add_tallies(grades={}, blank=3, ballots=3)
    assert (mj.ballots, mj.blank, mj.valid) == (3, 3, 0)
    with pytest.raises(CountError, match="« B » : ses votes par mention manquent"):
        mj.add_tallies(grades={"A": [1, 0, 0]})


def test_a_malformed_ballot_adds_nothing():
    tally = Tally.empty(QUESTIONS[VoteMethod.APPROVAL])
    tally.add_ballot(approves=["A"], count=2)
    before = tally.copy()
    for bad in ({"approves": ["A", "Z"]}, {"approves": ["A"], "count": -1}, {"approves": ["A"], "weight": "0"}):
        with pytest.raises(CountError):
            tally.add_ballot(**bad)
    with pytest.raises(CountError):
        tally.add_tallies(votes={"A": 5}, ballots=3)
    assert tally == before


def test_tallies_of_different_questions_do_not_add():
    with pytest.raises(CountError, match="deux questions différentes"):
        Tally.empty(QUESTIONS[VoteMethod.SINGLE]) + Tally.empty(Question(VoteMethod.SINGLE, ("A", "B")))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("{", "JSON invalide"),
        ([], "un objet est attendu"),
        ({"method": "single", "options": ["A"], "votes": {"A": 2}, "ballots": 1}, "les voix ne font pas"),
        ({"method": "single", "options": ["A"], "votes": {"B": 1}, "ballots": 1}, "option inconnue « B »"),
        ({"method": "single", "options": ["A"], "ballots": 1, "weight": 0}, "se contredisent"),
        ({"method": "single", "options": ["A"], "ballots": 1, "blank": 2}, "plus de blancs et de nuls"),
        ({"method": "single", "options": ["A"], "ballots": 1, "extra": 2}, "champ inconnu « extra »"),
        ({"method": "approval", "options": ["A"], "ballots": 1, "votes": {"A": 2}}, "plus d'approbations"),
        ({"method": "majority_judgment", "options": ["A"], "ballots": 1, "grade_votes": {}}, "chaque option"),
        ({"method": "schulze", "options": ["A", "B"], "ballots": 1, "rankings": [[[["A"]], 2]]}, "les classements"),
        ({"method": "single", "options": ["A"], "ballots": 1, "votes": {"A": -1}, "weight": 1}, "positif ou nul"),
    ],
)
def test_from_json_refuses_a_malformed_tally(data, message):
    with pytest.raises(CountError, match=message):
        Tally.from_json(data)


# --- Properties of the methods -------------------------------------------------------------


def brute_majority_value(row: list[int]) -> list[int]:
    """Balinski and Laraki's definition, literally: take the lower median, remove one vote of it, repeat."""
    votes = [grade for grade, n in enumerate(row) for _ in range(n)]  # best first
    sequence = []
    while votes:
        median = votes[len(votes) // 2]  # 0-based index n // 2: the lower middle one, best first
        sequence.append(median)
        votes.remove(median)
    return sequence


ROWS = st.integers(2, 5).flatmap(lambda k: st.lists(st.integers(0, 6), min_size=k, max_size=k))


@settings(max_examples=300, deadline=None)
@given(row=ROWS)
def test_majority_value_matches_the_definition(row):
    leading, pairs = majority_value(row)
    sequence = [] if leading is None else [leading]
    for lower, upper, run in pairs:
        sequence += [lower, upper] * run
    assert sequence == brute_majority_value(row)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), k=st.integers(2, 5), total=st.integers(0, 15))
def test_majority_value_comparison_is_lexicographic(data, k, total):
    def row() -> list[int]:
        cuts = sorted(data.draw(st.lists(st.integers(0, total), min_size=k - 1, max_size=k - 1)))
        bounds = [0, *cuts, total]
        return [bounds[i + 1] - bounds[i] for i in range(k)]

    a, b = row(), row()
    expected = brute_majority_value(a), brute_majority_value(b)
    assert compare_majority_values(a, b) == (expected[0] > expected[1]) - (expected[0] < expected[1])


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_a_condorcet_winner_wins_by_schulze(data):
    ballots = data.draw(ballots_of(VoteMethod.SCHULZE))
    tally = tally_of(VoteMethod.SCHULZE, ballots)
    d, _ = schulze_matrices(OPTIONS, tally.rankings)
    condorcet = [x for x in OPTIONS if all(d[x][y] > d[y][x] for y in OPTIONS if y != x)]
    result = decide(QUESTIONS[VoteMethod.SCHULZE], tally)
    if condorcet:
        assert result["winner"] == condorcet[0]
    assert sorted(o for group in result["ranking"] for o in group) == sorted(OPTIONS)  # each option once
    assert (result["winner"] is None) is (len(result["ranking"][0]) > 1 or tally.valid == 0)


@settings(max_examples=300, deadline=None)
@given(
    yes=st.integers(0, 60),
    no=st.integers(0, 60),
    abstain=st.integers(0, 10),
    threshold=st.sampled_from(["1/2", "2/3", "3/5", "1/3"]),
    strict=st.booleans(),
)
def test_adoption_by_integer_arithmetic(yes, no, abstain, threshold, strict):
    question = Question(VoteMethod.YES_NO_ABSTAIN, rule=Rule.parse({"threshold": threshold, "strict": strict}))
    tally = Tally.empty(question)
    tally.add_tallies(votes={"yes": yes, "no": no, "abstain": abstain})
    result = decide(question, tally)
    num, den = map(int, threshold.split("/"))
    # yes > num/den × (yes + no)  ⇔  den × yes > num × (yes + no), in integers
    expected = yes > 0 and (den * yes > num * (yes + no) if strict else den * yes >= num * (yes + no))
    assert result["adopted"] is expected
    assert (result["tied"] == ["yes", "no"]) is (strict and yes > 0 and den * yes == num * (yes + no))
