"""The pure helpers of the search: FTS5 query building and safe highlighting."""

from __future__ import annotations

import pytest

from convention.search.syntax import MARK_START, MARK_STOP, fts5_query, highlight, normalise_query


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("délinquance", '"delinquance"*'),
        ("propositions", '"proposition"*'),
        ("Travaux publics", '("travau"* AND "public"*)'),
        ('"police municipale"', '"police municipale"*'),
        ("police -armes", '"police"* NOT ("arme"*)'),
        ("police OR gendarmerie", '("police"* OR "gendarmerie"*)'),
        ("l’école", '"ecole"*'),
        ("de la", None),
        ('"" - OR', None),
        ('a"b*c)(NEAR', '"near"*'),
    ],
)
def test_fts5_query(query, expected):
    assert fts5_query(query) == expected


def test_normalise_query_drops_control_characters_and_sentinels():
    assert normalise_query(f"  a\x00b {MARK_START}c  ") == "a b c"
    assert len(normalise_query("x" * 500)) == 200


def test_highlight_escapes_everything_but_the_marks():
    raw = f"<script>alert(1)</script> la {MARK_START}délinquance{MARK_STOP} & {MARK_START}x"
    assert str(highlight(raw)) == (
        "&lt;script&gt;alert(1)&lt;/script&gt; la <mark>délinquance</mark> &amp; <mark>x</mark>"
    )
    assert str(highlight(f"{MARK_STOP}a{MARK_START}{MARK_START}b")) == "a<mark>b</mark>"
