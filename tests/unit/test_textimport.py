"""The pure text parser: Markdown and plain text to parts, chapters and blocks, with errors."""

from __future__ import annotations

import pytest

from convention.domain.textimport import (
    TextIssue,
    block_anchor,
    chapter_anchor,
    decode_document,
    format_issue,
    guess_format,
    parse_bytes,
    parse_document,
    parse_markdown,
    parse_plain,
)

MARKDOWN = """\
# I. Une police républicaine

Introduction de la partie,
sur deux lignes.

## 1. Fidéliser les forces

### Un intertitre

Les socialistes proposent :

- Assurer une juste rémunération
  pour fidéliser.
- Améliorer les **conditions** de travail.
  - un sous-point
* Concevoir un accompagnement.

Un paragraphe après.

RECOMMANDATION N° 1
Réorienter les politiques publiques.

## Autre chapitre

- simple puce
1. liste numérotée

> une citation

# II. Deuxième partie

## Seul chapitre

Texte.
"""


def shape(parsed):
    return [
        (
            p.number,
            p.title,
            [(c.number, c.title, [(b.kind, b.number) for b in c.blocks]) for c in p.chapters],
        )
        for p in parsed.parts
    ]


def test_markdown_structure():
    parsed = parse_markdown(MARKDOWN)
    assert parsed.errors == ()
    assert shape(parsed) == [
        (
            "I",
            "Une police républicaine",
            [
                ("", "", [("paragraph", "")]),
                (
                    "1",
                    "Fidéliser les forces",
                    [
                        ("subheading", ""),
                        ("paragraph", ""),
                        ("proposal", "1"),
                        ("proposal", "2"),
                        ("list_item", ""),
                        ("proposal", "3"),
                        ("paragraph", ""),
                        ("recommendation", "1"),
                    ],
                ),
                # chapter 1 gave its number: the others are not numbered for it
                ("", "Autre chapitre", [("list_item", ""), ("list_item", ""), ("quote", "")]),
            ],
        ),
        ("II", "Deuxième partie", [("1", "Seul chapitre", [("paragraph", "")])]),
    ]


def test_markdown_texts_are_joined_and_cleaned():
    parsed = parse_markdown(MARKDOWN)
    first, chapter = parsed.parts[0].chapters[0], parsed.parts[0].chapters[1]
    assert first.blocks[0].text == "Introduction de la partie, sur deux lignes."
    assert first.blocks[0].line == 3
    assert chapter.blocks[2].text == "Assurer une juste rémunération pour fidéliser."
    assert chapter.blocks[3].text == "Améliorer les conditions de travail."
    assert chapter.blocks[7].text == "Réorienter les politiques publiques."
    assert parsed.count("proposal") == 3
    assert parsed.count("recommendation") == 1


def test_setext_headings():
    parsed = parse_markdown("Partie\n======\n\nChapitre\n--------\n\nTexte.\n")
    assert shape(parsed) == [("I", "Partie", [("1", "Chapitre", [("paragraph", "")])])]


def test_recommendation_text_after_a_blank_line():
    parsed = parse_markdown("## Titre\n\n**RECOMMANDATION N° 4**\n\nÉvaluer la relation.\n")
    block = parsed.parts[0].chapters[0].blocks[0]
    assert (block.kind, block.number, block.text) == ("recommendation", "4", "Évaluer la relation.")


PLAIN = """\
POURQUOI UNE CONVENTION

Un premier paragraphe
sur deux lignes.

1 _ PREMIER CHAPITRE
Les socialistes proposent :
•  Assurer une juste rémunération
   pour fidéliser.
•  Améliorer les conditions.

2. Deuxième chapitre

Texte simple.
RECOMMANDATION N° 2
Rétablir une police de proximité.
"""


def test_plain_text_headings_numbers_and_blocks():
    parsed = parse_plain(PLAIN)
    chapters = parsed.parts[0].chapters
    titles = [c.title for c in chapters]
    assert titles == ["POURQUOI UNE CONVENTION", "PREMIER CHAPITRE", "Deuxième chapitre"]
    assert [c.number for c in chapters] == ["", "1", "2"]  # numbered headings: no auto numbers
    assert [b.kind for b in chapters[0].blocks] == ["paragraph"]
    assert chapters[0].blocks[0].text == "Un premier paragraphe sur deux lignes."
    assert [(b.kind, b.number) for b in chapters[1].blocks] == [
        ("paragraph", ""),
        ("proposal", "1"),
        ("proposal", "2"),
    ]
    assert chapters[1].blocks[1].text == "Assurer une juste rémunération pour fidéliser."
    assert [(b.kind, b.number) for b in chapters[2].blocks] == [
        ("paragraph", ""),
        ("recommendation", "2"),
    ]


