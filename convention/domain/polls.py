"""The members' vote (vote militant): the poll lifecycle and the arithmetic of a count.

Pure Python: the transition table of a poll and the summary of a tally (expressed votes,
blank votes, shares, turnout), unit-tested with tables and a property test.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from convention.domain.lifecycle import check_transition


class PollState(enum.StrEnum):
    DRAFT = "draft"  # en préparation
    SCHEDULED = "scheduled"  # programmé
    OPEN = "open"  # ouvert
    CLOSED = "closed"  # clos, dépouillement en cours
    TALLIED = "tallied"  # dépouillé, résultats à proclamer
    PROCLAIMED = "proclaimed"  # résultats proclamés


class QuestionMethod(enum.StrEnum):
    """How a question is answered and counted (the values are those of ``flask polls count``)."""

    YES_NO_ABSTAIN = "yes_no_abstain"  # Pour / Contre / Abstention
    SINGLE = "single"  # un choix parmi plusieurs
    APPROVAL = "approval"  # vote par approbation (optionally k seats)
    MAJORITY_JUDGMENT = "majority_judgment"  # jugement majoritaire
    SCHULZE = "schulze"  # classement, méthode de Schulze


QUESTION_METHOD_LABELS = {
    QuestionMethod.YES_NO_ABSTAIN: "Pour, Contre ou Abstention",
    QuestionMethod.SINGLE: "Un choix parmi plusieurs",
    QuestionMethod.APPROVAL: "Vote par approbation",
    QuestionMethod.MAJORITY_JUDGMENT: "Jugement majoritaire",
    QuestionMethod.SCHULZE: "Classement (méthode de Schulze)",
}


class MajorityBase(enum.StrEnum):
    """What the adoption threshold of a yes/no question is a fraction of."""

    YES_NO = "yes_no"  # suffrages exprimés : Pour + Contre
    YES_NO_ABSTAIN = "yes_no_abstain"  # Pour + Contre + Abstention
    BALLOTS = "ballots"  # bulletins déposés (blancs et nuls compris)
    REGISTERED = "registered"  # inscrits


MAJORITY_BASE_LABELS = {
    MajorityBase.YES_NO: "Suffrages exprimés (Pour + Contre)",
    MajorityBase.YES_NO_ABSTAIN: "Pour + Contre + Abstention",
    MajorityBase.BALLOTS: "Bulletins déposés (blancs et nuls compris)",
    MajorityBase.REGISTERED: "Inscrits sur la liste électorale",
}


class VoteChannel(enum.StrEnum):
    ONLINE = "online"  # en ligne
    PAPER = "paper"  # à l'urne, en réunion de section


VOTE_CHANNEL_LABELS = {VoteChannel.ONLINE: "En ligne", VoteChannel.PAPER: "Sur papier, en section"}


class ReportState(enum.StrEnum):
    """A section's paper vote: the émargement list, then the minutes (procès-verbal)."""

    OPEN = "open"  # liste d'émargement ouverte, procès-verbal en cours
    SUBMITTED = "submitted"  # procès-verbal transmis à la fédération
    RETURNED = "returned"  # renvoyé à la section, avec un motif
    VALIDATED = "validated"  # validé par la fédération : compté


REPORT_STATE_LABELS = {
    ReportState.OPEN: "Émargement en cours",
    ReportState.SUBMITTED: "Procès-verbal transmis",
    ReportState.RETURNED: "Renvoyé à la section",
    ReportState.VALIDATED: "Validé par la fédération",
}


class RollChangeKind(enum.StrEnum):
    ADD = "add"  # inscrire un·e adhérent·e oublié·e
    REMOVE = "remove"  # retirer une inscription erronée


class RollChangeState(enum.StrEnum):
    PENDING = "pending"  # en attente d'un second membre du Bureau national
    APPROVED = "approved"
    REFUSED = "refused"


