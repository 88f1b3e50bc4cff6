"""``wrap_acronyms``: escape first, then mark whole-word acronyms with <abbr title>."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from convention.texts.rendering import acronym_pattern, wrap_acronyms

GLOSSARY = {
    "IA": "Intelligence Artificielle",
    "CLSPD": "Conseils Locaux de Sécurité et de Prévention de la Délinquance",
    "CNCDH": "Commission nationale consultative des droits de l’homme",
    "OPJ": "Officier de Police Judiciaire",
}


def abbr(word: str) -> str:
    return f'<abbr title="{GLOSSARY[word]}">{word}</abbr>'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Les CLSPD sont utiles.", f"Les {abbr('CLSPD')} sont utiles."),
        ("L’usage de l’IA.", f"L’usage de l’{abbr('IA')}."),
        ("L'IA et les OPJ", f"L&#39;{abbr('IA')} et les {abbr('OPJ')}"),
        ("(CNCDH)", f"({abbr('CNCDH')})"),
        ("CLSPD-CISPD", f"{abbr('CLSPD')}-CISPD"),
        ("IA, IA.", f"{abbr('IA')}, {abbr('IA')}."),
        # Whole words only: inside a longer word, or in lower case, nothing is marked.
        ("VIA la CLSPDX", "VIA la CLSPDX"),
        ("une ia", "une ia"),
        ("IAs", "IAs"),
        ("", ""),
    ],
)
def test_acronyms_are_wrapped_as_whole_words(text, expected):
    result = wrap_acronyms(text, GLOSSARY)
    assert isinstance(result, Markup)
    assert str(result) == expected


def test_html_in_the_text_stays_escaped():
    result = str(wrap_acronyms('<script>alert("IA")</script> & <b>OPJ</b>', GLOSSARY))
    assert "<script>" not in result and "<b>" not in result
    assert result == (
        f"&lt;script&gt;alert(&#34;{abbr('IA')}&#34;)&lt;/script&gt; &amp; "
        f"&lt;b&gt;{abbr('OPJ')}&lt;/b&gt;"
    )


def test_the_title_attribute_is_escaped():
    result = str(wrap_acronyms("Le XSS", {"XSS": '"><script>x</script>'}))
    assert result == 'Le <abbr title="&#34;&gt;&lt;script&gt;x&lt;/script&gt;">XSS</abbr>'


def test_a_longer_acronym_wins_over_its_prefix():
    glossary = {"CSI": "Code de la sécurité intérieure", "CSIA": "Autre sigle"}
    assert str(wrap_acronyms("la CSIA", glossary)) == 'la <abbr title="Autre sigle">CSIA</abbr>'


def test_no_glossary_only_escapes():
    assert acronym_pattern([]) is None
    assert str(wrap_acronyms("a < b", {})) == "a &lt; b"


def test_escaped_entities_are_never_taken_for_acronyms():
    # "&#39;" and "&amp;" must not be broken by a (lower-case or numeric) match.
    result = str(wrap_acronyms("l'amp & 39", {"amp": "x", "39": "y"}))
    assert "&#39;" in result and "&amp;" in result