def test_unnumbered_headings_are_numbered_in_order():
    parsed = parse_plain("INTRODUCTION\n\nA.\n\nLE CONSTAT\n\nB.\n")
    assert [(c.number, c.title) for c in parsed.parts[0].chapters] == [
        ("1", "INTRODUCTION"),
        ("2", "LE CONSTAT"),
    ]


def test_plain_text_capitals_title_over_two_lines():
    parsed = parse_plain("LA SINGULARITÉ DU PARTI\nAU SEIN DES ALLIANCES\n\nTexte.\n")
    assert [c.title for c in parsed.parts[0].chapters] == [
        "LA SINGULARITÉ DU PARTI AU SEIN DES ALLIANCES"
    ]


def test_plain_text_parts():
    parsed = parse_plain("PARTIE I : Constat\n\nTexte un.\n\nII - Propositions\n\nTexte deux.\n")
    assert [(p.number, p.title) for p in parsed.parts] == [("I", "Constat"), ("II", "Propositions")]


def test_text_without_headings_is_one_chapter():
    parsed = parse_document("Un seul paragraphe.\n\nEt un second.\n")
    assert parsed.errors == ()
    assert shape(parsed) == [("", "", [("", "", [("paragraph", ""), ("paragraph", "")])])]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "# Partie\n\n## Chapitre\n\nLes socialistes proposent :\n\nUn paragraphe.\n",
            (5, "proposition"),
        ),
        ("# Partie\n\nTexte.\n\n## Chapitre vide\n\n## Autre\n\nTexte.\n", (5, "aucun texte")),
        ("# Partie vide\n# Autre\n\nTexte.\n", (1, "aucun texte")),
        ("# \n\nTexte.\n", (1, "titre de partie vide")),
        ("## 1. Un\n\nA.\n\n## 1. Deux\n\nB.\n", (5, "deux fois")),
        ("## Un\n\nRECOMMANDATION N° 1\nA.\n\nRECOMMANDATION N° 1\nB.\n", (6, "deux fois")),
        ("## Un\n\nRECOMMANDATION N° 3\n## Deux\n\nB.\n", (3, "pas de texte")),
        ("## Un\n\nTexte \x07 sonore.\n", (3, "caractère de contrôle")),
        ("# Partie\n\n## Chapitre\n", (3, "aucun texte")),
        ("---\n\n***\n", (0, "le document ne contient aucun texte")),
    ],
)
def test_errors_carry_their_line(source: str, expected: tuple[int, str]):
    parsed = parse_markdown(source)
    line, fragment = expected
    assert not parsed.ok
    assert any(e.line == line and fragment in e.message for e in parsed.errors), parsed.errors


def test_every_bad_line_is_reported():
    source = "## Un\n\nA.\n\n## Deux\n\n## Trois\n\nLes socialistes proposent :\n\nB.\n"
    lines = [e.line for e in parse_markdown(source).errors]
    assert lines == [5, 9]


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "vide"),
        (b"   \n\n", "vide"),
        (b"\xef\xbb\xbf\n", "vide"),
        (b"PK\x03\x04\x00\x00binaire", "binaire (octet nul à la position 4, ligne 1)"),
        (b"ligne un\nd\xe9j\xe0\n", "octet 0xE9 invalide à la position 10 (ligne 2)"),
    ],
)
def test_decoding_refuses_bad_files(data: bytes, fragment: str):
    text, errors = decode_document(data)
    assert text is None
    assert len(errors) == 1 and fragment in errors[0].message
    parsed = parse_bytes(data)
    assert parsed.parts == () and not parsed.ok


def test_decoding_accepts_bom_and_crlf():
    text, errors = decode_document("\ufeff# Titre\r\n\r\nTexte\r\n".encode())
    assert errors == []
    assert text == "# Titre\n\nTexte\n"


@pytest.mark.parametrize(
    ("text", "filename", "expected"),
    [
        ("Texte", "a.md", "markdown"),
        ("# Titre", "a.txt", "plain"),
        ("# Titre\n\nTexte", "", "markdown"),
        ("TITRE\n\nTexte", "", "plain"),
    ],
)
def test_guess_format(text: str, filename: str, expected: str):
    assert guess_format(text, filename) == expected


def test_anchors_and_issue_format():
    assert chapter_anchor("II", 2, "5", 5) == "II-5"
    assert chapter_anchor("", 1, "", 3) == "p1-c3"
    assert block_anchor("II-5", 12) == "II-5-12"
    assert format_issue(TextIssue(14, "problème.")) == "ligne 14 : problème."
    assert format_issue(TextIssue(0, "le fichier est vide.")) == "le fichier est vide."
