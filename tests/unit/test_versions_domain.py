"""The statuses of a version of the text (transition table, French messages) and the diff per chapter."""

from __future__ import annotations

import pytest

from convention.domain.consolidation import BlockChange, SourceBlock, diff_versions
from convention.domain.errors import IllegalTransition
from convention.domain.textimport import parse_document
from convention.domain.textstructure import BlockKind
from convention.domain.versions import (
    ACTION_LABELS,
    NOTIFIED_STAGES,
    STAGE_LABELS,
    VERSION_TRANSITIONS,
    VersionTransitionError,
    allowed_targets,
    check_version_transition,
    diff_by_chapter,
    is_notified,
    planned_structure,
    summary,
)
from convention.domain.versions import (
    VersionStage as V,
)

ALLOWED = {
    (V.DRAFT, V.AMENDED),
    (V.DRAFT, V.ADOPTED_BY_BN),
    (V.AMENDED, V.ADOPTED_BY_BN),
    (V.ADOPTED_BY_BN, V.SUBMITTED_TO_VOTE),
    (V.SUBMITTED_TO_VOTE, V.ADOPTED),
}


@pytest.mark.parametrize("source", list(V))
@pytest.mark.parametrize("target", list(V))
def test_every_cell_of_the_transition_table(source, target):
    if (source, target) in ALLOWED:
        check_version_transition(source, target, 2, 2)
        assert target in allowed_targets(source)
    else:
        with pytest.raises(VersionTransitionError) as error:
            check_version_transition(source, target, 2, 2)
        assert isinstance(error.value, IllegalTransition)
        assert error.value.message.startswith("La version 2 est ")
        assert str(error.value) == error.value.message


def test_the_table_covers_every_status_and_goes_only_forward():
    assert set(VERSION_TRANSITIONS) == set(V) == set(STAGE_LABELS) == set(ACTION_LABELS)
    order = list(V)
    for source, targets in VERSION_TRANSITIONS.items():
        assert all(order.index(t) > order.index(source) for t in targets), source
    assert VERSION_TRANSITIONS[V.ADOPTED] == frozenset()


def test_the_message_says_what_is_possible_instead():
    with pytest.raises(VersionTransitionError) as error:
        check_version_transition("amended", "submitted_to_vote", 2, 2)
    assert error.value.message == (
        "La version 2 est un texte amendé : on ne peut pas la soumettre au vote des militants. "
        "Possible maintenant : la déclarer adoptée par le Bureau national."
    )
    with pytest.raises(VersionTransitionError) as error:
        check_version_transition("draft", "adopted", 1, 1)
    assert "Possible maintenant : la marquer comme texte amendé ou la déclarer adoptée par le Bureau national." in (
        error.value.message
    )


def test_an_adopted_text_and_a_repeated_status_explain_themselves():
    with pytest.raises(VersionTransitionError) as error:
        check_version_transition("adopted", "draft", 3, 3)
    assert error.value.message == (
        "La version 3 est adoptée : on ne peut pas la remettre à l'état de projet. Aucune autre étape "
        "n'est possible : le texte est adopté, son statut est définitif."
    )
    with pytest.raises(VersionTransitionError) as error:
        check_version_transition("adopted_by_bn", "adopted_by_bn", 2, 2)
    assert error.value.message.startswith("La version 2 est adoptée par le Bureau national : elle l'est déjà.")
    assert "Possible maintenant : la soumettre au vote des militants." in error.value.message


def test_only_the_current_version_changes_status():
    with pytest.raises(VersionTransitionError) as error:
        check_version_transition("draft", "amended", 1, 3)
    assert "ce n'est plus la version actuelle du texte (la version 3 l'est)" in error.value.message
    check_version_transition("draft", "amended", 3, 3)
    check_version_transition("draft", "amended", 1)  # no current number given: the table alone


@pytest.mark.parametrize(
    ("stage", "told"),
    [(V.DRAFT, False), (V.AMENDED, False), (V.ADOPTED_BY_BN, True), (V.SUBMITTED_TO_VOTE, True), (V.ADOPTED, True)],
)
def test_which_statuses_the_members_are_told_of(stage, told):
    assert is_notified(stage) is told
    assert (stage in NOTIFIED_STAGES) is told


def test_unknown_statuses_are_refused():
    with pytest.raises(ValueError):
        check_version_transition("draft", "published", 1, 1)


def _blocks(*items):
    return [SourceBlock(anchor, BlockKind.PARAGRAPH, text, anchor.rsplit("-", 1)[0]) for anchor, text in items]


def test_a_difference_grouped_by_chapter_keeps_the_reading_order_and_counts():
    old = _blocks(("I-1-1", "Un deux trois."), ("I-1-2", "Quatre."), ("I-2-1", "Cinq six."), ("I-3-1", "Gone."))
    new = _blocks(("I-1-1", "Un deux quatre."), ("I-1-2", "Quatre."), ("I-1-2a", "Nouveau."), ("I-2-1", "Cinq six."))
    diffs = diff_versions(old, new)
    chapter_of = {b.anchor: b.chapter for b in old + new}
    chapters = diff_by_chapter(diffs, lambda d: chapter_of[d.anchor])
    assert [c.anchor for c in chapters] == ["I-1", "I-2", "I-3"]
    first, second, third = chapters
    assert (first.modified, first.inserted, first.deleted, first.unchanged, first.changed) == (1, 1, 0, 1, 2)
    assert [b.anchor for b in first.changed_blocks] == ["I-1-1", "I-1-2a"]
    assert (second.changed, third.deleted) == (0, 1)
    assert summary(diffs) == {"unchanged": 2, "modified": 1, "inserted": 1, "deleted": 1}
    assert first.blocks[0].change == BlockChange.MODIFIED


MARKDOWN = """# I. Prévenir

## 1. La prévention

La prévention commence tôt.

Les polices municipales travaillent avec les habitants.

## 2. La justice

Un alinéa.
"""


def test_the_planned_structure_gives_the_anchors_the_writer_gives():
    parsed = parse_document(MARKDOWN, "markdown")
    assert parsed.ok, parsed.errors
    chapters, blocks = planned_structure(parsed)
    assert [c.anchor for c in chapters] == ["I-1", "I-2"]
    assert [(c.number, c.title, c.blocks, c.part_title) for c in chapters] == [
        ("1", "La prévention", 2, "Prévenir"),
        ("2", "La justice", 1, "Prévenir"),
    ]
    assert chapters[0].line == 3
    assert [(b.anchor, b.chapter) for b in blocks] == [("I-1-1", "I-1"), ("I-1-2", "I-1"), ("I-2-1", "I-2")]
