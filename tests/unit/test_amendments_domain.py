"""Amendments without a database: lifecycle, the change an edit makes, citations, overlaps."""

from __future__ import annotations

import random

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from convention.domain.amendments import (
    ACTION_LABELS,
    ADOPTED_STATUSES,
    AMENDMENT_TRANSITIONS,
    CONTEXT,
    DECIDED_STATUSES,
    KIND_LABELS,
    OPEN_STATUSES,
    OPINION_LABELS,
    RELATION_LABELS,
    STATUS_LABELS,
    AmendmentKind,
    AmendmentStatus,
    AmendmentTransitionError,
    Anchor,
    Change,
    EmptyInsertion,
    NoChange,
    Opinion,
    Relation,
    StaleChange,
    action_label,
    anchor_of,
    apply_change,
    apply_changes,
    check_amendment_transition,
    citation,
    clusters,
    compute_change,
    conflicts,
    delete_block,
    find_related,
    insert_after,
    normalized_key,
    overlaps,
    relation,
    span_lines,
    split_paragraphs,
    tokenize,
    word_diff,
)
from convention.domain.errors import DomainError, IllegalTransition
from convention.domain.textstructure import line_spans, normalize_space

S = AmendmentStatus
MODIFY, DELETE, INSERT = AmendmentKind.MODIFY, AmendmentKind.DELETE, AmendmentKind.INSERT

# --- labels and lifecycle ----------------------------------------------------


@pytest.mark.parametrize(
    ("labels", "enum_class"),
    [
        (STATUS_LABELS, AmendmentStatus),
        (OPINION_LABELS, Opinion),
        (KIND_LABELS, AmendmentKind),
        (RELATION_LABELS, Relation),
        (ACTION_LABELS, AmendmentStatus),
    ],
)
def test_every_value_has_a_french_label(labels, enum_class):
    assert set(labels) == set(enum_class)
    assert all(label.strip() for label in labels.values())


def test_labels():
    assert STATUS_LABELS[S.MERGED] == "Intégré dans une synthèse"
    assert OPINION_LABELS[Opinion.FAVORABLE_WITH_RECTIFICATION] == "Avis favorable sous réserve de rectification"
    assert RELATION_LABELS[Relation.OVERLAP] == "Porte sur le même passage"


ALLOWED = {
    (S.SUBMITTED, S.ADMISSIBLE),
    (S.SUBMITTED, S.INADMISSIBLE),
    (S.SUBMITTED, S.WITHDRAWN),
    (S.ADMISSIBLE, S.ADOPTED),
    (S.ADMISSIBLE, S.ADOPTED_MODIFIED),
    (S.ADMISSIBLE, S.MERGED),
    (S.ADMISSIBLE, S.REJECTED),
    (S.ADMISSIBLE, S.WITHDRAWN),
    (S.REJECTED, S.MAINTAINED),
    (S.MAINTAINED, S.WITHDRAWN),
    # the committee goes back on an adoption before the consolidation (a conflict to settle)
    (S.ADOPTED, S.ADMISSIBLE),
    (S.ADOPTED_MODIFIED, S.ADMISSIBLE),
}


@pytest.mark.parametrize("source", list(S))
@pytest.mark.parametrize("target", list(S))
def test_amendment_transition_table(source, target):
    assert (target in AMENDMENT_TRANSITIONS[source]) == ((source, target) in ALLOWED)
    if (source, target) in ALLOWED:
        check_amendment_transition(source, target, 7)
        return
    with pytest.raises(AmendmentTransitionError) as caught:
        check_amendment_transition(source, target, 7)
    error = caught.value
    assert isinstance(error, IllegalTransition)
    assert (error.lifecycle, error.source, error.target, error.number) == ("amendment", source.value, target.value, 7)
    message = str(error)
    assert message == error.message
    assert message.startswith("L'amendement n° 7 est ")
    assert f"on ne peut pas {ACTION_LABELS[target]}." in message
    possible = [action_label(source, s) for s in AMENDMENT_TRANSITIONS[source]]
    if possible:
        assert "Possible maintenant : " in message
        assert all(action in message for action in possible)
    else:
        assert "Aucune autre étape n'est possible" in message


