"""Counting the members' vote: the methods, the rules of adoption and additive tallies.

Pure Python and exact arithmetic: every figure is an ``int`` or a ``fractions.Fraction``
(weighted ballots may carry a fractional weight); floats appear nowhere, and percentages
are computed only for display, at the end, from exact fractions (:func:`display_percent`).

A :class:`Tally` is additive: the online ballots of a section, the figures of its paper
minutes (procès-verbal) and the tallies of other sections can be added (``a + b``,
``sum(tallies)``) before a single :func:`decide`. :func:`count_spec` is the whole of
``flask polls count``: a JSON specification in, the result out (see its docstring).

The methods:

- ``yes_no_abstain``: Pour / Contre / Abstention, adopted by a :class:`Rule` (base, threshold,
  strict or not, optional quorum);
- ``single``: one option per ballot, the most votes wins;
- ``approval``: any number of options per ballot, the most approvals win (``seats``: the k best);
- ``majority_judgment``: every option graded (best grade first), the best majority grade (lower
  median) wins, ties broken by Balinski and Laraki's majority value;
- ``schulze``: rankings (tie groups allowed, unranked options below the ranked ones), the
  Schulze method with winning-votes strengths; an optional status quo that the winner must
  beat head-to-head.

A tie is never broken arbitrarily: the winner is then ``None`` and ``tied`` lists the options.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cmp_to_key
from typing import Any

Number = int | Fraction


class CountError(ValueError):
    """A malformed count, ballot or rule; the message, in French, names what is wrong."""


class VoteMethod(enum.StrEnum):
    """How a question is answered and counted (same values as ``polls.QuestionMethod``)."""

    YES_NO_ABSTAIN = "yes_no_abstain"
    SINGLE = "single"
    APPROVAL = "approval"
    MAJORITY_JUDGMENT = "majority_judgment"
    SCHULZE = "schulze"


class RuleBase(enum.StrEnum):
    """What the threshold of a yes/no/abstain question is a fraction of (same values as ``polls.MajorityBase``)."""

    YES_NO = "yes_no"  # suffrages exprimés : Pour + Contre
    YES_NO_ABSTAIN = "yes_no_abstain"  # Pour + Contre + Abstention
    BALLOTS = "ballots"  # bulletins déposés, blancs et nuls compris
    REGISTERED = "registered"  # inscrits


DEFAULT_GRADES = ("Très bien", "Bien", "Assez bien", "Passable", "Insuffisant", "À rejeter")
YES_NO_ABSTAIN_OPTIONS = ("yes", "no", "abstain")
CHOICE_LABELS = {"yes": "Pour", "no": "Contre", "abstain": "Abstention"}
BLANK = "blank"
VOID = "void"
# Names a ballot or a tally uses for something else than an option.
RESERVED_NAMES = frozenset({BLANK, VOID, "ballots"})

METHOD_NAMES = {
    VoteMethod.YES_NO_ABSTAIN: "Pour / Contre / Abstention",
    VoteMethod.SINGLE: "choix unique",
    VoteMethod.APPROVAL: "vote par approbation",
    VoteMethod.MAJORITY_JUDGMENT: "jugement majoritaire",
    VoteMethod.SCHULZE: "méthode Schulze",
}

# ---------------------------------------------------------------------------------------------
# Exact numbers


def _normal(value: Number) -> Number:
    """A Fraction with denominator 1 as an int (ints stay ints)."""
    if isinstance(value, Fraction) and value.denominator == 1:
        return value.numerator
    return value


def to_number(value: Any, what: str) -> Number:
    """An exact number from an int, a Fraction or a string (« 3/2 », « 1.5 »); CountError otherwise.

    A float is read as the decimal it prints as (``1.5`` → 3/2), never as its binary value.
    """
    if isinstance(value, bool):
        raise CountError(f"{what} : « {value} » n'est pas un nombre.")
    if isinstance(value, int):
        return value
    if isinstance(value, Fraction):
        return _normal(value)
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, str):
        text = value.strip()
        # No huge exponent or length: « 1e999999 » would make Python compute 10**999999.
        if len(text) <= 64 and not re.search(r"[eE][+-]?0*\d{4,}", text):
            try:
                return _normal(Fraction(text))
            except (ValueError, ZeroDivisionError):
                pass
        raise CountError(f"{what} : « {value} » n'est pas un nombre exact (écrivez par exemple 3/2 ou 1.5).")
    raise CountError(f"{what} : un nombre est attendu, pas {_json_kind(value)}.")


def to_count(value: Any, what: str) -> int:
    """A whole number ≥ 0 (a number of ballots or of votes); CountError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, Fraction) and value.denominator == 1 and value >= 0:
            return value.numerator
        raise CountError(f"{what} : un nombre entier positif ou nul est attendu, pas {_show(value)}.")
    if value < 0:
        raise CountError(f"{what} : un nombre entier positif ou nul est attendu, pas {value}.")
    return value


def json_number(value: Number) -> int | str:
    """An exact number for JSON: an int, or the string « a/b » for a fraction."""
    value = _normal(value)
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    return value


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "un booléen"
    if isinstance(value, str):
        return f"le texte « {value} »"
    if isinstance(value, Mapping):
        return "un objet"
    if isinstance(value, list | tuple):
        return "une liste"
    return f"« {value} »"


def _show(value: Any) -> str:
    if isinstance(value, int | Fraction) and not isinstance(value, bool):
        return str(json_number(value))
    return _json_kind(value)


def _group_digits(n: int) -> str:
    """« 1 190 » with a narrow no-break space between groups of three digits, as French typography wants."""
    sign = "-" if n < 0 else ""
    digits = str(abs(n))
    groups = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    return sign + "\u202f".join(groups)


def _round_half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


def display_number(value: Any) -> str:
    """« 1 190 » for a whole number, « 12,50 » for a fraction (rounded to two decimals for display only)."""
    number = to_number(value, "nombre")
    if isinstance(number, int):
        return _group_digits(number)
    cents = _round_half_up(abs(number) * 100)
    sign = "-" if number < 0 else ""
    return f"{sign}{_group_digits(cents // 100)},{cents % 100:02d}"


def display_percent(part: Any, whole: Any) -> str:
    """``part`` as a percentage of ``whole``, « 68,24 % », rounded half up from the exact fraction (display only).

    A whole of zero gives « 0,00 % ».
    """
    part_n = Fraction(to_number(part, "part"))
    whole_n = Fraction(to_number(whole, "total"))
    if whole_n <= 0:
        return "0,00\u00a0%"
    cents = _round_half_up(part_n * 10000 / whole_n)
    return f"{_group_digits(cents // 100)},{cents % 100:02d}\u00a0%"


# ---------------------------------------------------------------------------------------------
# Rules of adoption

_FRACTION_WORDS = {
    Fraction(1, 2): "la moitié",
    Fraction(1, 3): "le tiers",
    Fraction(2, 3): "les deux tiers",
    Fraction(1, 4): "le quart",
    Fraction(3, 4): "les trois quarts",
    Fraction(1, 5): "le cinquième",
    Fraction(2, 5): "les deux cinquièmes",
    Fraction(3, 5): "les trois cinquièmes",
    Fraction(4, 5): "les quatre cinquièmes",
    Fraction(1, 10): "le dixième",
    Fraction(1): "la totalité",
}

_BASE_PHRASES = {
    RuleBase.YES_NO: "des suffrages exprimés (Pour + Contre)",
    RuleBase.YES_NO_ABSTAIN: "des votes Pour, Contre et Abstention",
    RuleBase.BALLOTS: "des bulletins déposés (blancs et nuls compris)",
    RuleBase.REGISTERED: "des inscrits",
}


def fraction_words(value: Fraction) -> str:
    """« la moitié », « les deux tiers », « le quart », « 55 % », « les 7/12 »."""
    value = Fraction(value)
    if value in _FRACTION_WORDS:
        return _FRACTION_WORDS[value]
    percent = value * 100
    if percent.denominator == 1:
        return f"{percent.numerator}\u00a0%"
    return f"les {value.numerator}/{value.denominator}"


