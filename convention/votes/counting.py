"""The bridge between the stored questions and the pure counting code (``convention.domain.counting``)."""

from __future__ import annotations

from fractions import Fraction

from convention.domain.ballots import GRADES, option_names
from convention.domain.counting import Question, Rule, RuleBase, VoteMethod
from convention.domain.polls import QuestionMethod
from convention.votes.models import PollQuestion


def rule_of(question: PollQuestion) -> Rule:
    """The question's rule of adoption (yes/no/abstain questions)."""
    return Rule(
        base=RuleBase(question.base.value if question.base else "yes_no"),
        threshold=Fraction(question.threshold or "1/2"),
        strict=question.strict,
        quorum=Fraction(question.quorum) if question.quorum else None,
    )


def question_of(question: PollQuestion) -> Question:
    """The question as the counting code takes it: options named as in ``flask polls count``."""
    status_quo = question.status_quo
    return Question(
        method=VoteMethod(question.method.value),
        options=tuple(option_names(question)),
        grades=GRADES,
        seats=question.seats,
        status_quo=status_quo.label if status_quo is not None else None,
        rule=rule_of(question) if question.method == QuestionMethod.YES_NO_ABSTAIN else None,
    )