@pytest.mark.parametrize(
    ("source", "target", "expected"),
    [
        (
            S.REJECTED,
            S.ADMISSIBLE,
            "L'amendement n° 12 est rejeté : on ne peut pas le déclarer recevable. "
            "Possible maintenant : le maintenir pour la journée de la convention.",
        ),
        (
            S.SUBMITTED,
            S.ADOPTED,
            "L'amendement n° 12 est déposé : on ne peut pas l'adopter. "
            "Possible maintenant : le déclarer recevable, le déclarer irrecevable ou le retirer.",
        ),
        (
            S.ADOPTED,
            S.REJECTED,
            "L'amendement n° 12 est adopté : on ne peut pas le rejeter. "
            "Possible maintenant : revenir sur son adoption.",
        ),
        (
            S.INADMISSIBLE,
            S.ADMISSIBLE,
            "L'amendement n° 12 est irrecevable : on ne peut pas le déclarer recevable. "
            "Aucune autre étape n'est possible : sa décision est définitive.",
        ),
        (
            S.WITHDRAWN,
            S.MAINTAINED,
            "L'amendement n° 12 est retiré : on ne peut pas le maintenir pour la journée de la convention. "
            "Aucune autre étape n'est possible : son retrait est définitif.",
        ),
    ],
)
def test_transition_error_says_what_is_possible(source, target, expected):
    with pytest.raises(AmendmentTransitionError) as caught:
        check_amendment_transition(source, target, 12)
    assert str(caught.value) == expected


def test_status_groups():
    assert OPEN_STATUSES == {S.SUBMITTED, S.ADMISSIBLE}
    assert ADOPTED_STATUSES == {S.ADOPTED, S.ADOPTED_MODIFIED}
    assert DECIDED_STATUSES == {S.ADOPTED, S.ADOPTED_MODIFIED, S.MERGED, S.REJECTED, S.MAINTAINED}
    assert ADOPTED_STATUSES <= DECIDED_STATUSES
    assert not OPEN_STATUSES & DECIDED_STATUSES
    finals = {s for s, targets in AMENDMENT_TRANSITIONS.items() if not targets}
    assert finals == {S.INADMISSIBLE, S.MERGED, S.WITHDRAWN}


# --- tokens ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("l'État", ["l'État"]),
        ("aujourd’hui", ["aujourd’hui"]),
        ("Île-de-France", ["Île-de-France"]),
        ("de l’État, enfin.", ["de", " ", "l’État", ",", " ", "enfin", "."]),
        (
            "« mots » (entre) ; ok !",
            ["«", " ", "mots", " ", "»", " ", "(", "entre", ")", " ", ";", " ", "ok", " ", "!"],
        ),
        ("3,5 %  ou\n10", ["3", ",", "5", " ", "%", "  ", "ou", "\n", "10"]),
        ("fin-", ["fin", "-"]),
        ("a_b", ["a", "_", "b"]),
        ("", []),
    ],
)
def test_tokenize(text, expected):
    assert tokenize(text) == expected


@given(st.text())
def test_tokens_concatenate_to_the_text(text):
    assert "".join(tokenize(text)) == text


# --- compute_change ----------------------------------------------------------

PARAGRAPH = "Nous proposons que l’État garantisse l’accès aux soins, partout et pour tous, dès 2027."