def _de(phrase: str) -> str:
    """« de » before a noun phrase, contracted: la moitié → de la moitié, les deux tiers → des deux tiers."""
    if phrase.startswith("les "):
        return "des " + phrase[4:]
    if phrase.startswith("le "):
        return "du " + phrase[3:]
    return "de " + phrase


def _fraction(value: Any, what: str) -> Fraction:
    number = Fraction(to_number(value, what))
    if not 0 < number <= 1:
        raise CountError(
            f"{what} : une fraction comprise entre 0 (exclu) et 1 est attendue, pas {json_number(number)}."
        )
    return number


@dataclass(frozen=True)
class Rule:
    """The rule of adoption of a yes/no/abstain question.

    Adopted when the Pour votes are more than (``strict``) or at least ``threshold`` × the base,
    and, with a ``quorum``, when the ballots cast (blank and void included) reach ``quorum`` ×
    the registered. For the other methods only the quorum of a rule is used.
    """

    base: RuleBase
    threshold: Fraction = Fraction(1, 2)
    strict: bool = True
    quorum: Fraction | None = None

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "base", RuleBase(self.base))
        except ValueError:
            raise CountError(
                f"règle : base inconnue « {self.base} » (bases possibles : {', '.join(RuleBase)})."
            ) from None
        object.__setattr__(self, "threshold", _fraction(self.threshold, "règle : seuil (threshold)"))
        if not isinstance(self.strict, bool):
            raise CountError(f"règle : « strict » doit valoir true ou false, pas {_show(self.strict)}.")
        if self.strict and self.threshold == 1:
            raise CountError(
                "règle : « plus de la totalité » est impossible ; avec un seuil de 1, strict doit être false."
            )
        if self.quorum is not None:
            object.__setattr__(self, "quorum", _fraction(self.quorum, "règle : quorum"))

    @classmethod
    def parse(cls, data: Any) -> Rule:
        """A rule from its JSON form ``{"base": "yes_no", "threshold": "2/3", "strict": true, "quorum": "1/4"}``.

        Every key is optional: base ``yes_no``, threshold 1/2, strict, no quorum.
        """
        if not isinstance(data, Mapping):
            raise CountError(f"règle (rule) : un objet est attendu, pas {_json_kind(data)}.")
        unknown = sorted(set(data) - {"base", "threshold", "strict", "quorum"})
        if unknown:
            raise CountError(
                f"règle (rule) : champ inconnu « {unknown[0]} » (champs possibles : base, threshold, strict, quorum)."
            )
        base = data.get("base", RuleBase.YES_NO)
        if not isinstance(base, str):
            raise CountError(f"règle : la base doit être un texte, pas {_json_kind(base)}.")
        return cls(
            base=base,
            threshold=data.get("threshold", Fraction(1, 2)),
            strict=data.get("strict", True),
            quorum=data.get("quorum"),
        )

    @property
    def threshold_phrase(self) -> str:
        """« plus de la moitié », « au moins les deux tiers »."""
        words = fraction_words(self.threshold)
        if self.threshold == 1:
            return words  # « la totalité » (strict is then refused)
        return f"plus {_de(words)}" if self.strict else f"au moins {words}"

    def describe(self) -> str:
        """The rule in French: « plus de la moitié des suffrages exprimés (Pour + Contre) »."""
        text = f"{self.threshold_phrase} {_BASE_PHRASES[self.base]}"
        if self.quorum is not None:
            text += f", avec un quorum : au moins {fraction_words(self.quorum)} des inscrits ayant voté"
            text += " (blancs et nuls compris)"
        return text

    def passes(self, votes: Number, base: Number) -> bool:
        """True if ``votes`` satisfy the threshold of ``base`` (never with zero votes)."""
        if votes <= 0:
            return False
        needed = self.threshold * base
        return votes > needed if self.strict else votes >= needed

    def to_json(self) -> dict[str, Any]:
        return {
            "base": self.base.value,
            "threshold": json_number(self.threshold),
            "strict": self.strict,
            "quorum": None if self.quorum is None else json_number(self.quorum),
        }


DEFAULT_RULE = Rule(RuleBase.YES_NO)


# ---------------------------------------------------------------------------------------------
# Questions


