"""Plain text as word processors save it (one paragraph per line), PDF extractions with their page
furniture, and the shared repairs (the seed's rules, generalised)."""

from __future__ import annotations

import pytest

from convention.domain.documents import import_document
from convention.domain.documents.repairs import (
    is_page_number,
    join_hyphenated,
    join_lines,
    noise_near_page_numbers,
    running_lines,
)
from convention.domain.textimport import one_paragraph_per_line, parse_plain

# A press article saved as « texte brut »: one paragraph per line, no blank line, short lines
# without final punctuation as subheadings.
ARTICLE = """\
La sécurité, une exigence républicaine
Les socialistes ont présenté samedi leur projet pour la sécurité du quotidien, fruit de huit mois de travail.
Le texte sera soumis aux amendements des fédérations avant le vote des militants au printemps.
Une police de proximité
La police de proximité, supprimée en 2003, doit être rétablie dans les quartiers qui en ont le plus besoin.
Les effectifs seront redéployés vers la voie publique plutôt que vers les tâches administratives.
Les socialistes proposent :
- Rétablir une police de proximité dans chaque quartier prioritaire.
- Recruter cinq mille policiers et gendarmes sur la durée du mandat.
Une justice plus rapide
Les délais de jugement seront réduits par des recrutements massifs.
Trois priorités sont fixées :
1. Recruter des greffiers.
2. Numériser les procédures.
3. Évaluer les résultats chaque année.
• Un point de vigilance sur les moyens.
La convention se tiendra au mois de juin.
"""


def test_one_paragraph_per_line_is_recognised_with_its_headings():
    assert one_paragraph_per_line(ARTICLE.split("\n"))
    parsed = import_document("article.txt", ARTICLE.encode())
    assert parsed.ok, parsed.errors
    assert parsed.format == "plain" and parsed.title == "La sécurité, une exigence républicaine"
    assert [(p.number, p.title) for p in parsed.parts] == [("", "")]
    chapters = parsed.parts[0].chapters
    assert [(c.number, c.title) for c in chapters] == [
        ("", ""),
        ("1", "Une police de proximité"),
        ("2", "Une justice plus rapide"),
    ]
    assert [b.kind for b in chapters[0].blocks] == ["paragraph", "paragraph"]
    assert [(b.kind, b.number) for b in chapters[1].blocks] == [
        ("paragraph", ""),
        ("paragraph", ""),
        ("paragraph", ""),
        ("proposal", "1"),
        ("proposal", "2"),
    ]
    assert [b.kind for b in chapters[2].blocks] == ["paragraph", "paragraph"] + ["list_item"] * 4 + ["paragraph"]
    assert chapters[2].blocks[2].text == "Recruter des greffiers."
    assert chapters[2].blocks[5].text == "Un point de vigilance sur les moyens."
    # Every line of the article is a block of its own: 54 lines never become one block again.
    assert len(parsed.blocks) == len(ARTICLE.strip().split("\n")) - 3


def test_a_wrapped_text_or_one_with_blank_lines_is_read_as_before():
    wrapped = "Un paragraphe coupé\nsur deux lignes.\nEt un autre qui\ncontinue ici.\nPuis un dernier\nqui finit.\n"
    assert not one_paragraph_per_line(wrapped.split("\n"))
    spaced = "Titre\n\nUn paragraphe.\n\nUn autre.\n\nEncore un.\n"
    assert not one_paragraph_per_line(spaced.split("\n"))
    assert len(parse_plain(wrapped).blocks) == 1  # no blank line: one paragraph, as the plain rules say


def test_plain_text_joins_words_cut_at_line_ends_but_keeps_compounds():
    parsed = parse_plain("La préven-\ntion en Île-de-\nFrance, c'est-\nà-dire partout.\n")
    assert parsed.blocks[0].text == "La prévention en Île-de-France, c'est-à-dire partout."
    assert dict(parsed.repairs) == {"hyphenations": 1}


def test_a_pdftotext_extraction_loses_its_footers_and_page_numbers():
    pages = [
        "Convention nationale — projet\n\nLa prévention de la délin-\nquance commence à l'école.\n\n"
        "Sécurité et prévention de la délinquance\n1\n",
        "Convention nationale — projet\n\nLes maires seront associés.\n\nSécurité et prévention de la délinquance\n2\n",
        "Convention nationale — projet\n\nLa justice sera plus rapide.\n\nSécurité et prévention de la délinquance\n3\n",
    ]
    parsed = import_document("extraction.txt", "\f".join(pages).encode())
    assert parsed.ok, parsed.errors
    assert [b.text for b in parsed.blocks] == [
        "La prévention de la délinquance commence à l'école.",
        "Les maires seront associés.",
        "La justice sera plus rapide.",
    ]
    assert dict(parsed.repairs) == {"page_numbers": 3, "footers": 6, "hyphenations": 1}
    assert "3 × numéro de page retiré" in "\n".join(parsed.report_lines())


def test_page_numbers_without_page_breaks_and_the_footer_beside_them():
    def body(page: str) -> list[str]:
        return [f"Ligne {word} de la page {page}." for word in "abcdefghij"]

    lines = [*body("un"), "Pied de page", "1", *body("deux"), "Pied de page", "2", *body("trois"), "Pied de page", "3"]
    numbers, footers = noise_near_page_numbers(lines)
    assert numbers == {11, 23, 35} and footers == {10, 22, 34}
    falling = [*body("un"), "12", *body("deux"), "3", *body("trois"), "7"]
    assert noise_near_page_numbers(falling) == (set(), set())  # not rising: not page numbers
    a_list = ["Étapes :", "1", "Recruter.", "2", "Former.", "3", "Évaluer."]
    assert noise_near_page_numbers(a_list) == (set(), set())  # a numbered list, not pages


@pytest.mark.parametrize(
    ("left", "right", "joined"),
    [
        ("la préven-", "tion", "la prévention"),
        ("la préven\u2010", "tion", "la prévention"),  # the layout engine's own hyphen
        ("l'ex\u00ad", "pression", "l'expression"),  # a soft hyphen
        ("en Île-de-", "France", "en Île-de-France"),
        ("c'est-", "à-dire", "c'est-à-dire"),
        ("l'ex-", "conjoint", "l'ex-conjoint"),
        ("le bien-", "être", "le bien-être"),
    ],
)
def test_join_hyphenated(left, right, joined):
    assert join_hyphenated(left, right) == joined


def test_join_lines_repairs_punctuation_and_spaces():
    assert join_lines(["Les maires , les préfets", "et les élus ( locaux ) ."]) == (
        "Les maires, les préfets et les élus (locaux)."
    )


@pytest.mark.parametrize("line", ["12", " - 12 - ", "Page 3", "page 3 sur 40", "3 / 40", "p. 7"])
def test_page_numbers(line):
    assert is_page_number(line)


@pytest.mark.parametrize("line", ["2024 : +11 %", "Les 12 propositions", "I.", "12 mesures"])
def test_not_page_numbers(line):
    assert not is_page_number(line)


def test_running_lines_need_half_the_pages():
    words = ["un", "deux", "trois", "quatre"]
    pages = [["Titre courant", f"Début {w}.", "Milieu.", f"Fin {w}.", f"Page {n}"] for n, w in enumerate(words, 1)]
    pages[3][0] = "Autre chose"
    assert running_lines(pages) == {"titre courant", "page #"}
    assert running_lines(pages[:1]) == set()