@pytest.mark.parametrize(
    ("block", "edited", "kind", "original", "replacement"),
    [
        # replacing words
        (PARAGRAPH, PARAGRAPH.replace("partout et pour tous", "sur tout le territoire"), MODIFY,
         "partout et pour tous", "sur tout le territoire"),
        (PARAGRAPH, PARAGRAPH.replace("2027", "2026"), MODIFY, "2027", "2026"),
        # apostrophes: an elided article stays with its word
        ("Le rôle de l’État est central.", "Le rôle de la République est central.", MODIFY, "l’État",
         "la République"),
        ("Le rôle de l'État est central.", "Le rôle de l'Europe est central.", MODIFY, "l'État", "l'Europe"),
        # deleting words, also before a comma or the final period
        (PARAGRAPH, PARAGRAPH.replace(", partout et pour tous,", ","), DELETE, "partout et pour tous,", ""),
        (PARAGRAPH, PARAGRAPH.replace(" et pour tous", ""), DELETE, "et pour tous", ""),
        (PARAGRAPH, PARAGRAPH.replace(", dès 2027", ""), DELETE, ", dès 2027", ""),
        ("Des écoles ouvertes.", "Des écoles.", DELETE, "ouvertes", ""),
        # inserting words in the middle, at the start, at the end, before a period
        (PARAGRAPH, PARAGRAPH.replace("aux soins", "aux soins de qualité"), MODIFY, "", "de qualité"),
        (PARAGRAPH, "Dès maintenant, n" + PARAGRAPH[1:], MODIFY, "Nous", "Dès maintenant, nous"),
        ("écoles ouvertes", "Des écoles ouvertes", MODIFY, "", "Des"),
        ("Des écoles ouvertes", "Demain des écoles ouvertes", MODIFY, "Des", "Demain des"),
        ("Des écoles ouvertes", "Des écoles ouvertes toute l’année", MODIFY, "", "toute l’année"),
        ("Des écoles ouvertes.", "Des écoles ouvertes et gratuites.", MODIFY, "", "et gratuites"),
        # punctuation only
        ("Des écoles, des crèches.", "Des écoles; des crèches.", MODIFY, ",", ";"),
        ("Des écoles des crèches.", "Des écoles, des crèches.", MODIFY, "", ","),
        # spacing that the typography rules do not give: the span takes the neighbouring token
        ("Des écoles, des crèches.", "Des écoles ; des crèches.", MODIFY, "écoles,", "écoles ;"),
        ("a,b", "a, b", MODIFY, ",b", ", b"),
        # whitespace runs in the input are not changes
        ("Des   écoles\nouvertes.", "Des écoles\n\n fermées.", MODIFY, "ouvertes", "fermées"),
        # an empty edit deletes the paragraph
        (PARAGRAPH, "", DELETE, PARAGRAPH, ""),
        (PARAGRAPH, " \n ", DELETE, PARAGRAPH, ""),
    ],
)  # fmt: skip
def test_compute_change(block, edited, kind, original, replacement):
    change = compute_change(block, edited)
    normalized = normalize_space(block)
    assert (change.kind, change.original, change.replacement) == (kind, original, replacement)
    assert normalized[change.start : change.end] == change.original
    assert change.whole_block == (normalize_space(edited) == "")
    expected = [normalize_space(edited)] if normalize_space(edited) else []
    assert apply_change(block, change) == expected


def test_an_insertion_point_follows_the_word_before_it():
    change = compute_change("a b", "a x b")
    assert (change.start, change.end, change.prefix, change.suffix) == (1, 1, "a", " b")


def test_a_whole_block_deletion():
    change = compute_change(PARAGRAPH, "")
    assert change == Change(DELETE, 0, len(PARAGRAPH), PARAGRAPH, "", "", "", whole_block=True)
    assert delete_block(PARAGRAPH + "  ") == change


def test_context_is_kept_on_both_sides():
    change = compute_change(PARAGRAPH, PARAGRAPH.replace("soins", "droits"))
    start = PARAGRAPH.index("soins")
    assert change.prefix == PARAGRAPH[start - CONTEXT : start]
    assert change.suffix == PARAGRAPH[start + 5 :]  # fewer than CONTEXT characters are left
    assert len(change.prefix) == CONTEXT


@pytest.mark.parametrize("edited", [PARAGRAPH, PARAGRAPH + "  ", "  " + PARAGRAPH.replace(" ", "\n  ")])
def test_whitespace_only_is_no_change(edited):
    with pytest.raises(NoChange) as caught:
        compute_change(PARAGRAPH, edited)
    assert isinstance(caught.value, DomainError)
    assert str(caught.value) == "Vous n'avez rien modifié dans ce paragraphe."


# Random paragraphs: French words and punctuation, and random edits of their word list.
VOCABULARY = ["l’État", "aujourd'hui", "Île-de-France", "les", "écoles", "publiques", "de", "la", "République",
              "2027", "à", "Nous", "proposons", "dès", "«", "»", "(", ")"]  # fmt: skip
