"""The statuses of a version of the text, the steps between them, and a difference read per chapter.

A party's text goes projet → texte amendé → adopté par le Bureau national → soumis au vote →
adopté. Each version has one of these statuses; the Bureau national moves the current version
along :data:`VERSION_TRANSITIONS` (a projet may be adopted by the Bureau national as it is,
without amendments). An illegal step raises :class:`VersionTransitionError`, whose French
message says what is possible instead; the web layer answers 409 with it.

:class:`VersionStage` mirrors ``convention.texts.models.VersionStatus`` value for value (both
are string enums, so either can be looked up in the tables; a test checks that they agree):
the domain stays free of SQLAlchemy.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from convention.domain.consolidation import BlockChange, BlockDiff, SourceBlock
from convention.domain.errors import IllegalTransition
from convention.domain.textimport import ParsedText, block_anchor, chapter_anchor
from convention.domain.textstructure import BlockKind


class VersionStage(enum.StrEnum):
    DRAFT = "draft"  # projet de texte
    AMENDED = "amended"  # texte amendé
    ADOPTED_BY_BN = "adopted_by_bn"  # adopté par le Bureau national
    SUBMITTED_TO_VOTE = "submitted_to_vote"  # soumis au vote des militants
    ADOPTED = "adopted"  # texte adopté


_V = VersionStage
VERSION_TRANSITIONS: dict[VersionStage, frozenset[VersionStage]] = {
    _V.DRAFT: frozenset({_V.AMENDED, _V.ADOPTED_BY_BN}),
    _V.AMENDED: frozenset({_V.ADOPTED_BY_BN}),
    _V.ADOPTED_BY_BN: frozenset({_V.SUBMITTED_TO_VOTE}),
    _V.SUBMITTED_TO_VOTE: frozenset({_V.ADOPTED}),
    _V.ADOPTED: frozenset(),
}

# The statuses the members are told of (a version « texte amendé » is told of as a new version).
NOTIFIED_STAGES: frozenset[VersionStage] = frozenset({_V.ADOPTED_BY_BN, _V.SUBMITTED_TO_VOTE, _V.ADOPTED})

STAGE_LABELS: dict[VersionStage, str] = {
    _V.DRAFT: "Projet de texte",
    _V.AMENDED: "Texte amendé",
    _V.ADOPTED_BY_BN: "Adopté par le Bureau national",
    _V.SUBMITTED_TO_VOTE: "Soumis au vote des militants",
    _V.ADOPTED: "Texte adopté",
}

# The verb phrase for reaching each status (« on ne peut pas … », « Possible maintenant : … »).
ACTION_LABELS: dict[VersionStage, str] = {
    _V.DRAFT: "la remettre à l'état de projet",
    _V.AMENDED: "la marquer comme texte amendé",
    _V.ADOPTED_BY_BN: "la déclarer adoptée par le Bureau national",
    _V.SUBMITTED_TO_VOTE: "la soumettre au vote des militants",
    _V.ADOPTED: "la déclarer adoptée",
}

# « La version 2 est … »
_STATE_PHRASES: dict[VersionStage, str] = {
    _V.DRAFT: "un projet de texte",
    _V.AMENDED: "un texte amendé",
    _V.ADOPTED_BY_BN: "adoptée par le Bureau national",
    _V.SUBMITTED_TO_VOTE: "soumise au vote des militants",
    _V.ADOPTED: "adoptée",
}


def _french_list(items: Sequence[str]) -> str:
    """« a », « a ou b », « a, b ou c »."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} ou {items[-1]}"


def allowed_targets(source: str) -> list[VersionStage]:
    """The statuses a version in ``source`` may move to, in the order of the text's life."""
    allowed = VERSION_TRANSITIONS[VersionStage(source)]
    return [stage for stage in VersionStage if stage in allowed]


class VersionTransitionError(IllegalTransition):
    """A version cannot move to the requested status; the message says what is possible instead."""

    def __init__(self, source: str, target: str, number: int, current_number: int | None = None) -> None:
        source, target = VersionStage(source), VersionStage(target)
        super().__init__("text_version", source.value, target.value)
        self.number = number
        head = f"La version {number} est {_STATE_PHRASES[source]}"
        if current_number is not None and current_number != number:
            self.message = (
                f"{head}, mais ce n'est plus la version actuelle du texte (la version "
                f"{current_number} l'est) : son statut ne change plus. Changez celui de la version "
                f"{current_number}."
            )
            return
        if target == source:
            head = f"{head} : elle l'est déjà."
        else:
            head = f"{head} : on ne peut pas {ACTION_LABELS[target]}."
        possible = allowed_targets(source)
        if possible:
            tail = f"Possible maintenant : {_french_list([ACTION_LABELS[s] for s in possible])}."
        else:
            tail = "Aucune autre étape n'est possible : le texte est adopté, son statut est définitif."
        self.message = f"{head} {tail}"

    def __str__(self) -> str:
        return self.message


