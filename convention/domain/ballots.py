"""A ballot's content: what a member may answer to each question, in one canonical form.

Pure Python. ``normalise_choices`` checks the answers sent by the ballot form (or a test)
against the poll's questions and returns the canonical content stored in ``Ballot.choices``;
``count_ballot`` turns one question's stored answer into a ballot of ``flask polls count``'s
file format (options named by their labels), used by the count and the verification export.

Canonical content, one entry per question (key: the question's id as a string):

- yes/no/abstain: « yes », « no » or « abstain »;
- single choice: an option id, or « blank »;
- approval: the sorted list of the approved option ids ([] is a blank ballot);
- majority judgment: ``{"<option id>": grade index}`` for every option (0 is the best grade),
  or « blank »;
- Schulze: a list of tie groups of option ids, best first (unranked options are below every
  ranked one; [] is a blank ballot).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from convention.domain.counting import DEFAULT_GRADES as GRADES
from convention.domain.polls import QuestionMethod

BLANK = "blank"
YES_NO_CHOICES = ("yes", "no", "abstain")


class ChoiceError(ValueError):
    """The answers do not fit the question (French message for the voter)."""


class OptionLike(Protocol):
    id: int
    label: str
    code: str


class QuestionLike(Protocol):
    id: int
    title: str
    method: QuestionMethod
    options: Sequence[Any]


def option_id_in(value: Any, valid: set[int]) -> int | None:
    """``value`` as one of the ``valid`` option ids (an int or a string of digits), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value in valid else None
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        number = int(value.strip())
        return number if number in valid else None
    return None


# ASCII digits only: « ² ».isdigit() is true, but int() refuses it.
_DIGITS = re.compile(r"[0-9]{1,12}")


def ranking_groups(value: Any, valid: set[int]) -> list[list[int]] | None:
    """A Schulze answer: a list of tie groups (or of ids), or ``{option id: rank or None}``; None if malformed."""
    if value is None:
        return []
    if isinstance(value, Mapping):
        ranks: dict[int, int] = {}
        for key, rank in value.items():
            option_id = option_id_in(key, valid)
            if option_id is None:
                return None
            if rank in (None, ""):
                continue
            if isinstance(rank, bool) or not (isinstance(rank, int) or _DIGITS.fullmatch(str(rank).strip())):
                return None
            number = int(str(rank).strip())
            if number < 1:
                return None
            ranks[option_id] = number
        groups: dict[int, list[int]] = {}
        for option_id, number in ranks.items():
            groups.setdefault(number, []).append(option_id)
        return [sorted(groups[number]) for number in sorted(groups)]
    if isinstance(value, list | tuple):
        result: list[list[int]] = []
        seen: set[int] = set()
        for group in value:
            members = group if isinstance(group, list | tuple) else [group]
            ids = []
            for member in members:
                option_id = option_id_in(member, valid)
                if option_id is None or option_id in seen:
                    return None
                seen.add(option_id)
                ids.append(option_id)
            if ids:
                result.append(sorted(ids))
        return result
    return None