PUNCTUATION = [",", ".", ";", ":", "!", "?", "…"]
PIECES = st.one_of(st.sampled_from(VOCABULARY), st.sampled_from(PUNCTUATION))
GAPS = st.sampled_from([" ", " ", " ", "", "  ", "\n"])


@st.composite
def render(draw, pieces):
    return "".join(piece + draw(GAPS) for piece in pieces)


@st.composite
def edits(draw):
    pieces = draw(st.lists(PIECES, max_size=25))
    edited = list(pieces)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        at = draw(st.integers(min_value=0, max_value=len(edited)))
        upto = draw(st.integers(min_value=at, max_value=min(len(edited), at + 4)))
        edited[at:upto] = draw(st.lists(PIECES, max_size=4))
    return draw(render(pieces)), draw(render(edited))


def _check_change(block, edited):
    normalized, target = normalize_space(block), normalize_space(edited)
    if normalized == target:
        with pytest.raises(NoChange):
            compute_change(block, edited)
        return
    change = compute_change(block, edited)
    assert change.original == normalized[change.start : change.end]
    for text in (change.original, change.replacement):
        assert text == text.strip(" ")
    assert (change.kind == DELETE) == (change.replacement == "")
    assert change.kind != INSERT
    assert change.prefix == normalized[max(0, change.start - CONTEXT) : change.start]
    assert change.suffix == normalized[change.end : change.end + CONTEXT]
    assert apply_change(block, change) == ([target] if target else [])


@given(edits())
@example(("a , b", "a, b"))
@example(("a, b c", "a,d c"))
@example(("a b", "a (x) b"))
def test_applying_the_computed_change_gives_the_edited_text(pair):
    _check_change(*pair)


@given(st.text(alphabet="ab ,.;()'’-é\n", max_size=20), st.text(alphabet="ab ,.;()'’-é\n", max_size=20))
def test_applying_the_computed_change_to_any_texts(block, edited):
    _check_change(block, edited)


def test_a_stale_change_is_refused():
    change = compute_change(PARAGRAPH, PARAGRAPH.replace("soins", "droits"))
    with pytest.raises(StaleChange):
        apply_change(PARAGRAPH.replace("soins", "services"), change)
    with pytest.raises(StaleChange):
        apply_change("court", change)


# --- insertions of paragraphs ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Un alinéa.", ["Un alinéa."]),
        ("Un  alinéa\nsur deux lignes.", ["Un alinéa sur deux lignes."]),
        ("Premier.\n\nSecond.", ["Premier.", "Second."]),
        ("Premier.\r\n\r\n\r\nSecond.\n  \n\t\nTroisième.", ["Premier.", "Second.", "Troisième."]),
        ("\n\n  Seul.  \n\n", ["Seul."]),
        ("", []),
        (" \n\n \n", []),
    ],
)
def test_split_paragraphs(text, expected):
    assert split_paragraphs(text) == expected


def test_insert_after():
    change = insert_after(PARAGRAPH, "Un premier alinéa.\n\n\nUn  second\nalinéa.")
    assert change.kind == INSERT
    assert (change.start, change.end, change.original) == (len(PARAGRAPH), len(PARAGRAPH), "")
    assert change.replacement == "Un premier alinéa.\n\nUn second alinéa."
    assert change.prefix == PARAGRAPH[-CONTEXT:] and change.suffix == ""
    assert apply_change(PARAGRAPH, change) == [PARAGRAPH, "Un premier alinéa.", "Un second alinéa."]


@pytest.mark.parametrize("text", ["", "   ", "\n\n\n"])
def test_an_empty_insertion_is_refused(text):
    with pytest.raises(EmptyInsertion) as caught:
        insert_after(PARAGRAPH, text)
    assert str(caught.value) == "Écrivez le texte de l'alinéa à insérer."


def test_apply_a_whole_block_deletion():
    assert apply_change(PARAGRAPH, delete_block(PARAGRAPH)) == []


# --- several changes to one block --------------------------------------------


