"""Publishing results per section or federation without breaking the secrecy of the vote (pure Python).

A unit (a section, a federation) shows its own results only if it holds at least ``threshold``
ballots and none of its questions' tallies is revealing (every ballot identical: all « Pour »,
all blank…). The other units are merged into one cell (« Autres sections de la fédération de
l'Isère », « Autres fédérations »); if that cell is itself too small or revealing, the smallest
published units join it one by one until it is not; if it is still not fine once every unit is
in it, nothing is published at that level (only the level above). Turnout (registered, voters)
stays published for every unit: it says who took part, not how anyone voted.

Merged cells are sums of whole units, so the published cells always add up to the totals.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from convention.domain.counting import Tally

DEFAULT_THRESHOLD = 10


@dataclass
class Cell:
    """A unit's count: its key (``("section", 12)``), label, level, registered, ballots and one tally per question."""

    key: Hashable
    label: str
    level: str
    registered: int
    ballots: int
    tallies: dict[Any, Tally] = field(default_factory=dict)
    parent: Hashable | None = None


@dataclass(frozen=True)
class PublishedCell:
    """A cell that may be shown: one unit, or the merged « Autres … » cell (``is_merged``, ``members`` its units)."""

    key: Hashable
    label: str
    level: str
    registered: int
    ballots: int
    tallies: dict[Any, Tally]
    members: tuple[Hashable, ...]
    is_merged: bool = False
    parent: Hashable | None = None


@dataclass(frozen=True)
class Turnout:
    """Registered and voters of one unit, published even when its votes are merged."""

    key: Hashable
    label: str
    level: str
    registered: int
    voters: int


@dataclass(frozen=True)
class Disclosure:
    """What one level may publish: the cells, the turnout of every unit, and the rule to print under the table."""

    cells: list[PublishedCell]
    turnout: list[Turnout]
    rule: str
    withheld: bool  # True: nothing is published at this level (only the level above)

    @property
    def merged(self) -> PublishedCell | None:
        return next((c for c in self.cells if c.is_merged), None)


def disclosure_rule(threshold: int = DEFAULT_THRESHOLD) -> str:
    """The rule in French, to print under a table of results per unit."""
    return (
        f"Pour protéger le secret du vote, les résultats d'une unité de moins de {threshold} bulletins ou dont "
        "tous les bulletins sont identiques sont regroupés avec ceux d'autres unités (« Autres … ») ; si ce "
        "regroupement ne suffit pas, les résultats ne sont publiés qu'à l'échelon supérieur. La participation "
        "(inscrits, votants) reste publiée pour chaque unité."
    )


def is_publishable(cell: Cell | PublishedCell, threshold: int = DEFAULT_THRESHOLD) -> bool:
    """True if the cell holds at least ``threshold`` ballots and no question's tally reveals a vote.

    A question's tally with no ballot reveals nothing; one with ballots must hold ``threshold`` of them
    and not be revealing (every ballot identical).
    """
    if cell.ballots < threshold:
        return False
    return all(t.ballots == 0 or (t.ballots >= threshold and not t.is_revealing()) for t in cell.tallies.values())


def _sum_tallies(cells: Sequence[Cell]) -> dict[Any, Tally]:
    total: dict[Any, Tally] = {}
    for cell in cells:
        for question, tally in cell.tallies.items():
            total[question] = total[question] + tally if question in total else tally.copy()
    return total


def _merge(cells: Sequence[Cell], label: str) -> PublishedCell:
    parents = {c.parent for c in cells}
    parent = parents.pop() if len(parents) == 1 else None
    levels = {c.level for c in cells}
    return PublishedCell(
        key=("others", next(iter(levels)) if len(levels) == 1 else "", parent),
        label=label,
        level=next(iter(levels)) if len(levels) == 1 else "",
        registered=sum(c.registered for c in cells),
        ballots=sum(c.ballots for c in cells),
        tallies=_sum_tallies(cells),
        members=tuple(c.key for c in cells),
        is_merged=True,
        parent=parent,
    )


def _single(cell: Cell) -> PublishedCell:
    return PublishedCell(
        key=cell.key,
        label=cell.label,
        level=cell.level,
        registered=cell.registered,
        ballots=cell.ballots,
        tallies={q: t.copy() for q, t in cell.tallies.items()},
        members=(cell.key,),
        parent=cell.parent,
    )


def publishable_cells(
    cells: Sequence[Cell], *, threshold: int = DEFAULT_THRESHOLD, merged_label: str
) -> list[PublishedCell]:
    """The cells of one level that may be published: the fine units in their order, then the merged one if any.

    An empty list when nothing may be published at this level.
    """
    cells = list(cells)
    published = [c for c in cells if is_publishable(c, threshold)]
    if len(published) == len(cells):
        return [_single(c) for c in cells]
    merged = [c for c in cells if not is_publishable(c, threshold)]
    position = {id(c): i for i, c in enumerate(cells)}
    while not is_publishable(_merge(merged, merged_label), threshold):
        if not published:
            return []
        # The smallest published unit joins the merged cell (the last in the input order on a tie).
        smallest = min(published, key=lambda c: (c.ballots, -position[id(c)]))
        published.remove(smallest)
        merged.append(smallest)
    merged.sort(key=lambda c: position[id(c)])
    return [_single(c) for c in published] + [_merge(merged, merged_label)]


def turnout(cells: Sequence[Cell]) -> list[Turnout]:
    """Registered and voters of every unit, in the input order."""
    return [Turnout(c.key, c.label, c.level, c.registered, c.ballots) for c in cells]


def disclose(cells: Sequence[Cell], *, threshold: int = DEFAULT_THRESHOLD, merged_label: str) -> Disclosure:
    """Everything a results table of one level needs: :func:`publishable_cells`, :func:`turnout` and the rule."""
    published = publishable_cells(cells, threshold=threshold, merged_label=merged_label)
    return Disclosure(
        cells=published,
        turnout=turnout(cells),
        rule=disclosure_rule(threshold),
        withheld=bool(cells) and not published,
    )


def totals(cells: Sequence[Cell | PublishedCell]) -> tuple[int, int, Mapping[Any, Tally]]:
    """Registered, ballots and the tallies per question, summed over ``cells``."""
    return (
        sum(c.registered for c in cells),
        sum(c.ballots for c in cells),
        _sum_tallies(cells),  # type: ignore[arg-type]
    )
