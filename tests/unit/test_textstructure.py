import pytest
from hypothesis import given
from hypothesis import strategies as st

from convention.domain.errors import IllegalTransition
from convention.domain.lifecycle import (
    CONTRIBUTION_TRANSITIONS,
    ContributionStatus,
    check_transition,
)
from convention.domain.textstructure import (
    line_of_offset,
    line_spans,
    normalize_space,
    number_lines,
    proposal_reference,
    roman,
    wrap,
)


@pytest.mark.parametrize(
    ("texts", "width", "expected"),
    [
        (["court"], 80, [(1, 1)]),
        (["a " * 50], 20, [(1, 5)]),
        (["un", "deux", "trois"], 80, [(1, 1), (2, 2), (3, 3)]),
        (["x" * 30, "mot " * 30], 40, [(1, 1), (2, 4)]),
        ([""], 80, [(1, 1)]),
    ],
)
def test_number_lines_counts_wrapped_lines_across_blocks(texts, width, expected):
    assert number_lines(texts, width) == expected


def test_number_lines_starts_where_asked():
    assert number_lines(["a", "b"], 80, first_line=10) == [(10, 10), (11, 11)]


def test_wrap_keeps_compounds_whole():
    lines = wrap("le bien-être des habitants d'Île-de-France", 12)
    assert lines == ["le bien-être", "des", "habitants", "d'Île-de-France"]


# --- the line rule ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ""),
        ("   ", ""),
        ("un  deux\ttrois\n\nquatre", "un deux trois quatre"),
        ("  au bord  ", "au bord"),
    ],
)
def test_normalize_space(text, expected):
    assert normalize_space(text) == expected


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        ("", 10, [""]),
        ("  \n ", 10, [""]),
        ("abc def", 7, ["abc def"]),  # exactly the width fits
        ("abc def", 6, ["abc", "def"]),
        ("abc  def\nghi", 7, ["abc def", "ghi"]),  # whitespace runs read as one space
        ("a anticonstitutionnellement b", 10, ["a", "anticonstitutionnellement", "b"]),
        ("anticonstitutionnellement", 5, ["anticonstitutionnellement"]),
        ("« Le droit », dit-il.", 12, ["« Le droit", "», dit-il."]),
    ],
)
def test_wrap_is_greedy_on_words(text, width, expected):
    assert wrap(text, width) == expected


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        ("", 10, [(0, 0)]),
        ("abc def", 6, [(0, 3), (4, 7)]),
        ("  abc   def ghi ", 7, [(0, 7), (8, 11)]),  # offsets in the normalized text "abc def ghi"
        ("a anticonstitutionnellement b", 10, [(0, 1), (2, 27), (28, 29)]),
    ],
)
def test_line_spans(text, width, expected):
    assert line_spans(text, width) == expected


@pytest.mark.parametrize(
    ("offset", "expected"),
    [(0, 0), (2, 0), (3, 0), (4, 1), (6, 1), (7, 1), (8, 2), (11, 2)],
)
def test_line_of_offset(offset, expected):
    # "abc def ghi" at width 3: "abc" [0, 3), "def" [4, 7), "ghi" [8, 11); 3 and 7 are the spaces between lines
    assert line_of_offset("abc def ghi", 3, offset) == expected


@pytest.mark.parametrize("offset", [-1, 12])
def test_line_of_offset_refuses_an_offset_outside_the_text(offset):
    with pytest.raises(ValueError):
        line_of_offset("abc def ghi", 3, offset)


def test_line_of_offset_of_an_empty_text():
    assert line_of_offset("", 80, 0) == 0


def test_a_width_below_one_is_refused():
    with pytest.raises(ValueError):
        wrap("abc", 0)


# Words of printable characters (including punctuation and accents), separated by any whitespace.
WORDS = st.lists(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1, max_size=15
    ).filter(lambda w: w.split() == [w]),
    max_size=40,
)
SEPARATORS = st.sampled_from([" ", "  ", "\n", "\t", " \n\n "])
WIDTHS = st.integers(min_value=1, max_value=60)


@st.composite
def texts(draw):
    words = draw(WORDS)
    out = draw(st.sampled_from(["", " ", "\n"]))
    for word in words:
        out += word + draw(SEPARATORS)
    return out


@given(texts(), WIDTHS)
def test_wrap_never_loses_or_reorders_a_word(text, width):
    assert " ".join(wrap(text, width)).split() == text.split()


@given(texts(), WIDTHS)
def test_lines_fit_unless_a_single_word(text, width):
    for line in wrap(text, width):
        assert len(line) <= width or len(line.split(" ")) == 1
        assert line == line.strip() and "  " not in line


@given(texts(), WIDTHS)
def test_wrap_is_greedy(text, width):
    lines = wrap(text, width)
    for line, following in zip(lines, lines[1:], strict=False):
        first_word = following.split(" ")[0]
        assert len(line) + 1 + len(first_word) > width


@given(texts(), WIDTHS)
def test_line_spans_agree_with_wrap(text, width):
    normalized = normalize_space(text)
    spans = line_spans(text, width)
    assert [normalized[start:end] for start, end in spans] == wrap(text, width)
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        assert start == end + 1 and normalized[end] == " "
    assert spans[-1][1] == len(normalized)


@given(texts(), WIDTHS, st.data())
def test_line_of_offset_agrees_with_line_spans(text, width, data):
    normalized = normalize_space(text)
    offset = data.draw(st.integers(min_value=0, max_value=len(normalized)))
    index = line_of_offset(text, width, offset)
    start, end = line_spans(text, width)[index]
    assert start <= offset <= end


@given(st.lists(texts(), min_size=1, max_size=10), WIDTHS, st.integers(min_value=1, max_value=5000))
def test_number_lines_spans_are_consecutive(blocks, width, first_line):
    spans = number_lines(blocks, width, first_line)
    assert spans[0][0] == first_line
    for (start, end), text in zip(spans, blocks, strict=True):
        assert end - start + 1 == len(wrap(text, width))
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        assert start == end + 1


@pytest.mark.parametrize(
    ("number", "expected"), [(1, "I"), (4, "IV"), (9, "IX"), (14, "XIV"), (40, "XL")]
)
def test_roman(number, expected):
    assert roman(number) == expected


def test_roman_refuses_zero():
    with pytest.raises(ValueError):
        roman(0)


@pytest.mark.parametrize(
    ("part", "chapter", "rank", "expected"),
    [("II", "5", 3, "II.5.3"), ("", "1", 2, "1.2"), ("I", "", 1, "I.1")],
)
def test_proposal_reference(part, chapter, rank, expected):
    assert proposal_reference(part, chapter, rank) == expected


ALL = list(ContributionStatus)


@pytest.mark.parametrize("source", ALL)
@pytest.mark.parametrize("target", ALL)
def test_contribution_transition_table(source, target):
    allowed = target in CONTRIBUTION_TRANSITIONS[source]
    if allowed:
        check_transition(CONTRIBUTION_TRANSITIONS, source, target, "contribution")
    else:
        with pytest.raises(IllegalTransition):
            check_transition(CONTRIBUTION_TRANSITIONS, source, target, "contribution")


def test_decisions_are_final():
    for final in (
        ContributionStatus.INTEGRATED,
        ContributionStatus.PARTIALLY_INTEGRATED,
        ContributionStatus.NOT_RETAINED,
        ContributionStatus.WITHDRAWN,
    ):
        assert CONTRIBUTION_TRANSITIONS[final] == frozenset()