def normalise_answer(question: QuestionLike, value: Any) -> Any:
    """The canonical answer to one question, or ChoiceError."""
    where = f"« {question.title} » :"
    valid = {option.id for option in question.options}
    method = QuestionMethod(question.method)
    if method == QuestionMethod.YES_NO_ABSTAIN:
        if value in YES_NO_CHOICES:
            return value
        raise ChoiceError(f"{where} choisissez Pour, Contre ou Abstention.")
    if method == QuestionMethod.SINGLE:
        if value == BLANK:
            return BLANK
        option_id = option_id_in(value, valid)
        if option_id is None:
            raise ChoiceError(f"{where} choisissez une des réponses proposées (ou le vote blanc).")
        return option_id
    if method == QuestionMethod.APPROVAL:
        values = [] if value in (None, "") else value
        if not isinstance(values, list | tuple | set):
            values = [values]
        ids = [option_id_in(v, valid) for v in values]
        if any(option_id is None for option_id in ids) or len(set(ids)) != len(ids):
            raise ChoiceError(f"{where} cochez seulement des réponses proposées.")
        return sorted(ids)  # type: ignore[arg-type]
    if method == QuestionMethod.MAJORITY_JUDGMENT:
        if value == BLANK:
            return BLANK
        if not isinstance(value, Mapping):
            raise ChoiceError(f"{where} donnez une mention à chaque réponse.")
        grades: dict[str, int] = {}
        for key, grade in value.items():
            option_id = option_id_in(key, valid)
            is_index = isinstance(grade, int) and not isinstance(grade, bool)
            index = int(str(grade).strip()) if is_index or _DIGITS.fullmatch(str(grade).strip()) else -1
            if option_id is None or not 0 <= index < len(GRADES):
                raise ChoiceError(f"{where} donnez à chaque réponse une des mentions proposées.")
            grades[str(option_id)] = index
        if not grades:
            return BLANK
        if len(grades) != len(valid):
            raise ChoiceError(f"{where} donnez une mention à chaque réponse (ou aucune, pour voter blanc).")
        return dict(sorted(grades.items(), key=lambda item: int(item[0])))
    if method == QuestionMethod.SCHULZE:
        groups = ranking_groups(value if value not in (None, "") else [], valid)
        if groups is None:
            raise ChoiceError(f"{where} classez les réponses avec des rangs 1, 2, 3… (une réponse au plus une fois).")
        return groups
    raise ChoiceError(f"{where} méthode inconnue.")  # pragma: no cover - the enum is closed


def normalise_choices(questions: Iterable[QuestionLike], choices: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical content of a ballot: every question answered, nothing else."""
    if not isinstance(choices, Mapping):
        raise ChoiceError("Le bulletin est illisible.")
    questions = list(questions)
    keys = {str(q.id) for q in questions}
    unknown = set(map(str, choices)) - keys
    if unknown:
        raise ChoiceError("Le bulletin répond à une question qui ne fait pas partie du scrutin.")
    content: dict[str, Any] = {}
    for question in questions:
        key = str(question.id)
        value = choices.get(key, choices.get(question.id))  # type: ignore[call-overload]
        if value is None and QuestionMethod(question.method) not in (QuestionMethod.APPROVAL, QuestionMethod.SCHULZE):
            raise ChoiceError(f"« {question.title} » : répondez à cette question.")
        try:
            content[key] = normalise_answer(question, value)
        except ChoiceError:
            raise
        except (ValueError, TypeError, OverflowError) as error:  # a forged value no check foresaw
            raise ChoiceError(f"« {question.title} » : réponse illisible.") from error
    return content


def is_blank(question: QuestionLike, answer: Any) -> bool:
    return answer == BLANK or answer == []


def count_ballot(question: QuestionLike, answer: Any) -> dict[str, Any]:
    """One stored answer as a ballot of ``flask polls count``'s format (without ``count``)."""
    labels = {option.id: option.label for option in question.options}
    method = QuestionMethod(question.method)
    if is_blank(question, answer):
        return {"choice": BLANK}
    if method == QuestionMethod.YES_NO_ABSTAIN:
        return {"choice": answer}
    if method == QuestionMethod.SINGLE:
        return {"choice": labels[int(answer)]}
    if method == QuestionMethod.APPROVAL:
        return {"approves": [labels[int(a)] for a in answer]}
    if method == QuestionMethod.MAJORITY_JUDGMENT:
        return {"grades": {labels[int(k)]: GRADES[int(v)] for k, v in answer.items()}}
    return {"ranking": [[labels[int(a)] for a in group] for group in answer]}


def option_names(question: QuestionLike) -> list[str]:
    """The options as ``flask polls count`` names them: yes/no/abstain codes, or labels."""
    if QuestionMethod(question.method) == QuestionMethod.YES_NO_ABSTAIN:
        return list(YES_NO_CHOICES)
    return [option.label for option in question.options]