def test_apply_changes_applies_separate_passages_and_insertions():
    block = "Des écoles ouvertes, des crèches gratuites et des soins pour tous."
    first = compute_change(block, block.replace("ouvertes", "publiques"))
    second = compute_change(block, block.replace(" gratuites", ""))
    third = compute_change(block, block.replace("pour tous", "pour toutes et tous"))
    added = insert_after(block, "Un alinéa.")
    result = apply_changes(block, [third, added, first, second])
    assert result == ["Des écoles publiques, des crèches et des soins pour toutes et tous.", "Un alinéa."]
    assert apply_changes(block, [delete_block(block), added]) == ["Un alinéa."]
    assert apply_changes(block, []) == [block]


def test_apply_changes_refuses_overlapping_changes():
    block = "Des écoles ouvertes."
    with pytest.raises(ValueError):
        apply_changes(block, [compute_change(block, "Des écoles fermées."), compute_change(block, "Des crèches.")])


# --- lines and citations -----------------------------------------------------

# Wrapped at 20: "Nous proposons que" [0, 18), "l’État garantisse" [19, 36), "l’accès aux soins," [37, 55),
# "partout et pour" [56, 71), "tous, dès 2027." [72, 87)


def test_the_paragraph_used_for_lines():
    assert line_spans(PARAGRAPH, 20) == [(0, 18), (19, 36), (37, 55), (56, 71), (72, 87)]


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (19, 25, (101, 101)),  # « l’État »
        (56, 76, (103, 104)),  # « partout et pour tous »
        (0, 87, (100, 104)),  # the whole paragraph
        (36, 36, (101, 101)),  # a point after « garantisse »: the line of the word before it
        (37, 37, (101, 101)),  # a point after the space closing the line: still the line before
        (0, 0, (100, 100)),  # the start of the paragraph
        (87, 87, (104, 104)),  # the end (where paragraphs are inserted)
    ],
)
def test_span_lines(start, end, expected):
    assert span_lines(PARAGRAPH, 20, 100, start, end) == expected


def test_span_lines_of_an_insertion_is_the_last_line():
    change = insert_after(PARAGRAPH, "Nouveau.")
    assert span_lines(PARAGRAPH, 20, 100, change.start, change.end) == (104, 104)


def _change(kind, original, replacement, prefix="", start=10, whole_block=False):
    return Change(kind, start, start + len(original), original, replacement, prefix, "", whole_block)


@pytest.mark.parametrize(
    ("change", "lines", "expected"),
    [
        (_change(MODIFY, "soins", "droits"), (1234, 1234),
         "À la ligne 1234, remplacer le mot « soins » par le mot « droits »."),
        (_change(MODIFY, "l’accès aux soins", "des soins"), (1234, 1236),
         "Lignes 1234 à 1236, remplacer les mots « l’accès aux soins » par les mots « des soins »."),
        (_change(MODIFY, "l’État", "la République"), (1234, 1234),
         "À la ligne 1234, remplacer les mots « l’État » par les mots « la République »."),
        (_change(MODIFY, "soins", "services publics"), (1234, 1234),
         "À la ligne 1234, remplacer le mot « soins » par les mots « services publics »."),
        (_change(MODIFY, ",", ";"), (1234, 1234),
         "À la ligne 1234, remplacer le signe « , » par le signe « ; »."),
        (_change(MODIFY, "", "de qualité", prefix="que l’État garantisse l’accès aux soins"), (1234, 1234),
         "À la ligne 1234, après les mots « garantisse l’accès aux soins », insérer les mots « de qualité »."),
        (_change(MODIFY, "", "vraiment", prefix="Nous", start=4), (1234, 1234),
         "À la ligne 1234, après le mot « Nous », insérer le mot « vraiment »."),
        (_change(MODIFY, "", "Demain,", start=0), (1234, 1234),
         "À la ligne 1234, au début de l'alinéa, insérer les mots « Demain, »."),
        (_change(DELETE, "partout", ""), (1234, 1234), "À la ligne 1234, supprimer le mot « partout »."),
        (_change(DELETE, "partout et pour tous", ""), (1234, 1236),
         "Lignes 1234 à 1236, supprimer les mots « partout et pour tous »."),
        (_change(DELETE, PARAGRAPH, "", start=0, whole_block=True), (1234, 1234),
         "Supprimer l'alinéa de la ligne 1234."),
        (_change(DELETE, PARAGRAPH, "", start=0, whole_block=True), (1234, 1240),
         "Supprimer l'alinéa des lignes 1234 à 1240."),
        (insert_after(PARAGRAPH, "Un alinéa."), (1240, 1240),
         "Après la ligne 1240, insérer l'alinéa suivant : « Un alinéa. »."),
        (insert_after(PARAGRAPH, "Un.\n\nDeux."), (1240, 1240),
         "Après la ligne 1240, insérer les alinéas suivants : « Un. » « Deux. »."),
    ],
)  # fmt: skip
def test_citation(change, lines, expected):
    assert citation(change, *lines) == expected


