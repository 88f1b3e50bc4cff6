"""Lifecycles as explicit transition tables."""

from __future__ import annotations

import enum

from convention.domain.errors import IllegalTransition


class ContributionStatus(enum.StrEnum):
    SUBMITTED = "submitted"  # déposée
    UNDER_REVIEW = "under_review"  # en examen
    INTEGRATED = "integrated"  # intégrée
    PARTIALLY_INTEGRATED = "partially_integrated"  # partiellement intégrée
    NOT_RETAINED = "not_retained"  # non retenue
    WITHDRAWN = "withdrawn"  # retirée


CONTRIBUTION_TRANSITIONS: dict[ContributionStatus, frozenset[ContributionStatus]] = {
    ContributionStatus.SUBMITTED: frozenset(
        {ContributionStatus.UNDER_REVIEW, ContributionStatus.WITHDRAWN}
    ),
    ContributionStatus.UNDER_REVIEW: frozenset(
        {
            ContributionStatus.INTEGRATED,
            ContributionStatus.PARTIALLY_INTEGRATED,
            ContributionStatus.NOT_RETAINED,
            ContributionStatus.WITHDRAWN,
        }
    ),
    ContributionStatus.INTEGRATED: frozenset(),
    ContributionStatus.PARTIALLY_INTEGRATED: frozenset(),
    ContributionStatus.NOT_RETAINED: frozenset(),
    ContributionStatus.WITHDRAWN: frozenset(),
}


def check_transition(
    table: dict, source: enum.Enum, target: enum.Enum, lifecycle: str
) -> None:
    """Raise IllegalTransition unless ``table`` allows ``source`` → ``target``."""
    if target not in table.get(source, frozenset()):
        raise IllegalTransition(lifecycle, str(source.value), str(target.value))