def _names(value: Any, what: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise CountError(f"{what} : une liste de noms est attendue, pas {_json_kind(value)}.")
    names: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise CountError(f"{what} : chaque nom doit être un texte non vide, pas {_json_kind(item)}.")
        if item in names:
            raise CountError(f"{what} : « {item} » figure deux fois.")
        names.append(item)
    return tuple(names)


def _method(value: Any) -> VoteMethod:
    try:
        return VoteMethod(value)
    except ValueError:
        raise CountError(
            f"méthode inconnue « {value} » (méthodes possibles : {', '.join(m.value for m in VoteMethod)})."
        ) from None


@dataclass(frozen=True)
class Question:
    """What is asked and how it is counted: the method, the options (names), and per method the grades
    (majority judgment, best first), the seats (approval), the status quo (Schulze) and the rule."""

    method: VoteMethod
    options: tuple[str, ...] = ()
    grades: tuple[str, ...] = DEFAULT_GRADES
    seats: int | None = None
    status_quo: str | None = None
    rule: Rule | None = None

    def __post_init__(self) -> None:
        method = _method(self.method)
        object.__setattr__(self, "method", method)
        options = _names(self.options, "options")
        if method is VoteMethod.YES_NO_ABSTAIN:
            if options and set(options) != set(YES_NO_ABSTAIN_OPTIONS):
                raise CountError(
                    'options : une question Pour / Contre / Abstention a les options ["yes", "no", "abstain"].'
                )
            options = YES_NO_ABSTAIN_OPTIONS
        else:
            reserved = [o for o in options if o in RESERVED_NAMES]
            if reserved:
                raise CountError(
                    f"options : « {reserved[0]} » est réservé (blank, void, ballots) et ne peut nommer une option."
                )
            minimum = 2 if method is VoteMethod.SCHULZE else 1
            if len(options) < minimum:
                raise CountError(
                    f"options : il faut au moins {minimum} option(s) pour la méthode {METHOD_NAMES[method]}."
                )
        object.__setattr__(self, "options", options)
        grades = _names(self.grades, "mentions (grades)")
        if method is VoteMethod.MAJORITY_JUDGMENT and len(grades) < 2:
            raise CountError("mentions (grades) : il faut au moins deux mentions, de la meilleure à la pire.")
        object.__setattr__(self, "grades", grades)
        if self.seats is not None:
            if method is not VoteMethod.APPROVAL:
                raise CountError("sièges (seats) : ne s'applique qu'au vote par approbation.")
            seats = to_count(self.seats, "sièges (seats)")
            if not 1 <= seats <= len(options):
                raise CountError(f"sièges (seats) : entre 1 et {len(options)} (le nombre d'options), pas {seats}.")
            object.__setattr__(self, "seats", seats)
        if self.status_quo is not None:
            if method is not VoteMethod.SCHULZE:
                raise CountError("statu quo (status_quo) : ne s'applique qu'à la méthode Schulze.")
            if self.status_quo not in options:
                raise CountError(f"statu quo (status_quo) : « {self.status_quo} » n'est pas une des options.")
        if self.rule is not None:
            if not isinstance(self.rule, Rule):
                raise CountError("règle (rule) : une Rule est attendue.")
            if method is not VoteMethod.YES_NO_ABSTAIN and (
                self.rule.base is not RuleBase.YES_NO or self.rule.threshold != Fraction(1, 2) or not self.rule.strict
            ):
                raise CountError(
                    f"règle (rule) : pour la méthode {METHOD_NAMES[method]}, seul le quorum s'applique "
                    '(écrivez par exemple {"quorum": "1/4"}).'
                )

    @property
    def effective_rule(self) -> Rule | None:
        """The rule: the question's, or for yes/no/abstain « plus de la moitié des suffrages exprimés »."""
        if self.rule is None and self.method is VoteMethod.YES_NO_ABSTAIN:
            return DEFAULT_RULE
        return self.rule

    @property
    def tally_grades(self) -> tuple[str, ...]:
        return self.grades if self.method is VoteMethod.MAJORITY_JUDGMENT else ()


# ---------------------------------------------------------------------------------------------
# Tallies

RankingKey = tuple[tuple[str, ...], ...]


def _weight(value: Any) -> Number:
    weight = to_number(value, "poids (weight)")
    if weight <= 0:
        raise CountError(f"poids (weight) : un nombre strictement positif est attendu, pas {json_number(weight)}.")
    return weight


@dataclass
class Tally:
    """The additive count of one question in one unit.

    ``ballots`` is the head count of ballots (blank and void included), ``weight`` their total
    weight (equal to ``ballots`` when no ballot is weighted); ``blank``, ``void`` and every vote
    figure are weights. Per method: ``votes`` (yes/no/abstain and single: votes per option;
    approval: approvals per option), ``grade_votes`` (majority judgment: per option, the votes
    per grade, best first) or ``rankings`` (Schulze: each distinct ranking, as tie groups with
    the unranked options as a last group, and its weight).
    """

    method: VoteMethod
    options: tuple[str, ...]
    grades: tuple[str, ...] = ()
    ballots: int = 0
    weight: Number = 0
    blank: Number = 0
    void: Number = 0
    votes: dict[str, Number] = field(default_factory=dict)
    grade_votes: dict[str, list[Number]] = field(default_factory=dict)
    rankings: dict[RankingKey, Number] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.method = _method(self.method)
        self.options = tuple(self.options)
        self.grades = tuple(self.grades)

    @classmethod
    def empty(cls, question: Question) -> Tally:
        """A tally with no ballot for ``question``."""
        tally = cls(question.method, tuple(question.options), question.tally_grades)
        if question.method is VoteMethod.MAJORITY_JUDGMENT:
            tally.grade_votes = {o: [0] * len(question.grades) for o in question.options}
        elif question.method is not VoteMethod.SCHULZE:
            tally.votes = dict.fromkeys(question.options, 0)
        return tally

    @property
    def valid(self) -> Number:
        """The weight of the ballots that are neither blank nor void."""
        return self.weight - self.blank - self.void

    def copy(self) -> Tally:
        return Tally(
            self.method,
            self.options,
            self.grades,
            self.ballots,
            self.weight,
            self.blank,
            self.void,
            dict(self.votes),
            {o: list(g) for o, g in self.grade_votes.items()},
            dict(self.rankings),
        )

    def matches(self, question: Question) -> bool:
        """True if this tally counts ``question`` (same method, options and grades)."""
        return (
            self.method is question.method
            and self.options == tuple(question.options)
            and self.grades == question.tally_grades
        )

    # -- adding ballots -----------------------------------------------------------------------

    def _unknown(self, name: Any) -> CountError:
        shown = f"« {name} »" if isinstance(name, str) else _json_kind(name)
        return CountError(f"option inconnue {shown} (options : {', '.join(self.options)}).")

    def _ranking_key(self, ranking: Any) -> RankingKey:
        """The canonical form of a ranking: tie groups in option order, the unranked options as a last group."""
        if isinstance(ranking, str) or not isinstance(ranking, Sequence):
            raise CountError(f"classement (ranking) : une liste est attendue, pas {_json_kind(ranking)}.")
        position = {o: i for i, o in enumerate(self.options)}
        seen: set[str] = set()
        groups: list[tuple[str, ...]] = []
        for item in ranking:
            members = [item] if isinstance(item, str) else item
            if isinstance(members, str) or not isinstance(members, Sequence) or not members:
                raise CountError(
                    f"classement (ranking) : chaque rang est une option ou une liste non vide d'options ex aequo, "
                    f"pas {_json_kind(item)}."
                )
            for name in members:
                if not isinstance(name, str) or name not in position:
                    raise self._unknown(name)
                if name in seen:
                    raise CountError(f"classement (ranking) : l'option « {name} » est classée deux fois.")
                seen.add(name)
            groups.append(tuple(sorted(members, key=position.__getitem__)))
        if groups:
            unranked = tuple(o for o in self.options if o not in seen)
            if unranked:
                groups.append(unranked)
        return tuple(groups)

    def _grade_index(self, grade: Any) -> int:
        if isinstance(grade, int) and not isinstance(grade, bool):
            if 0 <= grade < len(self.grades):
                return grade
        elif isinstance(grade, str) and grade in self.grades:
            return self.grades.index(grade)
        shown = f"« {grade} »" if isinstance(grade, str) else _show(grade)
        raise CountError(
            f"mention inconnue {shown} (mentions : {', '.join(self.grades)}, "
            f"ou leur rang de 0 à {len(self.grades) - 1})."
        )

    def add_ballot(
        self,
        *,
        choice: str | None = None,
        approves: Sequence[str] | None = None,
        ranking: Sequence[str | Sequence[str]] | None = None,
        grades: Mapping[str, str | int] | None = None,
        count: int = 1,
        weight: Any = 1,
    ) -> None:
        """Add ``count`` identical ballots of weight ``weight`` each; CountError (nothing added) if one is malformed.

        A ballot carries exactly one of: ``choice`` (« yes » / « no » / « abstain » or an option; « blank »
        and « void » for a blank or void ballot of any method), ``approves`` (a list of options; empty:
        blank), ``ranking`` (best first, an element may be a list of tied options; unranked options come
        below the ranked ones; empty: blank) or ``grades`` (option → grade name or rank, 0 = the best;
        an option not graded gets the worst grade; empty: blank).
        """
        given = [
            name
            for name, value in (("choice", choice), ("approves", approves), ("ranking", ranking), ("grades", grades))
            if value is not None
        ]
        if len(given) != 1:
            raise CountError(
                "un bulletin porte exactement un des champs choice, approves, ranking ou grades"
                + (f" (ici : {', '.join(given)})." if given else ".")
            )
        count = to_count(count, "nombre (count)")
        amount = count * _weight(weight)
        method = self.method
        kind = given[0]
        apply: Any
        if kind == "choice":
            if choice in (BLANK, VOID):
                apply = None
            elif method in (VoteMethod.YES_NO_ABSTAIN, VoteMethod.SINGLE):
                if not isinstance(choice, str) or choice not in self.votes:
                    if method is VoteMethod.YES_NO_ABSTAIN:
                        shown = f"« {choice} »" if isinstance(choice, str) else _json_kind(choice)
                        raise CountError(f"choix inconnu {shown} (choix possibles : yes, no, abstain, blank, void).")
                    raise self._unknown(choice)
                apply = ("votes", (choice,))
            else:
                field_name = {
                    VoteMethod.APPROVAL: "approves",
                    VoteMethod.MAJORITY_JUDGMENT: "grades",
                    VoteMethod.SCHULZE: "ranking",
                }[method]
                raise CountError(
                    f"pour la méthode {METHOD_NAMES[method]}, un bulletin porte « {field_name} » "
                    '(« choice » ne vaut que "blank" ou "void").'
                )
        elif kind == "approves":
            if method is not VoteMethod.APPROVAL:
                raise CountError(
                    f"« approves » ne s'applique qu'au vote par approbation, pas à la méthode {METHOD_NAMES[method]}."
                )
            if isinstance(approves, str) or not isinstance(approves, Sequence):
                raise CountError(
                    f"approbations (approves) : une liste d'options est attendue, pas {_json_kind(approves)}."
                )
            for name in approves:
                if not isinstance(name, str) or name not in self.votes:
                    raise self._unknown(name)
            if len(set(approves)) != len(approves):
                raise CountError("approbations (approves) : une option y figure deux fois.")
            apply = ("votes", tuple(approves)) if approves else ("blank",)
        elif kind == "ranking":
            if method is not VoteMethod.SCHULZE:
                raise CountError(
                    f"« ranking » ne s'applique qu'à la méthode Schulze, pas à la méthode {METHOD_NAMES[method]}."
                )
            key = self._ranking_key(ranking)
            apply = ("ranking", key) if key else ("blank",)
        else:
            if method is not VoteMethod.MAJORITY_JUDGMENT:
                raise CountError(
                    f"« grades » ne s'applique qu'au jugement majoritaire, pas à la méthode {METHOD_NAMES[method]}."
                )
            if not isinstance(grades, Mapping):
                raise CountError(
                    f"mentions (grades) : un objet option → mention est attendu, pas {_json_kind(grades)}."
                )
            worst = len(self.grades) - 1
            indices = dict.fromkeys(self.options, worst)
            for name, grade in grades.items():
                if name not in indices:
                    raise self._unknown(name)
                indices[name] = self._grade_index(grade)
            apply = ("grades", indices) if grades else ("blank",)

        # Everything is valid: add.
        self.ballots += count
        self.weight = _normal(self.weight + amount)
        if apply is None:
            if choice == BLANK:
                self.blank = _normal(self.blank + amount)
            else:
                self.void = _normal(self.void + amount)
        elif apply[0] == "blank":
            self.blank = _normal(self.blank + amount)
        elif apply[0] == "votes":
            for name in apply[1]:
                self.votes[name] = _normal(self.votes[name] + amount)
        elif apply[0] == "ranking":
            self.rankings[apply[1]] = _normal(self.rankings.get(apply[1], 0) + amount)
        else:
            for name, index in apply[1].items():
                row = self.grade_votes[name]
                row[index] = _normal(row[index] + amount)

    def add_tallies(
        self,
        *,
        votes: Mapping[str, int] | None = None,
        grades: Mapping[str, Sequence[int]] | None = None,
        rankings: Iterable[tuple[Sequence[str | Sequence[str]], int]] | None = None,
        ballots: int | None = None,
        blank: int = 0,
        void: int = 0,
    ) -> None:
        """Add aggregated figures (paper minutes, votes per grade), each ballot of weight 1; CountError if inconsistent.

        - yes/no/abstain: ``votes={"yes": n, "no": n, "abstain": n}``; single: ``votes`` per option;
        - approval: ``votes`` = approvals per option and ``ballots`` (required);
        - majority judgment: ``grades={option: [votes per grade, best first]}``, every option with the same total;
        - Schulze: ``rankings=[(ranking, count), …]``.

        ``blank`` and ``void`` are the blank and void ballots; ``ballots``, when given, is the number of ballots
        of these figures (blank and void included) and must agree with them.
        """
        blank = to_count(blank, "blancs (blank)")
        void = to_count(void, "nuls (void)")
        method = self.method
        add_votes: dict[str, int] = {}
        add_grades: dict[str, list[int]] = {}
        add_rankings: dict[RankingKey, int] = {}
        if method is not VoteMethod.MAJORITY_JUDGMENT and grades is not None:
            raise CountError("des votes par mention (grades) ne s'appliquent qu'au jugement majoritaire.")
        if method is not VoteMethod.SCHULZE and rankings is not None:
            raise CountError("des classements (rankings) ne s'appliquent qu'à la méthode Schulze.")
        if method in (VoteMethod.MAJORITY_JUDGMENT, VoteMethod.SCHULZE) and votes is not None:
            raise CountError(f"des voix par option (votes) ne s'appliquent pas à la méthode {METHOD_NAMES[method]}.")
        if votes is not None:
            if not isinstance(votes, Mapping):
                raise CountError(f"voix : un objet option → nombre est attendu, pas {_json_kind(votes)}.")
            for name, n in votes.items():
                if name not in self.votes:
                    raise self._unknown(name)
                add_votes[name] = to_count(n, f"voix de « {name} »")
        if method is VoteMethod.APPROVAL:
            if ballots is None:
                raise CountError("vote par approbation : le nombre de bulletins (ballots) est nécessaire.")
            total = to_count(ballots, "bulletins (ballots)")
            valid = total - blank - void
            if valid < 0:
                raise CountError(f"bulletins (ballots) : {total} bulletins, mais {blank} blancs et {void} nuls.")
            for name, n in add_votes.items():
                if n > valid:
                    raise CountError(
                        f"« {name} » a {n} approbations pour {valid} bulletin(s) valable(s) : c'est impossible."
                    )
        elif method is VoteMethod.MAJORITY_JUDGMENT:
            valid = 0
            if grades is not None and (not isinstance(grades, Mapping) or grades):  # {}: no valid ballot
                if not isinstance(grades, Mapping):
                    raise CountError(f"mentions : un objet option → liste est attendu, pas {_json_kind(grades)}.")
                for name, row in grades.items():
                    if name not in self.grade_votes:
                        raise self._unknown(name)
                    if isinstance(row, str) or not isinstance(row, Sequence) or len(row) != len(self.grades):
                        raise CountError(
                            f"« {name} » : une liste de {len(self.grades)} nombres est attendue "
                            f"(un par mention, de « {self.grades[0]} » à « {self.grades[-1]} »)."
                        )
                    add_grades[name] = [
                        to_count(n, f"« {name} », mention « {g} »") for n, g in zip(row, self.grades, strict=True)
                    ]
                missing = [o for o in self.options if o not in add_grades]
                if missing:
                    raise CountError(f"« {missing[0]} » : ses votes par mention manquent.")
                sums = {name: sum(row) for name, row in add_grades.items()}
                if len(set(sums.values())) > 1:
                    detail = ", ".join(f"{name} : {n}" for name, n in sums.items())
                    raise CountError(
                        "chaque bulletin valable note toutes les options : les totaux par option "
                        f"doivent être égaux ({detail})."
                    )
                valid = next(iter(sums.values()), 0)
            total = valid + blank + void
        elif method is VoteMethod.SCHULZE:
            for index, item in enumerate(rankings or ()):
                if isinstance(item, str | Mapping) or not isinstance(item, Sequence) or len(item) != 2:
                    raise CountError(f"classement n° {index + 1} : une paire (classement, nombre) est attendue.")
                key = self._ranking_key(item[0])
                n = to_count(item[1], f"classement n° {index + 1} : nombre")
                if key:
                    add_rankings[key] = add_rankings.get(key, 0) + n
                else:
                    blank += n
            total = sum(add_rankings.values()) + blank + void
        else:
            total = sum(add_votes.values()) + blank + void
        if ballots is not None and to_count(ballots, "bulletins (ballots)") != total:
            raise CountError(
                f"bulletins (ballots) : {ballots} annoncés, mais les voix, blancs et nuls en font {total}."
            )

        self.ballots += total
        self.weight = _normal(self.weight + total)
        self.blank = _normal(self.blank + blank)
        self.void = _normal(self.void + void)
        for name, n in add_votes.items():
            self.votes[name] = _normal(self.votes[name] + n)
        for name, row in add_grades.items():
            self.grade_votes[name] = [_normal(a + b) for a, b in zip(self.grade_votes[name], row, strict=True)]
        for key, n in add_rankings.items():
            self.rankings[key] = _normal(self.rankings.get(key, 0) + n)

    # -- sums -------------------------------------------------------------------------------

    def __add__(self, other: Any) -> Tally:
        if not isinstance(other, Tally):
            return NotImplemented
        if (self.method, self.options, self.grades) != (other.method, other.options, other.grades):
            raise CountError("impossible d'additionner les dépouillements de deux questions différentes.")
        total = self.copy()
        total.ballots += other.ballots
        total.weight = _normal(total.weight + other.weight)
        total.blank = _normal(total.blank + other.blank)
        total.void = _normal(total.void + other.void)
        for name, n in other.votes.items():
            total.votes[name] = _normal(total.votes.get(name, 0) + n)
        for name, row in other.grade_votes.items():
            total.grade_votes[name] = [_normal(a + b) for a, b in zip(total.grade_votes[name], row, strict=True)]
        for key, n in other.rankings.items():
            total.rankings[key] = _normal(total.rankings.get(key, 0) + n)
        return total

    def __radd__(self, other: Any) -> Tally:
        if other == 0:  # sum() starts from 0
            return self.copy()
        return NotImplemented

    # -- secrecy ----------------------------------------------------------------------------

    def is_revealing(self) -> bool:
        """True if every ballot in it is identical (all « Pour », all blank, every option graded the same…).

        Exact from the additive figures: every ballot has a positive weight, so a figure is zero
        exactly when no ballot has it. An empty tally reveals nothing.
        """
        if self.ballots == 0:
            return False
        valid = self.valid
        kinds = sum(1 for amount in (self.blank, self.void, valid) if amount)
        if kinds != 1:
            return kinds == 0
        if not valid:
            return True
        if self.method in (VoteMethod.YES_NO_ABSTAIN, VoteMethod.SINGLE):
            return sum(1 for n in self.votes.values() if n) == 1
        if self.method is VoteMethod.APPROVAL:
            return all(n in (0, valid) for n in self.votes.values())
        if self.method is VoteMethod.MAJORITY_JUDGMENT:
            return all(sum(1 for n in row if n) == 1 for row in self.grade_votes.values())
        return sum(1 for n in self.rankings.values() if n) == 1

    # -- storage ----------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The tally as a JSON-ready dict (numbers as ints or « a/b » strings), read back by :meth:`from_json`."""
        data: dict[str, Any] = {
            "method": self.method.value,
            "options": list(self.options),
            "ballots": self.ballots,
            "weight": json_number(self.weight),
            "blank": json_number(self.blank),
            "void": json_number(self.void),
        }
        if self.method is VoteMethod.MAJORITY_JUDGMENT:
            data["grades"] = list(self.grades)
            data["grade_votes"] = {o: [json_number(n) for n in row] for o, row in self.grade_votes.items()}
        elif self.method is VoteMethod.SCHULZE:
            data["rankings"] = [
                [[list(group) for group in key], json_number(n)] for key, n in sorted(self.rankings.items())
            ]
        else:
            data["votes"] = {o: json_number(n) for o, n in self.votes.items()}
        return data

    @classmethod
    def from_json(cls, data: Any) -> Tally:
        """A tally from :meth:`to_json`'s dict (or its JSON text); CountError if it is malformed or inconsistent."""
        if isinstance(data, str | bytes):
            import json

            try:
                data = json.loads(data)
            except ValueError as error:
                raise CountError(f"dépouillement enregistré : JSON invalide ({error}).") from None
        if not isinstance(data, Mapping):
            raise CountError(f"dépouillement enregistré : un objet est attendu, pas {_json_kind(data)}.")
        method = _method(data.get("method"))
        allowed = {"method", "options", "ballots", "weight", "blank", "void"} | {
            VoteMethod.MAJORITY_JUDGMENT: {"grades", "grade_votes"},
            VoteMethod.SCHULZE: {"rankings"},
        }.get(method, {"votes"})
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise CountError(f"dépouillement enregistré : champ inconnu « {unknown[0]} ».")
        question = Question(
            method,
            data.get("options", ()),
            data.get("grades", DEFAULT_GRADES) if method is VoteMethod.MAJORITY_JUDGMENT else DEFAULT_GRADES,
        )
        tally = cls.empty(question)
        tally.ballots = to_count(data.get("ballots", 0), "bulletins (ballots)")

        def amount(value: Any, what: str) -> Number:
            number = to_number(value, what)
            if number < 0:
                raise CountError(f"{what} : un nombre positif ou nul est attendu, pas {json_number(number)}.")
            return number

        tally.weight = amount(data.get("weight", tally.ballots), "poids (weight)")
        tally.blank = amount(data.get("blank", 0), "blancs (blank)")
        tally.void = amount(data.get("void", 0), "nuls (void)")
        if (tally.ballots == 0) != (tally.weight == 0):
            raise CountError("dépouillement enregistré : le nombre de bulletins et leur poids se contredisent.")
        valid = tally.valid
        if valid < 0:
            raise CountError("dépouillement enregistré : plus de blancs et de nuls que de bulletins.")
        if method is VoteMethod.MAJORITY_JUDGMENT:
            rows = data.get("grade_votes", {})
            if not isinstance(rows, Mapping) or set(rows) != set(question.options):
                raise CountError("dépouillement enregistré : les votes par mention doivent couvrir chaque option.")
            for name, row in rows.items():
                if isinstance(row, str) or not isinstance(row, Sequence) or len(row) != len(question.grades):
                    raise CountError(f"dépouillement enregistré : « {name} » doit avoir un nombre par mention.")
                tally.grade_votes[name] = [amount(n, f"« {name} »") for n in row]
                if sum(tally.grade_votes[name]) != valid:
                    raise CountError(
                        f"dépouillement enregistré : les mentions de « {name} » ne font pas les bulletins valables."
                    )
        elif method is VoteMethod.SCHULZE:
            rows = data.get("rankings", [])
            if isinstance(rows, str) or not isinstance(rows, Sequence):
                raise CountError("dépouillement enregistré : « rankings » doit être une liste.")
            for item in rows:
                if isinstance(item, str) or not isinstance(item, Sequence) or len(item) != 2:
                    raise CountError("dépouillement enregistré : chaque classement est une paire (classement, poids).")
                key = tally._ranking_key(item[0])
                if not key:
                    raise CountError("dépouillement enregistré : un classement vide est un bulletin blanc.")
                tally.rankings[key] = _normal(tally.rankings.get(key, 0) + amount(item[1], "classement"))
            if sum(tally.rankings.values()) != valid:
                raise CountError("dépouillement enregistré : les classements ne font pas les bulletins valables.")
        else:
            rows = data.get("votes", {})
            if not isinstance(rows, Mapping):
                raise CountError("dépouillement enregistré : « votes » doit être un objet.")
            for name, n in rows.items():
                if name not in tally.votes:
                    raise tally._unknown(name)
                tally.votes[name] = amount(n, f"voix de « {name} »")
            if method is VoteMethod.APPROVAL:
                if any(n > valid for n in tally.votes.values()):
                    raise CountError("dépouillement enregistré : plus d'approbations que de bulletins valables.")
            elif sum(tally.votes.values()) != valid:
                raise CountError("dépouillement enregistré : les voix ne font pas les bulletins valables.")
        return tally


# ---------------------------------------------------------------------------------------------
# Methods


def _groups(options: Sequence[str], score: Mapping[str, Any]) -> list[list[str]]:
    """The options in tie groups by decreasing score (option order inside a group)."""
    ordered = sorted(options, key=lambda o: score[o], reverse=True)
    groups: list[list[str]] = []
    for name in ordered:
        if groups and score[groups[-1][0]] == score[name]:
            groups[-1].append(name)
        else:
            groups.append([name])
    return groups


def _first(ranking: list[list[str]], has_votes: bool) -> tuple[str | None, list[str]]:
    """The winner and the options tied for first."""
    if not ranking or not has_votes:
        options = [o for group in ranking for o in group]
        return None, options if len(options) > 1 else []
    top = ranking[0]
    return (top[0], []) if len(top) == 1 else (None, list(top))


def majority_grade_index(row: Sequence[Number]) -> int | None:
    """The majority grade (lower median) of one option: the best grade that more than half of the votes reach.

    ``row`` holds the votes per grade, best first; None without votes.
    """
    total = sum(row)
    if total <= 0:
        return None
    reached: Number = 0
    for index, n in enumerate(row):
        reached += n
        if 2 * reached > total:
            return index
    return len(row) - 1  # pragma: no cover - unreachable: the last grade reaches the total


def _scaled_rows(rows: Mapping[str, Sequence[Number]]) -> dict[str, list[int]]:
    """The rows as whole numbers: fractional weights multiplied by the lcm of their denominators."""
    scale = 1
    for row in rows.values():
        for n in row:
            if isinstance(n, Fraction):
                scale = math.lcm(scale, n.denominator)
    return {name: [int(n * scale) for n in row] for name, row in rows.items()}


def majority_value(row: Sequence[int]) -> tuple[int | None, list[tuple[int, int, int]]]:
    """Balinski and Laraki's majority value, run-length encoded, of whole-number votes per grade (best first).

    The majority value is the sequence of the grades obtained by taking the majority grade (lower
    median), removing one vote of that grade, and again until no vote is left. Its elements
    alternate between the lower half (from the median, going worse) and the upper half (going
    better): with n votes sorted best first and m = n // 2 + 1, it is L1 U1 L2 U2 … for an even
    n and L1 L2 U1 L3 U2 … for an odd one. Returned as the leading element for an odd n (else
    None) and pairs ``(lower grade, upper grade, repetitions)``; grade indices, 0 = the best.
    """
    total = sum(row)
    if total == 0:
        return None, []
    cumulative = []
    reached = 0
    for n in row:
        reached += n
        cumulative.append(reached)

    def grade_at(position: int) -> int:  # 1-based position, best first
        for index, cum in enumerate(cumulative):
            if cum >= position:
                return index
        raise AssertionError(position)  # pragma: no cover

    median = total // 2 + 1
    lower_start = median
    leading = None
    if total % 2:
        leading = grade_at(median)
        lower_start = median + 1
    lower: list[list[int]] = []  # [grade, run] from lower_start to the end, going worse
    if lower_start <= total:
        first = grade_at(lower_start)
        lower.append([first, cumulative[first] - lower_start + 1])
        lower.extend([index, row[index]] for index in range(first + 1, len(row)) if row[index])
    upper: list[list[int]] = []  # from median - 1 up to the first position, going better
    if median - 1 >= 1:
        first = grade_at(median - 1)
        previous = cumulative[first - 1] if first else 0
        upper.append([first, median - 1 - previous])
        upper.extend([index, row[index]] for index in range(first - 1, -1, -1) if row[index])
    pairs: list[tuple[int, int, int]] = []
    i = j = 0
    while i < len(lower) and j < len(upper):
        run = min(lower[i][1], upper[j][1])
        if pairs and pairs[-1][0] == lower[i][0] and pairs[-1][1] == upper[j][0]:
            pairs[-1] = (lower[i][0], upper[j][0], pairs[-1][2] + run)
        else:
            pairs.append((lower[i][0], upper[j][0], run))
        lower[i][1] -= run
        upper[j][1] -= run
        if lower[i][1] == 0:
            i += 1
        if upper[j][1] == 0:
            j += 1
    return leading, pairs


def compare_majority_values(a: Sequence[int], b: Sequence[int]) -> int:
    """-1 if option ``a`` (whole-number votes per grade, best first) ranks before ``b`` by majority judgment, 1 after,
    0 if they tie (identical majority values). Both rows must have the same total."""
    lead_a, pairs_a = majority_value(a)
    lead_b, pairs_b = majority_value(b)
    if lead_a != lead_b:
        return -1 if lead_a < lead_b else 1  # type: ignore[operator]
    i = j = 0
    left_a = pairs_a[0][2] if pairs_a else 0
    left_b = pairs_b[0][2] if pairs_b else 0
    while i < len(pairs_a) and j < len(pairs_b):
        ga, gb = pairs_a[i][:2], pairs_b[j][:2]
        if ga != gb:
            return -1 if ga < gb else 1
        run = min(left_a, left_b)
        left_a -= run
        left_b -= run
        if left_a == 0:
            i += 1
            left_a = pairs_a[i][2] if i < len(pairs_a) else 0
        if left_b == 0:
            j += 1
            left_b = pairs_b[j][2] if j < len(pairs_b) else 0
    return 0


def schulze_matrices(
    options: Sequence[str], rankings: Mapping[RankingKey, Number]
) -> tuple[dict[str, dict[str, Number]], dict[str, dict[str, Number]]]:
    """The pairwise preferences d[x][y] (weight of the ballots ranking x above y) and the strengths of the strongest
    paths p[x][y] (winning votes: a link x→y has strength d[x][y] if d[x][y] > d[y][x], else none; Floyd–Warshall)."""
    d: dict[str, dict[str, Number]] = {x: dict.fromkeys(options, 0) for x in options}
    for key, amount in rankings.items():
        below: list[str] = [o for group in key for o in group]
        for group in key:
            below = below[len(group) :]
            for x in group:
                row = d[x]
                for y in below:
                    row[y] += amount
    p: dict[str, dict[str, Number]] = {
        x: {y: (d[x][y] if x != y and d[x][y] > d[y][x] else 0) for y in options} for x in options
    }
    for i in options:
        p_i = p[i]
        for j in options:
            if j == i:
                continue
            p_j = p[j]
            via = p_j[i]
            if not via:
                continue
            for k in options:
                if k != i and k != j:
                    strength = min(via, p_i[k])
                    if strength > p_j[k]:
                        p_j[k] = strength
    return d, p


def schulze_ranking(options: Sequence[str], p: Mapping[str, Mapping[str, Number]]) -> list[list[str]]:
    """The Schulze order as tie groups: repeatedly, the remaining options that no remaining option beats."""
    remaining = list(options)
    groups: list[list[str]] = []
    while remaining:
        top = [x for x in remaining if not any(p[y][x] > p[x][y] for y in remaining if y != x)]
        if not top:  # pragma: no cover - the Schulze relation is transitive, there is always one
            top = list(remaining)
        groups.append(top)
        remaining = [x for x in remaining if x not in top]
    return groups


# ---------------------------------------------------------------------------------------------
# Decision


def _check_registered(registered: Any, tally: Tally) -> int | None:
    if registered is None:
        return None
    registered = to_count(registered, "inscrits (registered)")
    if tally.ballots > registered:
        raise CountError(
            f"{tally.ballots} bulletins pour {registered} inscrits : il ne peut y avoir plus de votants que d'inscrits."
        )
    return registered


def decide(question: Question, tally: Tally, registered: int | None = None) -> dict[str, Any]:
    """The result of a count, JSON-ready (exact numbers as ints or « a/b » strings): ``flask polls count``'s fields.

    Always: ``method``, ``ballots`` (head count), ``weight``, ``valid``, ``blank``, ``void``, ``registered``,
    ``scores``, ``ranking`` (tie groups, best first), ``winner`` (None on a tie), ``tied``, ``quorum_met``.
    Yes/no/abstain adds ``adopted``, ``rule``, ``rule_text``, ``base_votes``, ``needed``; majority judgment
    ``majority_grades``; approval with seats ``elected``; Schulze ``paths`` and, with a status quo,
    ``status_quo`` and ``beats_status_quo``.
    """
    if not tally.matches(question):
        raise CountError(
            "ce dépouillement n'est pas celui de cette question (méthode, options ou mentions différentes)."
        )
    registered = _check_registered(registered, tally)
    rule = question.effective_rule
    valid = tally.valid
    result: dict[str, Any] = {
        "method": question.method.value,
        "ballots": tally.ballots,
        "weight": json_number(tally.weight),
        "valid": json_number(valid),
        "blank": json_number(tally.blank),
        "void": json_number(tally.void),
        "registered": registered,
    }
    quorum_met = True
    quorum_needed: Number | None = None
    if rule is not None and rule.quorum is not None:
        if registered is None:
            raise CountError("la règle fixe un quorum : le nombre d'inscrits (registered) est nécessaire.")
        quorum_needed = _normal(rule.quorum * registered)
        quorum_met = tally.weight >= quorum_needed
    method = question.method
    options = list(question.options)

    if method is VoteMethod.YES_NO_ABSTAIN:
        assert rule is not None
        yes, no, abstain = (tally.votes[o] for o in YES_NO_ABSTAIN_OPTIONS)
        if rule.base is RuleBase.REGISTERED and registered is None:
            raise CountError("la règle se rapporte aux inscrits : le nombre d'inscrits (registered) est nécessaire.")
        base = {
            RuleBase.YES_NO: yes + no,
            RuleBase.YES_NO_ABSTAIN: yes + no + abstain,
            RuleBase.BALLOTS: tally.weight,
            RuleBase.REGISTERED: registered,
        }[rule.base]
        needed = _normal(rule.threshold * base)
        passes = rule.passes(yes, base)
        boundary = rule.strict and yes > 0 and yes == needed
        adopted = quorum_met and passes
        if not quorum_met:
            winner, tied = None, []
        elif boundary:
            winner, tied = None, ["yes", "no"]
        else:
            winner, tied = ("yes" if adopted else "no"), []
        result.update(
            scores={o: json_number(tally.votes[o]) for o in YES_NO_ABSTAIN_OPTIONS},
            ranking=_groups(["yes", "no"], tally.votes),
            winner=winner,
            tied=tied,
            quorum_met=quorum_met,
            adopted=adopted,
            rule=rule.to_json(),
            rule_text=rule.describe(),
            base_votes=json_number(base),
            needed=json_number(needed),
        )
    elif method is VoteMethod.SINGLE or method is VoteMethod.APPROVAL:
        ranking = _groups(options, tally.votes)
        winner, tied = _first(ranking, valid > 0)
        result.update(scores={o: json_number(tally.votes[o]) for o in options}, ranking=ranking)
        if method is VoteMethod.APPROVAL and question.seats is not None:
            elected: list[str] = []
            tied = []
            for group in ranking:
                if len(elected) + len(group) <= question.seats:
                    elected.extend(group)
                else:
                    if len(elected) < question.seats:
                        tied = list(group)
                    break
            if not quorum_met:
                elected, tied, winner = [], [], None
            result.update(winner=winner, tied=tied, quorum_met=quorum_met, elected=elected, seats=question.seats)
        else:
            if not quorum_met:
                winner, tied = None, []
            result.update(winner=winner, tied=tied, quorum_met=quorum_met)
    elif method is VoteMethod.MAJORITY_JUDGMENT:
        rows = _scaled_rows(tally.grade_votes)
        ordered = sorted(options, key=cmp_to_key(lambda a, b: compare_majority_values(rows[a], rows[b])))
        ranking = []
        for name in ordered:
            if ranking and compare_majority_values(rows[ranking[-1][0]], rows[name]) == 0:
                ranking[-1].append(name)
            else:
                ranking.append([name])
        winner, tied = _first(ranking, valid > 0)
        if not quorum_met:
            winner, tied = None, []
        grades = {o: majority_grade_index(rows[o]) for o in options}
        result.update(
            scores={o: [json_number(n) for n in tally.grade_votes[o]] for o in options},
            ranking=ranking,
            winner=winner,
            tied=tied,
            quorum_met=quorum_met,
            grades=list(question.grades),
            majority_grades={o: (None if g is None else question.grades[g]) for o, g in grades.items()},
        )
    else:
        d, p = schulze_matrices(options, tally.rankings)
        ranking = schulze_ranking(options, p)
        winner, tied = _first(ranking, valid > 0)
        extra: dict[str, Any] = {}
        status_quo = question.status_quo
        if status_quo is not None:
            beats = [o for o in options if o != status_quo and d[o][status_quo] > d[status_quo][o]]
            winner, tied = None, []
            for group in ranking:
                eligible = [o for o in group if o == status_quo or o in beats]
                if eligible:
                    if len(eligible) == 1:
                        winner = eligible[0]
                    else:
                        tied = eligible
                    break
            extra = {"status_quo": status_quo, "beats_status_quo": beats}
        if not quorum_met:
            winner, tied = None, []
        result.update(
            scores={f"{x}>{y}": json_number(d[x][y]) for x in options for y in options if x != y},
            paths={f"{x}>{y}": json_number(p[x][y]) for x in options for y in options if x != y},
            ranking=ranking,
            winner=winner,
            tied=tied,
            quorum_met=quorum_met,
            **extra,
        )
    result["quorum"] = None if quorum_needed is None else json_number(quorum_needed)
    return result


# ---------------------------------------------------------------------------------------------
# The decision in words


def _plural(value: Number, singular: str, plural: str) -> str:
    return singular if value < 2 else plural


def _quoted(names: Iterable[str], labels: Mapping[str, str]) -> str:
    items = [f"« {labels.get(n, n)} »" for n in names]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " et " + items[-1]


def sentence(question: Question, result: Mapping[str, Any], labels: Mapping[str, str] | None = None) -> str:
    """The decision in French words, from :func:`decide`'s result.

    « Le texte est adopté : 812 voix Pour sur 1 190 suffrages exprimés, soit plus de la moitié. »
    ``labels`` maps option names to what readers see (by default the names themselves).
    """
    labels = dict(labels or {})
    num = lambda value: Fraction(to_number(value, "nombre"))  # noqa: E731
    show = display_number
    method = question.method
    rule = question.effective_rule
    if not result.get("quorum_met", True):
        assert rule is not None and rule.quorum is not None
        voters = num(result["weight"])
        needed = num(result["quorum"])
        if isinstance(result["weight"], int) and needed.denominator != 1:
            needed = Fraction(math.ceil(needed))  # whole ballots: 33 1/3 needed means 34 voters
        outcome = "le texte n'est pas adopté" if method is VoteMethod.YES_NO_ABSTAIN else "aucune option n'est retenue"
        return (
            f"Quorum non atteint : {show(result['weight'])} {_plural(voters, 'votant', 'votants')} sur "
            f"{show(result['registered'])} inscrits, il en fallait au moins {show(needed)} "
            f"({fraction_words(rule.quorum)} des inscrits) ; {outcome}."
        )

    if method is VoteMethod.YES_NO_ABSTAIN:
        assert rule is not None
        yes = result["scores"]["yes"]
        base = result["base_votes"]
        base_nouns = {
            RuleBase.YES_NO: ("suffrage exprimé", "suffrages exprimés"),
            RuleBase.YES_NO_ABSTAIN: ("vote Pour, Contre ou Abstention", "votes Pour, Contre et Abstention"),
            RuleBase.BALLOTS: ("bulletin déposé", "bulletins déposés"),
            RuleBase.REGISTERED: ("inscrit", "inscrits"),
        }[rule.base]
        figures = f"{show(yes)} voix Pour sur {show(base)} {_plural(num(base), *base_nouns)}"
        if result["tied"]:
            if rule.threshold == Fraction(1, 2) and rule.base is RuleBase.YES_NO:
                return (
                    f"Égalité : {show(yes)} voix Pour et {show(result['scores']['no'])} voix Contre ; "
                    f"il fallait {rule.threshold_phrase} {_BASE_PHRASES[rule.base]} : le texte n'est pas adopté."
                )
            return (
                f"Égalité avec le seuil : {figures}, soit exactement {fraction_words(rule.threshold)} ; "
                f"il en fallait {rule.threshold_phrase} : le texte n'est pas adopté."
            )
        if result["adopted"]:
            return f"Le texte est adopté : {figures}, soit {rule.threshold_phrase}."
        return f"Le texte n'est pas adopté : {figures} ; il en fallait {rule.threshold_phrase}."

    if num(result["valid"]) == 0:
        return "Aucun suffrage exprimé : aucune option ne l'emporte."
    winner = result["winner"]
    tied = result["tied"]
    scores = result["scores"]
    if method is VoteMethod.SINGLE:
        if winner is None:
            return (
                f"Égalité entre {_quoted(tied, labels)}, avec {show(scores[tied[0]])} voix chacune : "
                "aucune option ne l'emporte (une égalité n'est jamais départagée au hasard)."
            )
        return (
            f"L'option « {labels.get(winner, winner)} » l'emporte : {show(scores[winner])} voix sur "
            f"{show(result['valid'])} suffrages exprimés ({display_percent(scores[winner], result['valid'])})."
        )
    if method is VoteMethod.APPROVAL:
        if "elected" in result:
            elected = result["elected"]
            parts = []
            if elected:
                parts.append(
                    f"{_plural(len(elected), 'Option retenue', 'Options retenues')} "
                    f"({result['seats']} {_plural(result['seats'], 'siège', 'sièges')}) : {_quoted(elected, labels)}"
                )
            if tied:
                left = result["seats"] - len(elected)
                parts.append(
                    f"égalité pour {_plural(left, 'le dernier siège', f'les {left} derniers sièges')} entre "
                    f"{_quoted(tied, labels)}, avec {show(scores[tied[0]])} approbations chacune "
                    "(une égalité n'est jamais départagée au hasard)"
                )
            text = " ; ".join(parts) + "."
            return text[0].upper() + text[1:]
        if winner is None:
            return (
                f"Égalité entre {_quoted(tied, labels)}, avec {show(scores[tied[0]])} approbations chacune : "
                "aucune option ne l'emporte (une égalité n'est jamais départagée au hasard)."
            )
        return (
            f"L'option « {labels.get(winner, winner)} » l'emporte : {show(scores[winner])} "
            f"{_plural(num(scores[winner]), 'approbation', 'approbations')} sur {show(result['valid'])} "
            f"bulletins valables ({display_percent(scores[winner], result['valid'])})."
        )
    if method is VoteMethod.MAJORITY_JUDGMENT:
        grades = result["majority_grades"]
        if winner is None:
            return (
                f"Égalité entre {_quoted(tied, labels)}, mention majoritaire « {grades[tied[0]]} » et mêmes "
                "valeurs majoritaires : aucune option ne l'emporte (une égalité n'est jamais départagée au hasard)."
            )
        same = [o for o in question.options if o != winner and grades[o] == grades[winner]]
        text = f"L'option « {labels.get(winner, winner)} » l'emporte avec la mention majoritaire « {grades[winner]} »"
        if same:
            text += f", comme {_quoted(same, labels)}, départagée par la valeur majoritaire (Balinski et Laraki)"
        return text + "."
    # Schulze
    status_quo = result.get("status_quo")
    if winner is None:
        return (
            f"Égalité entre {_quoted(tied, labels)} selon la méthode Schulze : aucune option ne l'emporte "
            "(une égalité n'est jamais départagée au hasard)."
        )
    if status_quo is not None and winner == status_quo:
        name = labels.get(status_quo, status_quo)
        if not result["beats_status_quo"]:
            return f"Le statu quo « {name} » est maintenu : aucune option ne le bat en duel."
        return f"Le statu quo « {name} » est maintenu : il l'emporte selon la méthode Schulze."
    text = f"L'option « {labels.get(winner, winner)} » l'emporte selon la méthode Schulze"
    if status_quo is not None:
        text += f" et bat le statu quo « {labels.get(status_quo, status_quo)} » en duel"
    return text + "."


# ---------------------------------------------------------------------------------------------
# `flask polls count`

SPEC_KEYS = ("method", "options", "ballots", "tallies", "grades", "seats", "status_quo", "registered", "rule", "title")
BALLOT_KEYS = ("count", "weight", "choice", "approves", "ranking", "grades")


def question_from_spec(spec: Mapping[str, Any]) -> Question:
    """The question of a ``flask polls count`` specification."""
    if "method" not in spec:
        raise CountError(f"champ « method » manquant ({', '.join(m.value for m in VoteMethod)}).")
    method = _method(spec["method"])
    if method is not VoteMethod.YES_NO_ABSTAIN and "options" not in spec:
        raise CountError("champ « options » manquant : la liste des options.")
    for key, applies in (
        ("grades", VoteMethod.MAJORITY_JUDGMENT),
        ("seats", VoteMethod.APPROVAL),
        ("status_quo", VoteMethod.SCHULZE),
    ):
        if key in spec and method is not applies:
            raise CountError(f"« {key} » ne s'applique qu'à la méthode {METHOD_NAMES[applies]}.")
    status_quo = spec.get("status_quo")
    if status_quo is not None and not isinstance(status_quo, str):
        raise CountError(f"statu quo (status_quo) : le nom d'une option est attendu, pas {_json_kind(status_quo)}.")
    return Question(
        method=method,
        options=spec.get("options", ()),
        grades=spec.get("grades", DEFAULT_GRADES),
        seats=spec.get("seats"),
        status_quo=status_quo,
        rule=Rule.parse(spec["rule"]) if spec.get("rule") is not None else None,
    )


def _spec_tallies(question: Question, tally: Tally, data: Any) -> None:
    if not isinstance(data, Mapping):
        raise CountError(f"un objet est attendu, pas {_json_kind(data)}.")
    method = question.method
    if method is VoteMethod.SCHULZE:
        raise CountError("la méthode Schulze se dépouille à partir des classements : utilisez « ballots ».")
    figures = dict(data)
    blank = figures.pop(BLANK, 0)
    void = figures.pop(VOID, 0)
    ballots = figures.pop("ballots", None)
    if method is VoteMethod.MAJORITY_JUDGMENT:
        tally.add_tallies(grades=figures, ballots=ballots, blank=blank, void=void)
    else:
        tally.add_tallies(votes=figures, ballots=ballots, blank=blank, void=void)


def tally_from_spec(question: Question, spec: Mapping[str, Any]) -> Tally:
    """The tally of a ``flask polls count`` specification: its ``ballots`` and ``tallies``, added."""
    if "ballots" not in spec and "tallies" not in spec:
        raise CountError("ni « ballots » ni « tallies » : le fichier ne contient aucun bulletin.")
    tally = Tally.empty(question)
    ballots = spec.get("ballots", [])
    if isinstance(ballots, str) or not isinstance(ballots, Sequence):
        raise CountError(f"« ballots » : une liste de bulletins est attendue, pas {_json_kind(ballots)}.")
    for index, ballot in enumerate(ballots):
        where = f"bulletin n° {index + 1} (ballots[{index}])"
        if not isinstance(ballot, Mapping):
            raise CountError(f"{where} : un objet est attendu, pas {_json_kind(ballot)}.")
        unknown = [k for k in ballot if k not in BALLOT_KEYS]
        if unknown:
            raise CountError(f"{where} : champ inconnu « {unknown[0]} » (champs possibles : {', '.join(BALLOT_KEYS)}).")
        try:
            tally.add_ballot(
                choice=ballot.get("choice"),
                approves=ballot.get("approves"),
                ranking=ballot.get("ranking"),
                grades=ballot.get("grades"),
                count=ballot.get("count", 1),
                weight=ballot.get("weight", 1),
            )
        except CountError as error:
            raise CountError(f"{where} : {error}") from None
    if "tallies" in spec:
        try:
            _spec_tallies(question, tally, spec["tallies"])
        except CountError as error:
            raise CountError(f"« tallies » : {error}") from None
    return tally


def count_spec(spec: Any) -> dict[str, Any]:
    """The whole of ``flask polls count``: a specification (parsed JSON) in, the result out; CountError if malformed.

    Input: ``{"method", "options", "ballots" and/or "tallies", "grades", "seats", "status_quo", "registered",
    "rule", "title"}`` (``title`` is free text, ignored). Output: :func:`decide`'s fields plus ``decision``,
    the decision in French words.
    """
    if not isinstance(spec, Mapping):
        raise CountError(f"le fichier doit contenir un objet JSON ({{…}}), pas {_json_kind(spec)}.")
    unknown = [k for k in spec if k not in SPEC_KEYS]
    if unknown:
        raise CountError(f"champ inconnu « {unknown[0]} » (champs possibles : {', '.join(SPEC_KEYS)}).")
    question = question_from_spec(spec)
    tally = tally_from_spec(question, spec)
    result = decide(question, tally, spec.get("registered"))
    result["decision"] = sentence(question, result)
    return result