def test_citation_quotes_whole_words_of_a_cut_prefix():
    block = "Considérant que la protection de l’enfance relève du département, nous proposons"
    change = compute_change(block, block + " aussi")
    assert len(change.prefix) == CONTEXT and not change.prefix.startswith(" ")
    assert (
        citation(change, 3, 3)
        == "À la ligne 3, après les mots « du département, nous proposons », insérer le mot « aussi »."
    )
    cut = "nfance relève du département, nous propose"[-CONTEXT:]  # starts in the middle of a word
    assert cut.startswith("ance")
    assert citation(_change(MODIFY, "", "x", prefix=cut), 3, 3).startswith(
        "À la ligne 3, après les mots « du département, nous propose »"
    )
    assert citation(_change(MODIFY, "", "x", prefix="fance relève"), 3, 3).startswith(
        "À la ligne 3, après les mots « fance relève »"  # a short prefix is the start of the block: whole
    )


def test_citation_of_a_computed_change_end_to_end():
    edited = PARAGRAPH.replace("partout et pour tous", "sur tout le territoire")
    change = compute_change(PARAGRAPH, edited)
    first, last = span_lines(PARAGRAPH, 20, 100, change.start, change.end)
    assert citation(change, first, last) == (
        "Lignes 103 à 104, remplacer les mots « partout et pour tous » par les mots « sur tout le territoire »."
    )


# --- word_diff -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("original", "replacement", "expected"),
    [
        ("l’accès aux soins", "l’accès aux droits", [("equal", "l’accès aux "), ("delete", "soins"), ("insert", "droits")]),
        ("a b", "a b", [("equal", "a b")]),
        ("", "x", [("insert", "x")]),
        ("x", "", [("delete", "x")]),
        ("a, b", "a; b", [("equal", "a"), ("delete", ","), ("insert", ";"), ("equal", " b")]),
    ],
)  # fmt: skip
def test_word_diff(original, replacement, expected):
    assert word_diff(original, replacement) == expected


@given(edits())
def test_word_diff_rebuilds_both_sides(pair):
    original, replacement = pair
    segments = word_diff(original, replacement)
    assert "".join(text for op, text in segments if op in ("equal", "delete")) == original
    assert "".join(text for op, text in segments if op in ("equal", "insert")) == replacement
    assert all(text for _, text in segments)
    assert all(a[0] != b[0] for a, b in zip(segments, segments[1:], strict=False))


# --- related amendments ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("L’État, enfin !", "l état enfin"),
        ("« Île-de-France »", "île de france"),
        ("  Des   écoles.\n", "des écoles"),
        ("ÉCOLE", "école"),
    ],
)
def test_normalized_key(text, expected):
    assert normalized_key(text) == expected