def check_version_transition(source: str, target: str, number: int, current_number: int | None = None) -> None:
    """Raise VersionTransitionError unless version ``number`` may go from ``source`` to ``target``.

    ``current_number``: the number of the text's current version; only that one changes status.
    """
    if current_number is not None and current_number != number:
        raise VersionTransitionError(source, target, number, current_number)
    if VersionStage(target) not in VERSION_TRANSITIONS[VersionStage(source)]:
        raise VersionTransitionError(source, target, number)


def is_notified(target: str) -> bool:
    """Are the members told when a version reaches ``target``?"""
    return VersionStage(target) in NOTIFIED_STAGES


# --- the difference between two versions, chapter by chapter -----------------------------------


@dataclass(frozen=True)
class ChapterDiff:
    """The blocks of one chapter in a difference between two versions (reading order)."""

    anchor: str
    blocks: tuple[BlockDiff, ...]

    def count(self, change: BlockChange) -> int:
        return sum(1 for b in self.blocks if b.change == change)

    @property
    def modified(self) -> int:
        return self.count(BlockChange.MODIFIED)

    @property
    def inserted(self) -> int:
        return self.count(BlockChange.INSERTED)

    @property
    def deleted(self) -> int:
        return self.count(BlockChange.DELETED)

    @property
    def unchanged(self) -> int:
        return self.count(BlockChange.UNCHANGED)

    @property
    def changed(self) -> int:
        return len(self.blocks) - self.unchanged

    @property
    def changed_blocks(self) -> tuple[BlockDiff, ...]:
        return tuple(b for b in self.blocks if b.change != BlockChange.UNCHANGED)


def diff_by_chapter(diffs: Iterable[BlockDiff], chapter_of: Callable[[BlockDiff], str]) -> list[ChapterDiff]:
    """``diffs`` grouped by chapter (``chapter_of`` names a block's chapter), chapters in first-seen order."""
    groups: dict[str, list[BlockDiff]] = {}
    for diff in diffs:
        groups.setdefault(chapter_of(diff), []).append(diff)
    return [ChapterDiff(anchor, tuple(blocks)) for anchor, blocks in groups.items()]


def summary(diffs: Iterable[BlockDiff]) -> dict[str, int]:
    """How many blocks are unchanged, modified, inserted and deleted."""
    counts = {change.value: 0 for change in BlockChange}
    for diff in diffs:
        counts[diff.change.value] += 1
    return counts


# --- a version from a file, before it is written ------------------------------------------------


@dataclass(frozen=True)
class PlannedChapter:
    """A chapter of a parsed file with the anchor the writer will give it."""

    anchor: str
    part_number: str
    part_title: str
    number: str
    title: str
    line: int
    blocks: int
    proposals: int


def planned_structure(parsed: ParsedText) -> tuple[list[PlannedChapter], list[SourceBlock]]:
    """The chapters and blocks a parsed file will become, with the anchors the writer gives them.

    The same rule as ``convention.texts.operations.write_text_version``: ``II-5`` for a chapter
    (positions when two chapters have the same numbers), ``II-5-12`` for its 12th block.
    """
    chapters: list[PlannedChapter] = []
    blocks: list[SourceBlock] = []
    seen: set[str] = set()
    for part_position, part in enumerate(parsed.parts, start=1):
        for chapter_position, chapter in enumerate(part.chapters, start=1):
            anchor = chapter_anchor(part.number, part_position, chapter.number, chapter_position)
            if anchor in seen:
                anchor = chapter_anchor(f"p{part_position}", 0, f"c{chapter_position}", 0)
            seen.add(anchor)
            proposals = sum(1 for b in chapter.blocks if b.kind == BlockKind.PROPOSAL.value)
            chapters.append(PlannedChapter(anchor, part.number, part.title, chapter.number, chapter.title,
                                           chapter.line, len(chapter.blocks), proposals))  # fmt: skip
            for position, block in enumerate(chapter.blocks, start=1):
                blocks.append(SourceBlock(block_anchor(anchor, position), BlockKind(block.kind), block.text, anchor))
    return chapters, blocks