POLL_STATE_LABELS = {
    PollState.DRAFT: "En préparation",
    PollState.SCHEDULED: "Programmé",
    PollState.OPEN: "Ouvert",
    PollState.CLOSED: "Clos — dépouillement",
    PollState.TALLIED: "Dépouillé",
    PollState.PROCLAIMED: "Résultats proclamés",
}

POLL_TRANSITIONS: dict[PollState, frozenset[PollState]] = {
    # The Bureau national may open a draft at once (« ouvrir maintenant »).
    PollState.DRAFT: frozenset({PollState.SCHEDULED, PollState.OPEN}),
    PollState.SCHEDULED: frozenset({PollState.DRAFT, PollState.OPEN}),
    PollState.OPEN: frozenset({PollState.CLOSED}),
    PollState.CLOSED: frozenset({PollState.TALLIED}),
    # Minutes validated or sent back after the count: the results are out of date, count again.
    PollState.TALLIED: frozenset({PollState.PROCLAIMED, PollState.CLOSED}),
    PollState.PROCLAIMED: frozenset(),
}

# States in which the poll's wording, dates and options may still change.
EDITABLE_STATES = frozenset({PollState.DRAFT, PollState.SCHEDULED})
# States after the close: the ballot box is sealed, receipts can be checked.
SEALED_STATES = frozenset({PollState.CLOSED, PollState.TALLIED, PollState.PROCLAIMED})
# States in which the count may be (re)run: results are replaced, never after proclamation.
TALLY_STATES = frozenset({PollState.CLOSED, PollState.TALLIED})


def check_poll_transition(source: PollState, target: PollState) -> None:
    """Raise IllegalTransition unless a poll may go from ``source`` to ``target``."""
    check_transition(POLL_TRANSITIONS, source, target, "poll")


def can_transition(source: PollState, target: PollState) -> bool:
    """True if the table allows ``source`` → ``target``."""
    return target in POLL_TRANSITIONS.get(source, frozenset())


def percent(part: int, whole: int) -> float:
    """``part`` as a percentage of ``whole``, rounded to two decimals (0 when ``whole`` is 0)."""
    if whole <= 0:
        return 0.0
    return round(100.0 * part / whole, 2)


@dataclass(frozen=True)
class OptionCount:
    option_id: int
    votes: int
    is_blank: bool
    share: float  # % of expressed votes (blank options: % of ballots)


@dataclass(frozen=True)
class CountSummary:
    """The figures of one count (national or one federation)."""

    registered: int
    voters: int
    ballots: int
    blank: int
    expressed: int
    options: list[OptionCount] = field(default_factory=list)

    @property
    def turnout(self) -> float:
        return percent(self.voters, self.registered)


def summarise(
    counts: Mapping[int, int],
    blank_option_ids: Iterable[int],
    option_ids: Iterable[int],
    *,
    registered: int,
    voters: int,
) -> CountSummary:
    """Expressed votes and shares from the votes per option.

    ``option_ids`` gives every option (in display order) so that an option with no vote
    shows 0; blank options are counted apart: they are ballots, not expressed votes.
    """
    blank_ids = set(blank_option_ids)
    ordered = list(option_ids)
    unknown = set(counts) - set(ordered)
    if unknown:
        raise ValueError(f"votes for unknown options: {sorted(unknown)}")
    ballots = sum(counts.values())
    blank = sum(v for k, v in counts.items() if k in blank_ids)
    expressed = ballots - blank
    options = [
        OptionCount(
            option_id=option_id,
            votes=counts.get(option_id, 0),
            is_blank=option_id in blank_ids,
            share=percent(counts.get(option_id, 0), ballots if option_id in blank_ids else expressed),
        )
        for option_id in ordered
    ]
    return CountSummary(
        registered=registered, voters=voters, ballots=ballots, blank=blank, expressed=expressed, options=options
    )


def add_counts(per_unit: Iterable[Mapping[int, int]]) -> dict[int, int]:
    """The national votes per option: the sum of every unit's votes per option."""
    total: dict[int, int] = {}
    for counts in per_unit:
        for option_id, votes in counts.items():
            total[option_id] = total.get(option_id, 0) + votes
    return total