def _a(id, kind=MODIFY, start=10, end=20, original="passage visé", replacement="nouveau texte", block="II-5-12",
       whole_block=False):  # fmt: skip
    return Anchor(id, block, kind, start, end, original, replacement, whole_block)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        # spans: half-open intervals
        (_a(1, start=10, end=20), _a(2, start=15, end=25), True),
        (_a(1, start=10, end=20), _a(2, start=20, end=25), False),
        (_a(1, start=10, end=20), _a(2, start=0, end=10), False),
        (_a(1, start=10, end=20), _a(2, start=12, end=14), True),
        (_a(1, start=10, end=20), _a(2, start=10, end=20, block="II-5-13"), False),
        # points (insertions of words)
        (_a(1, start=10, end=20), _a(2, start=20, end=20), True),
        (_a(1, start=10, end=20), _a(2, start=10, end=10), True),
        (_a(1, start=10, end=20), _a(2, start=21, end=21), False),
        (_a(1, start=10, end=10), _a(2, start=10, end=10), True),
        (_a(1, start=10, end=10), _a(2, start=11, end=11), False),
        # insertions of paragraphs
        (_a(1, INSERT, 50, 50, ""), _a(2, INSERT, 50, 50, ""), True),
        (_a(1, INSERT, 50, 50, ""), _a(2, INSERT, 50, 50, "", block="II-5-13"), False),
        (_a(1, INSERT, 50, 50, ""), _a(2, start=40, end=50), False),
        (_a(1, INSERT, 50, 50, ""), _a(2, DELETE, 0, 50, whole_block=True), False),
        # a whole-block deletion touches every passage of the block
        (_a(1, DELETE, 0, 50, whole_block=True), _a(2, start=60, end=70), True),
        (_a(1, DELETE, 0, 50, whole_block=True), _a(2, start=10, end=20, block="II-5-13"), False),
    ],
)
def test_overlaps(a, b, expected):
    assert overlaps(a, b) is expected
    assert overlaps(b, a) is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (_a(1, replacement="les services publics"), _a(2, replacement="Les services publics."), Relation.IDENTICAL),
        (_a(1, original="l’État", replacement="la nation"), _a(2, original="l'État", replacement="La Nation"),
         Relation.IDENTICAL),
        (_a(1, replacement="les services publics"), _a(2, replacement="des services publics"), Relation.SIMILAR),
        (_a(1, replacement="les services publics"), _a(2, replacement="la gratuité des transports"), Relation.OVERLAP),
        (_a(1, replacement="les services publics"), _a(2, DELETE, replacement=""), Relation.OVERLAP),
        (_a(1, DELETE, original="partout et pour tous", replacement=""),
         _a(2, DELETE, original="partout et pour toutes", replacement=""), Relation.SIMILAR),
        (_a(1, DELETE, original="partout et pour tous", replacement=""),
         _a(2, DELETE, original="dès 2027", replacement=""), Relation.OVERLAP),
        (_a(1, INSERT, 50, 50, "", "Un alinéa."), _a(2, INSERT, 50, 50, "", "un alinéa"), Relation.IDENTICAL),
        (_a(1, INSERT, 50, 50, "", "Un alinéa nouveau."), _a(2, INSERT, 50, 50, "", "Un alinéa neuf."),
         Relation.SIMILAR),
        (_a(1, replacement="les services publics"), _a(2, replacement="les services publics", block="I-1-1"), None),
        (_a(1, start=0, end=5), _a(2, start=5, end=9), None),
        # accents are kept: « élève » and « eleve » differ (and are too short to be similar)
        (_a(1, replacement="élève"), _a(2, replacement="eleve"), Relation.OVERLAP),
    ],
)  # fmt: skip
def test_relation(a, b, expected):
    assert relation(a, b) == expected
    assert relation(b, a) == expected


def test_find_related_sorts_identical_then_similar_then_overlap():
    candidate = _a(5, replacement="les services publics")
    others = [
        candidate,
        _a(9, replacement="la gratuité des transports"),
        _a(3, replacement="des services publics"),
        _a(8, replacement="Les services publics !"),
        _a(1, replacement="la gratuité"),
        _a(2, replacement="les services publics", block="I-1-1"),
        _a(4, replacement="les services publics", start=30, end=40),
    ]
    found = find_related(candidate, others)
    assert [(a.id, r) for a, r in found] == [
        (8, Relation.IDENTICAL),
        (3, Relation.SIMILAR),
        (1, Relation.OVERLAP),
        (9, Relation.OVERLAP),
    ]


