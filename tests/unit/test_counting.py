"""The counting methods and rules against published worked examples and the edge cases (pure, exact)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from convention.domain.counting import (
    DEFAULT_GRADES,
    CountError,
    Question,
    Rule,
    RuleBase,
    Tally,
    VoteMethod,
    compare_majority_values,
    count_spec,
    decide,
    display_number,
    display_percent,
    majority_grade_index,
    majority_value,
    sentence,
)

NNBSP = "\u202f"  # the thousands separator
NBSP = "\u00a0"  # before « % »


def yna(yes: int, no: int, abstain: int = 0, blank: int = 0, void: int = 0, **spec: Any) -> dict[str, Any]:
    return count_spec(
        {
            "method": "yes_no_abstain",
            "tallies": {"yes": yes, "no": no, "abstain": abstain, "blank": blank, "void": void},
            **spec,
        }
    )


def assert_no_float(value: Any) -> None:
    assert not isinstance(value, float), value
    if isinstance(value, dict):
        for item in value.values():
            assert_no_float(item)
    elif isinstance(value, list):
        for item in value:
            assert_no_float(item)


# --- Schulze -------------------------------------------------------------------------------

# The 45-voter example of Markus Schulze's paper (and of Wikipedia's « Schulze method » article).
SCHULZE_45 = [
    (5, "ACBED"),
    (5, "ADECB"),
    (8, "BEDAC"),
    (3, "CABED"),
    (7, "CAEBD"),
    (2, "CBADE"),
    (7, "DCEBA"),
    (8, "EBADC"),
]
SCHULZE_45_D = {
    "A": {"B": 20, "C": 26, "D": 30, "E": 22},
    "B": {"A": 25, "C": 16, "D": 33, "E": 18},
    "C": {"A": 19, "B": 29, "D": 17, "E": 24},
    "D": {"A": 15, "B": 12, "C": 28, "E": 14},
    "E": {"A": 23, "B": 27, "C": 21, "D": 31},
}
SCHULZE_45_P = {
    "A": {"B": 28, "C": 28, "D": 30, "E": 24},
    "B": {"A": 25, "C": 28, "D": 33, "E": 24},
    "C": {"A": 25, "B": 29, "D": 29, "E": 24},
    "D": {"A": 25, "B": 28, "C": 28, "E": 24},
    "E": {"A": 25, "B": 28, "C": 28, "D": 31},
}


def schulze_spec(ballots: list[tuple[int, Any]], options: str = "ABCDE", **spec: Any) -> dict[str, Any]:
    return {
        "method": "schulze",
        "options": list(options),
        "ballots": [{"count": n, "ranking": list(r)} for n, r in ballots],
        **spec,
    }


def test_schulze_45_voter_example():
    result = count_spec(schulze_spec(SCHULZE_45))
    assert result["ballots"] == 45
    assert result["scores"] == {f"{x}>{y}": n for x, row in SCHULZE_45_D.items() for y, n in row.items()}
    assert result["paths"] == {f"{x}>{y}": n for x, row in SCHULZE_45_P.items() for y, n in row.items()}
    assert result["ranking"] == [["E"], ["A"], ["C"], ["B"], ["D"]]
    assert (result["winner"], result["tied"]) == ("E", [])
    assert result["decision"] == "L'option « E » l'emporte selon la méthode Schulze."


def test_schulze_cycle_is_a_tie_never_broken():
    result = count_spec(schulze_spec([(1, "ABC"), (1, "BCA"), (1, "CAB")], options="ABC"))
    assert result["scores"] == {"A>B": 2, "A>C": 1, "B>A": 1, "B>C": 2, "C>A": 2, "C>B": 1}
    assert result["ranking"] == [["A", "B", "C"]]
    assert (result["winner"], result["tied"]) == (None, ["A", "B", "C"])
    assert result["decision"].startswith("Égalité entre « A », « B » et « C » selon la méthode Schulze")


def test_schulze_unranked_options_come_below_and_tie_groups_are_allowed():
    result = count_spec(
        {"method": "schulze", "options": ["A", "B", "C", "D"], "ballots": [{"count": 3, "ranking": [["B", "C"]]}]}
    )
    # B and C tied at the top, A and D unranked: below them, and equal to each other.
    assert result["scores"]["B>A"] == result["scores"]["C>D"] == 3
    assert result["scores"]["B>C"] == result["scores"]["C>B"] == result["scores"]["A>D"] == 0
    assert result["ranking"] == [["B", "C"], ["A", "D"]]
    assert (result["winner"], result["tied"]) == (None, ["B", "C"])


# W is the Schulze winner but loses to the status quo S head-to-head (4 against 5); X beats S 7 to 2.
STATUS_QUO_PROFILE = [(4, "WXS"), (3, "XSW"), (2, "SWX")]


def test_schulze_status_quo_must_be_beaten_head_to_head():
    plain = count_spec(schulze_spec(STATUS_QUO_PROFILE, options="WXS"))
    assert plain["ranking"] == [["W"], ["X"], ["S"]]
    assert plain["winner"] == "W"
    result = count_spec(schulze_spec(STATUS_QUO_PROFILE, options="WXS", status_quo="S"))
    assert (result["scores"]["W>S"], result["scores"]["S>W"]) == (4, 5)
    assert result["ranking"] == [["W"], ["X"], ["S"]]
    assert result["beats_status_quo"] == ["X"]
    assert (result["winner"], result["tied"]) == ("X", [])
    assert result["decision"] == "L'option « X » l'emporte selon la méthode Schulze et bat le statu quo « S » en duel."


def test_schulze_status_quo_is_kept_when_nothing_beats_it():
    result = count_spec(schulze_spec([(3, "SAB"), (2, "ABS"), (1, "BAS")], options="ABS", status_quo="S"))
    assert result["beats_status_quo"] == []
    assert result["winner"] == "S"
    assert result["decision"] == "Le statu quo « S » est maintenu : aucune option ne le bat en duel."


def test_schulze_status_quo_first_by_schulze_is_kept_even_if_beaten_head_to_head():
    # X beats S head-to-head (5 to 4), but S beats X by the path S → Y → X (6, 7): S stays first.
    result = count_spec(schulze_spec([(4, "SYX"), (3, "YXS"), (2, "XSY")], options="SXY", status_quo="S"))
    assert result["ranking"] == [["S"], ["Y"], ["X"]]
    assert (result["beats_status_quo"], result["winner"]) == (["X"], "S")
    assert result["decision"] == "Le statu quo « S » est maintenu : il l'emporte selon la méthode Schulze."


def test_schulze_weighted_ballots_are_exact():
    spec = schulze_spec([(1, "AB"), (1, "BA")], options="AB")
    spec["ballots"][0]["weight"] = "3/2"
    result = count_spec(spec)
    assert (result["scores"]["A>B"], result["scores"]["B>A"], result["weight"]) == ("3/2", 1, "5/2")
    assert result["winner"] == "A"


# --- Majority judgment ---------------------------------------------------------------------


def expanded(value: tuple[int | None, list[tuple[int, int, int]]]) -> list[int]:
    leading, pairs = value
    sequence = [] if leading is None else [leading]
    for lower, upper, run in pairs:
        sequence += [lower, upper] * run
    return sequence


@pytest.mark.parametrize(
    ("votes", "expected"),
    [
        # The majority values of the examples of Balinski and Laraki's book, section 1.5 (grades out of 11,
        # higher is better), as the Mieux Voter association's Python library checks them.
        ([7, 11, 9, 9, 11], [9, 9, 11, 7, 11]),
        ([8, 11, 9, 9, 10], [9, 9, 10, 8, 11]),
    ],
)
def test_majority_value_of_the_book_examples(votes, expected):
    scale = list(range(11, -1, -1))  # best first
    row = [votes.count(grade) for grade in scale]
    assert [scale[i] for i in expanded(majority_value(row))] == expected


def test_mieux_voter_library_example_81_82():
    # The Mieux Voter library's doctest (grades 0 to 5, higher is better): 82 ranks before 81.
    v81 = [0] + [1] * 6 + [2] * 2 + [3] * 12 + [4] * 8 + [5] * 8
    v82 = [0] + [1] * 8 + [2] * 2 + [3] * 2 + [4] * 8 + [5] * 16
    grades = ["5", "4", "3", "2", "1", "0"]
    tallies = {name: [votes.count(int(g)) for g in grades] for name, votes in (("81", v81), ("82", v82))}
    result = count_spec({"method": "majority_judgment", "options": ["81", "82"], "grades": grades, "tallies": tallies})
    assert result["ranking"] == [["82"], ["81"]]
    assert result["majority_grades"] == {"81": "3", "82": "4"}


def test_mieux_voter_java_library_assertions():
    # « Few judgments » of the Java library's assertions.json: tallies worst grade first, expected ranks.
    tallies = [[1, 1, 1], [1, 0, 2], [3, 0, 0], [2, 0, 1], [0, 3, 0]]
    ranks = [3, 1, 5, 4, 2]
    names = ["P1", "P2", "P3", "P4", "P5"]
    result = count_spec(
        {
            "method": "majority_judgment",
            "options": names,
            "grades": ["Bien", "Passable", "À rejeter"],
            "tallies": {name: list(reversed(row)) for name, row in zip(names, tallies, strict=True)},
        }
    )
    assert result["ranking"] == [[names[ranks.index(r)]] for r in range(1, 6)]
    assert result["winner"] == "P2"


def test_majority_grade_is_the_lower_median():
    assert majority_grade_index([1, 1, 1, 1]) == 2  # four votes: the lower of the two middle ones
    assert majority_grade_index([1, 1, 1]) == 1
    assert majority_grade_index([0, 0, 0]) is None
    assert majority_grade_index([Fraction(1, 2), Fraction(1, 2)]) == 1


def test_majority_judgment_ballots_with_grade_names_and_ranks():
    result = count_spec(
        {
            "method": "majority_judgment",
            "options": ["A", "B"],
            "ballots": [
                {"count": 2, "grades": {"A": "Très bien", "B": "Bien"}},
                {"count": 1, "grades": {"A": 5, "B": "Passable"}},  # 5: the rank of « À rejeter »
                {"count": 1, "grades": {"B": "Bien"}},  # A not graded: « À rejeter »
                {"count": 1, "choice": "blank"},
            ],
        }
    )
    assert result["scores"] == {"A": [2, 0, 0, 0, 0, 2], "B": [0, 3, 0, 1, 0, 0]}
    assert result["majority_grades"] == {"A": "À rejeter", "B": "Bien"}
    assert (result["ballots"], result["valid"], result["blank"]) == (5, 4, 1)
    assert result["winner"] == "B"
    assert result["decision"] == "L'option « B » l'emporte avec la mention majoritaire « Bien »."


def test_majority_judgment_same_majority_grade_is_broken_by_majority_value():
    result = count_spec(
        {
            "method": "majority_judgment",
            "options": ["A", "B"],
            "tallies": {"A": [1, 2, 3, 0, 0, 0], "B": [0, 3, 3, 0, 0, 0]},
        }
    )
    assert result["majority_grades"] == {"A": "Assez bien", "B": "Assez bien"}
    assert result["ranking"] == [["A"], ["B"]]
    assert "départagée par la valeur majoritaire" in result["decision"]


def test_majority_judgment_perfect_tie():
    result = count_spec(
        {
            "method": "majority_judgment",
            "options": ["A", "B"],
            "tallies": {"A": [1, 2, 0, 0, 0, 1], "B": [1, 2, 0, 0, 0, 1]},
        }
    )
    assert (result["winner"], result["tied"], result["ranking"]) == (None, ["A", "B"], [["A", "B"]])
    assert result["decision"].startswith("Égalité entre « A » et « B », mention majoritaire « Bien »")


def test_majority_value_comparison_orders_by_majority_grade_first():
    assert compare_majority_values([0, 3, 0], [1, 1, 1]) == -1
    assert compare_majority_values([1, 1, 1], [0, 3, 0]) == 1
    assert compare_majority_values([2, 0, 1], [2, 0, 1]) == 0
    assert compare_majority_values([0, 0, 0], [0, 0, 0]) == 0


# --- Yes / no / abstain --------------------------------------------------------------------


def test_the_sentence_of_the_brief():
    result = yna(812, 378, 50)
    assert result["adopted"] is True
    assert result["decision"] == (
        f"Le texte est adopté : 812 voix Pour sur 1{NNBSP}190 suffrages exprimés, soit plus de la moitié."
    )
    assert display_percent(812, 1190) == f"68,24{NBSP}%"


@pytest.mark.parametrize(
    ("yes", "no", "adopted", "tied"),
    [
        (51, 50, True, []),  # odd total: more than half
        (50, 51, False, []),
        (50, 50, False, ["yes", "no"]),  # even total, exactly half: a tie, not adopted
        (51, 49, True, []),
        (1, 0, True, []),
        (0, 0, False, []),  # nobody for: never adopted
    ],
)
def test_more_than_half_with_odd_and_even_totals(yes, no, adopted, tied):
    result = yna(yes, no, abstain=7, blank=3)
    assert (result["adopted"], result["tied"]) == (adopted, tied)
    assert result["winner"] == (None if tied else ("yes" if adopted else "no"))
    assert result["base_votes"] == yes + no  # abstentions and blank ballots are not expressed votes


def test_a_tie_is_said_in_words():
    assert yna(595, 595)["decision"] == (
        "Égalité : 595 voix Pour et 595 voix Contre ; il fallait plus de la moitié des suffrages exprimés "
        "(Pour + Contre) : le texte n'est pas adopté."
    )


def test_exactly_two_thirds_strict_is_not_adopted_non_strict_is():
    strict = yna(20, 10, rule={"threshold": "2/3", "strict": True})
    assert (strict["adopted"], strict["winner"], strict["tied"], strict["needed"]) == (False, None, ["yes", "no"], 20)
    assert strict["decision"] == (
        "Égalité avec le seuil : 20 voix Pour sur 30 suffrages exprimés, soit exactement les deux tiers ; "
        "il en fallait plus des deux tiers : le texte n'est pas adopté."
    )
    loose = yna(20, 10, rule={"threshold": "2/3", "strict": False})
    assert (loose["adopted"], loose["winner"], loose["tied"]) == (True, "yes", [])
    assert (
        loose["decision"]
        == "Le texte est adopté : 20 voix Pour sur 30 suffrages exprimés, soit au moins les deux tiers."
    )
    assert yna(19, 11, rule={"threshold": "2/3", "strict": False})["adopted"] is False
    assert yna(21, 10, rule={"threshold": "2/3"})["adopted"] is True


def test_quorum_missed_by_one():
    rule = {"quorum": "1/4"}
    missed = yna(249, 0, registered=1000, rule=rule)
    assert (missed["quorum_met"], missed["adopted"], missed["winner"], missed["quorum"]) == (False, False, None, 250)
    assert missed["decision"] == (
        f"Quorum non atteint : 249 votants sur 1{NNBSP}000 inscrits, il en fallait au moins 250 "
        "(le quart des inscrits) ; le texte n'est pas adopté."
    )
    met = yna(249, 0, void=1, registered=1000, rule=rule)  # blank and void ballots count for the quorum
    assert (met["quorum_met"], met["adopted"]) == (True, True)


def test_quorum_of_a_fraction_of_voters_is_said_in_whole_voters():
    result = count_spec(
        {
            "method": "single",
            "options": ["A", "B"],
            "registered": 100,
            "rule": {"quorum": "1/3"},
            "ballots": [{"count": 33, "choice": "A"}],
        }
    )
    assert (result["quorum"], result["quorum_met"], result["winner"]) == ("100/3", False, None)
    assert result["decision"] == (
        "Quorum non atteint : 33 votants sur 100 inscrits, il en fallait au moins 34 (le tiers des inscrits) ; "
        "aucune option n'est retenue."
    )


def test_quorum_needs_the_registered():
    with pytest.raises(CountError, match="inscrits \\(registered\\) est nécessaire"):
        yna(10, 2, rule={"quorum": "1/4"})


@pytest.mark.parametrize(
    ("base", "adopted", "base_votes"),
    [
        ("yes_no", True, 90),  # 50 > 45
        ("yes_no_abstain", False, 120),  # 50 ≤ 60
        ("ballots", False, 130),  # blank and void included
        ("registered", False, 200),
    ],
)
def test_the_bases(base, adopted, base_votes):
    result = yna(50, 40, abstain=30, blank=6, void=4, registered=200, rule={"base": base})
    assert (result["adopted"], result["base_votes"]) == (adopted, base_votes)
    assert result["rule"]["base"] == base


def test_weighted_yes_no_is_exact_and_never_float():
    result = count_spec(
        {
            "method": "yes_no_abstain",
            "options": ["yes", "no", "abstain"],
            "ballots": [
                {"count": 2, "choice": "yes", "weight": "1/3"},
                {"count": 1, "choice": "no", "weight": "2/3"},
                {"count": 1, "choice": "yes", "weight": 1},
            ],
        }
    )
    assert result["scores"] == {"yes": "5/3", "no": "2/3", "abstain": 0}
    assert (result["ballots"], result["weight"], result["needed"]) == (4, "7/3", "7/6")
    assert result["adopted"] is True
    assert (
        result["decision"]
        == "Le texte est adopté : 1,67 voix Pour sur 2,33 suffrages exprimés, soit plus de la moitié."
    )
    assert_no_float(result)


def test_a_third_and_two_thirds_on_weighted_ballots():
    # 2/3 of 1 is not a float: 2/3 exactly adopts with « au moins », not with « plus de ».
    spec = {
        "method": "yes_no_abstain",
        "ballots": [{"choice": "yes", "weight": "2/3"}, {"choice": "no", "weight": "1/3"}],
        "rule": {"threshold": "2/3"},
    }
    assert count_spec(spec)["adopted"] is False
    spec["rule"]["strict"] = False
    assert count_spec(spec)["adopted"] is True


# --- Single choice and approval ------------------------------------------------------------


def test_single_choice_winner_and_tie():
    spec = {
        "method": "single",
        "options": ["A", "B", "C"],
        "ballots": [{"count": 5, "choice": "A"}, {"count": 3, "choice": "B"}, {"count": 2, "choice": "void"}],
    }
    result = count_spec(spec)
    assert result["scores"] == {"A": 5, "B": 3, "C": 0}
    assert result["ranking"] == [["A"], ["B"], ["C"]]
    assert (result["winner"], result["valid"], result["void"]) == ("A", 8, 2)
    assert result["decision"] == f"L'option « A » l'emporte : 5 voix sur 8 suffrages exprimés (62,50{NBSP}%)."
    spec["ballots"].append({"count": 2, "choice": "B"})
    tied = count_spec(spec)
    assert (tied["winner"], tied["tied"]) == (None, ["A", "B"])
    assert tied["decision"].startswith("Égalité entre « A » et « B », avec 5 voix chacune")


def test_no_expressed_vote_elects_nobody():
    result = count_spec({"method": "single", "options": ["A", "B"], "ballots": [{"count": 4, "choice": "blank"}]})
    assert (result["winner"], result["tied"], result["blank"]) == (None, ["A", "B"], 4)
    assert result["decision"] == "Aucun suffrage exprimé : aucune option ne l'emporte."


def approval_spec(**spec: Any) -> dict[str, Any]:
    return {
        "method": "approval",
        "options": ["A", "B", "C", "D"],
        "ballots": [
            {"count": 4, "approves": ["A", "B"]},
            {"count": 3, "approves": ["B", "C"]},
            {"count": 2, "approves": ["C", "D"]},
            {"count": 1, "approves": ["D"]},
            {"count": 1, "approves": []},  # blank
        ],
        **spec,
    }


def test_approval_without_seats():
    result = count_spec(approval_spec())
    assert result["scores"] == {"A": 4, "B": 7, "C": 5, "D": 3}
    assert (result["ballots"], result["valid"], result["blank"]) == (11, 10, 1)
    assert result["ranking"] == [["B"], ["C"], ["A"], ["D"]]
    assert result["winner"] == "B"
    assert "elected" not in result
    assert result["decision"] == f"L'option « B » l'emporte : 7 approbations sur 10 bulletins valables (70,00{NBSP}%)."


def test_approval_with_seats_and_a_tie_for_the_last_seat():
    result = count_spec(approval_spec(seats=2))
    assert (result["elected"], result["tied"]) == (["B", "C"], [])
    spec = approval_spec(seats=3)
    spec["ballots"].append({"count": 1, "approves": ["D"]})  # D: 4 approvals, as many as A
    result = count_spec(spec)
    assert (result["elected"], result["tied"], result["winner"]) == (["B", "C"], ["A", "D"], "B")
    assert result["decision"] == (
        "Options retenues (3 sièges) : « B » et « C » ; égalité pour le dernier siège entre « A » et « D », "
        "avec 4 approbations chacune (une égalité n'est jamais départagée au hasard)."
    )


def test_approval_tie_across_every_seat_elects_nobody():
    result = count_spec(
        {"method": "approval", "options": ["A", "B", "C"], "seats": 2, "ballots": [{"approves": ["A", "B", "C"]}]}
    )
    assert (result["elected"], result["tied"], result["winner"]) == ([], ["A", "B", "C"], None)
    assert result["decision"].startswith("Égalité pour les 2 derniers sièges entre « A », « B » et « C »")


def test_approval_paper_figures_add_to_online_ballots():
    spec = approval_spec(tallies={"A": 3, "C": 1, "ballots": 5, "void": 1})
    result = count_spec(spec)
    assert result["scores"] == {"A": 7, "B": 7, "C": 6, "D": 3}
    assert (result["ballots"], result["void"], result["blank"]) == (16, 1, 1)
    assert (result["winner"], result["tied"]) == (None, ["A", "B"])


# --- Rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ({}, "plus de la moitié des suffrages exprimés (Pour + Contre)"),
        ({"threshold": "2/3", "strict": False}, "au moins les deux tiers des suffrages exprimés (Pour + Contre)"),
        ({"threshold": "2/3"}, "plus des deux tiers des suffrages exprimés (Pour + Contre)"),
        ({"base": "registered", "threshold": "1/3", "strict": False}, "au moins le tiers des inscrits"),
        ({"threshold": 1, "strict": False}, "la totalité des suffrages exprimés (Pour + Contre)"),
        (
            {"base": "ballots", "threshold": "3/5"},
            "plus des trois cinquièmes des bulletins déposés (blancs et nuls compris)",
        ),
        ({"base": "yes_no_abstain", "threshold": "55/100"}, f"plus de 55{NBSP}% des votes Pour, Contre et Abstention"),
        (
            {"quorum": "1/4"},
            "plus de la moitié des suffrages exprimés (Pour + Contre), avec un quorum : au moins le quart des "
            "inscrits ayant voté (blancs et nuls compris)",
        ),
    ],
)
def test_rule_describe(data, text):
    assert Rule.parse(data).describe() == text


def test_rule_parse_is_exact():
    rule = Rule.parse({"base": "yes_no", "threshold": "2/3", "strict": True, "quorum": "1/4"})
    assert rule == Rule(RuleBase.YES_NO, Fraction(2, 3), True, Fraction(1, 4))
    assert Rule.parse({"threshold": "0.6"}).threshold == Fraction(3, 5)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "un objet est attendu"),
        ({"base": "members"}, "base inconnue « members »"),
        ({"threshold": "deux tiers"}, "n'est pas un nombre exact"),
        ({"threshold": "3/2"}, "entre 0 \\(exclu\\) et 1"),
        ({"threshold": 0}, "entre 0 \\(exclu\\) et 1"),
        ({"threshold": 1}, "plus de la totalité"),
        ({"strict": "oui"}, "true ou false"),
        ({"quorum": "5/4"}, "quorum : une fraction"),
        ({"treshold": "1/2"}, "champ inconnu « treshold »"),
    ],
)
def test_rule_parse_errors(data, message):
    with pytest.raises(CountError, match=message):
        Rule.parse(data)


# --- Malformed files -----------------------------------------------------------------------

SINGLE = {"method": "single", "options": ["A", "B"]}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ([1, 2], "le fichier doit contenir un objet JSON"),
        ({**SINGLE, "ballot": []}, "champ inconnu « ballot »"),
        ({"options": ["A"], "ballots": []}, "champ « method » manquant"),
        ({"method": "borda", "options": ["A"], "ballots": []}, "méthode inconnue « borda »"),
        ({"method": "single", "ballots": []}, "champ « options » manquant"),
        ({"method": "single", "options": ["A", "A"], "ballots": []}, "« A » figure deux fois"),
        ({"method": "single", "options": ["A", "blank"], "ballots": []}, "« blank » est réservé"),
        ({"method": "single", "options": "A, B", "ballots": []}, "options : une liste de noms"),
        ({"method": "yes_no_abstain", "options": ["yes", "no"], "ballots": []}, '\\["yes", "no", "abstain"\\]'),
        ({"method": "schulze", "options": ["A"], "ballots": []}, "au moins 2 option"),
        (SINGLE, "ni « ballots » ni « tallies »"),
        ({**SINGLE, "ballots": {"A": 3}}, "« ballots » : une liste de bulletins"),
        (
            {**SINGLE, "ballots": [{"choice": "A"}, {"choice": "Z"}]},
            "bulletin n° 2 \\(ballots\\[1\\]\\) : option inconnue « Z » \\(options : A, B\\)",
        ),
        ({**SINGLE, "ballots": [{"count": -2, "choice": "A"}]}, "bulletin n° 1 .* entier positif ou nul"),
        ({**SINGLE, "ballots": [{"count": 1.5, "choice": "A"}]}, "entier positif ou nul"),
        ({**SINGLE, "ballots": [{"choice": "A", "weight": 0}]}, "strictement positif"),
        ({**SINGLE, "ballots": [{"choice": "A", "weight": "lourd"}]}, "« lourd » n'est pas un nombre exact"),
        ({**SINGLE, "ballots": [{"choice": "A", "vote": "B"}]}, "champ inconnu « vote »"),
        ({**SINGLE, "ballots": [{"choice": "A", "approves": ["B"]}]}, "exactement un des champs"),
        ({**SINGLE, "ballots": [{"count": 2}]}, "exactement un des champs"),
        ({**SINGLE, "ballots": ["A"]}, "bulletin n° 1 .* un objet est attendu"),
        ({**SINGLE, "ballots": [{"approves": ["A"]}]}, "« approves » ne s'applique qu'au vote par approbation"),
        ({**SINGLE, "grades": ["Bien", "Mal"], "ballots": []}, "« grades » ne s'applique qu'à la méthode jugement"),
        ({**SINGLE, "seats": 1, "ballots": []}, "« seats » ne s'applique qu'à la méthode vote par approbation"),
        ({**SINGLE, "rule": {"threshold": "2/3"}, "ballots": []}, "seul le quorum s'applique"),
        ({"method": "yes_no_abstain", "ballots": [{"choice": "pour"}]}, "choix inconnu « pour »"),
        ({"method": "approval", "options": ["A", "B"], "ballots": [{"approves": ["A", "A"]}]}, "figure deux fois"),
        ({"method": "approval", "options": ["A", "B"], "ballots": [{"choice": "A"}]}, "porte « approves »"),
        ({"method": "approval", "options": ["A", "B"], "seats": 3, "ballots": []}, "entre 1 et 2"),
        ({"method": "approval", "options": ["A", "B"], "tallies": {"A": 3}}, "nombre de bulletins \\(ballots\\)"),
        ({"method": "approval", "options": ["A", "B"], "tallies": {"A": 3, "ballots": 2}}, "3 approbations pour 2"),
        (
            {"method": "schulze", "options": ["A", "B"], "ballots": [{"ranking": ["A", ["B", "A"]]}]},
            "l'option « A » est classée deux fois",
        ),
        ({"method": "schulze", "options": ["A", "B"], "ballots": [{"ranking": ["A", []]}]}, "liste non vide"),
        ({"method": "schulze", "options": ["A", "B"], "tallies": {"A": 1}}, "utilisez « ballots »"),
        (
            {"method": "schulze", "options": ["A", "B"], "status_quo": "C", "ballots": []},
            "« C » n'est pas une des options",
        ),
        (
            {"method": "majority_judgment", "options": ["A"], "ballots": [{"grades": {"A": "Excellent"}}]},
            "mention inconnue « Excellent »",
        ),
        (
            {"method": "majority_judgment", "options": ["A"], "ballots": [{"grades": {"A": 6}}]},
            "mention inconnue 6 .*de 0 à 5",
        ),
        (
            {"method": "majority_judgment", "options": ["A"], "grades": ["Bien"], "ballots": []},
            "au moins deux mentions",
        ),
        (
            {
                "method": "majority_judgment",
                "options": ["A", "B"],
                "tallies": {"A": [1, 0, 0, 0, 0, 0], "B": [0, 2, 0, 0, 0, 0]},
            },
            "les totaux par option doivent être égaux \\(A : 1, B : 2\\)",
        ),
        (
            {"method": "majority_judgment", "options": ["A", "B"], "tallies": {"A": [1, 0, 0, 0, 0, 0]}},
            "« B » : ses votes",
        ),
        ({"method": "majority_judgment", "options": ["A"], "tallies": {"A": [1, 0]}}, "une liste de 6 nombres"),
        ({"method": "yes_no_abstain", "tallies": {"yes": 3, "no": 2, "ballots": 6}}, "6 annoncés, mais les voix"),
        ({"method": "yes_no_abstain", "tallies": {"oui": 3}}, "« tallies » : option inconnue « oui »"),
        ({"method": "yes_no_abstain", "tallies": {"yes": 3}, "registered": 2}, "3 bulletins pour 2 inscrits"),
        ({"method": "yes_no_abstain", "tallies": {"yes": 3}, "registered": "beaucoup"}, "inscrits \\(registered\\)"),
        ({"method": "yes_no_abstain", "tallies": {"yes": 3}, "rule": {"base": "registered"}}, "inscrits"),
    ],
)
def test_malformed_specifications_name_what_is_wrong(spec, message):
    with pytest.raises(CountError, match=message):
        count_spec(spec)


# --- Display -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "whole", "text"),
    [
        (812, 1190, "68,24"),
        (1, 8, "12,50"),
        (1, 3, "33,33"),
        (2, 3, "66,67"),
        (1, 200, "0,50"),  # half up: 0.5 %
        (1, 80000, "0,00"),
        (0, 0, "0,00"),
        ("1/2", 1, "50,00"),
        (Fraction(1, 2), "1/1", "50,00"),
        (12345, 12345, "100,00"),
    ],
)
def test_display_percent(part, whole, text):
    assert display_percent(part, whole) == f"{text}{NBSP}%"


def test_display_number():
    assert display_number(1234567) == f"1{NNBSP}234{NNBSP}567"
    assert display_number("5/2") == "2,50"
    assert display_number(Fraction(2, 3)) == "0,67"
    assert display_number(0) == "0"


def test_decide_checks_the_tally_belongs_to_the_question():
    question = Question(VoteMethod.SINGLE, ("A", "B"))
    other = Tally.empty(Question(VoteMethod.SINGLE, ("A", "C")))
    with pytest.raises(CountError, match="n'est pas celui de cette question"):
        decide(question, other)


def test_sentence_uses_labels():
    question = Question(VoteMethod.SINGLE, ("12", "13"))
    tally = Tally.empty(question)
    tally.add_ballot(choice="13", count=3)
    tally.add_ballot(choice="12")
    result = decide(question, tally)
    assert sentence(question, result, labels={"13": "Rédaction B"}).startswith("L'option « Rédaction B » l'emporte")


def test_default_grades_and_question_defaults():
    question = Question("majority_judgment", ["A", "B"])
    assert question.method is VoteMethod.MAJORITY_JUDGMENT
    assert question.grades == DEFAULT_GRADES
    assert Question("yes_no_abstain").options == ("yes", "no", "abstain")
    assert Question("yes_no_abstain").effective_rule == Rule(RuleBase.YES_NO)