@pytest.mark.parametrize(
    ("anchors", "expected"),
    [
        ([], []),
        ([_a(1)], []),
        # a chain: 1 overlaps 2, 2 overlaps 3, 1 does not overlap 3
        ([_a(3, start=18, end=30), _a(1, start=0, end=10), _a(2, start=8, end=20)], [[1, 2, 3]]),
        ([_a(1, start=0, end=10), _a(2, start=10, end=20)], []),
        # a point at the end of one span and the start of the next joins them
        ([_a(1, start=0, end=10), _a(2, start=10, end=10), _a(3, start=10, end=20)], [[1, 2, 3]]),
        ([_a(4, INSERT, 50, 50, ""), _a(2, INSERT, 50, 50, ""), _a(1, start=40, end=50)], [[2, 4]]),
        ([_a(7, start=0, end=5), _a(6, start=30, end=35), _a(5, DELETE, 0, 50, whole_block=True),
          _a(8, INSERT, 50, 50, "")], [[5, 6, 7]]),
        ([_a(1, block="A"), _a(2, block="B"), _a(3, block="A"), _a(4, block="B"), _a(5, block="C")],
         [[1, 3], [2, 4]]),
    ],
)  # fmt: skip
def test_clusters(anchors, expected):
    assert clusters(anchors) == expected


@pytest.mark.parametrize(
    ("anchors", "expected"),
    [
        ([], []),
        ([_a(3, start=18, end=30), _a(1, start=0, end=10), _a(2, start=8, end=20)], [(1, 2), (2, 3)]),
        ([_a(1, start=0, end=10), _a(2, start=10, end=20)], []),
        ([_a(4, INSERT, 50, 50, ""), _a(2, INSERT, 50, 50, ""), _a(1, start=40, end=50)], [(2, 4)]),
        ([_a(7, start=0, end=5), _a(6, start=30, end=35), _a(5, DELETE, 0, 50, whole_block=True)], [(5, 6), (5, 7)]),
        ([_a(1, block="A"), _a(2, block="B")], []),
    ],
)  # fmt: skip
def test_conflicts(anchors, expected):
    assert conflicts(anchors) == expected


def _random_anchors(count, blocks, seed):
    rng = random.Random(seed)
    anchors = []
    for i in range(1, count + 1):
        kind = rng.choice([MODIFY, MODIFY, MODIFY, DELETE, INSERT])
        if kind == INSERT:
            start = end = 300
        else:
            start = rng.randrange(300)
            end = (
                min(300, start + rng.choice([0, 1, 5, 20]))
                if kind == MODIFY
                else min(300, start + rng.randrange(1, 30))
            )
        anchors.append(
            Anchor(i, f"b{rng.randrange(blocks)}", kind, start, end, "", "x", kind == DELETE and rng.random() < 0.01)
        )
    return anchors


def _components_by_brute_force(anchors):
    parent = {a.id: a.id for a in anchors}

    def find(x):
        while parent[x] != x:
            x = parent[x]
        return x

    for i, a in enumerate(anchors):
        for b in anchors[i + 1 :]:
            if overlaps(a, b):
                parent[find(a.id)] = find(b.id)
    groups = {}
    for a in anchors:
        groups.setdefault(find(a.id), []).append(a.id)
    return sorted(sorted(g) for g in groups.values() if len(g) > 1)


@pytest.mark.parametrize("seed", range(5))
def test_clusters_and_conflicts_agree_with_overlaps(seed):
    anchors = _random_anchors(150, 6, seed)
    assert clusters(anchors) == _components_by_brute_force(anchors)
    pairs = [(a.id, b.id) for i, a in enumerate(anchors) for b in anchors[i + 1 :] if overlaps(a, b)]
    assert conflicts(anchors) == sorted(pairs)


def test_clusters_of_ten_thousand_anchors():
    anchors = _random_anchors(10_000, 400, 42)
    found = clusters(anchors)
    ids = [i for group in found for i in group]
    assert len(ids) == len(set(ids))
    assert all(len(group) >= 2 for group in found)


def test_anchor_of_a_change():
    change = compute_change(PARAGRAPH, PARAGRAPH.replace("soins", "droits"))
    anchor = anchor_of(3, "II-5-12", change)
    assert anchor == Anchor(3, "II-5-12", MODIFY, change.start, change.end, "soins", "droits")
