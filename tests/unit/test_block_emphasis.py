"""Emphasis kept beside the plain text: bold and italic words as offsets, never as markers in the text.

The plain text is what amendments quote, count offsets in and cut into numbered lines: these
tests check that a document read with its emphasis gives exactly the words (and so the lines)
of the same document without it, and that the spans land on the emphasised words.
"""

from __future__ import annotations

import io

import pytest

from convention.amendments.rendering import numbered_lines
from convention.domain.documents import import_document
from convention.domain.documents.emphasis import (
    markdown_emphasis,
    remap_spans,
    runs_emphasis,
    valid_spans,
)
from convention.domain.textimport import (
    clean_inline,
    parse_markdown,
    parse_plain,
    parsed_from_dict,
    parsed_to_dict,
)
from convention.texts.rendering import EmphasizedLine, Piece, emphasized_lines

# (text, bold, italic) runs of the test document's paragraph; the joined words are the block's text.
RUNS = [
    ("La police de ", False, False),
    ("proximité", True, False),
    (" revient, ", False, False),
    ("nuancée", False, True),
    (" et ", False, False),
    ("résolue", True, True),
    (", dans chaque quartier.", False, False),
]
PARAGRAPH = "".join(text for text, _bold, _italic in RUNS)
ITEM_RUNS = [("Créer", True, False), (" une maison de la justice dans chaque ", False, False),
             ("département", False, True), (".", False, False)]  # fmt: skip
ITEM = "".join(text for text, _bold, _italic in ITEM_RUNS)


def words(text: str, spans) -> list[tuple[str, str]]:
    return [(text[start:end], kind) for start, end, kind in spans]


# --- the spans themselves ----------------------------------------------------------------------------


def test_runs_give_spans_over_their_joined_text_without_the_spaces_at_their_ends():
    spans = runs_emphasis([("Un ", False, False), (" gras ", True, False), ("et ", False, False),
                           ("penché", False, True), ("  ", True, True)])  # fmt: skip
    assert words("Un  gras et penché  ", spans) == [("gras", "strong"), ("penché", "em")]
    assert runs_emphasis([("rien", False, False)]) == ()


def test_bold_and_italic_runs_overlap_when_a_word_is_both():
    spans = runs_emphasis(RUNS)
    assert words(PARAGRAPH, spans) == [
        ("proximité", "strong"),
        ("nuancée", "em"),
        ("résolue", "em"),
        ("résolue", "strong"),
    ]


@pytest.mark.parametrize(
    "raw",
    [
        "Un **texte** et __gras__ ici.",
        r"Un \*faux\* gras et **un vrai \* dedans** puis *pas d'italique*.",
        "**Tout en gras**",
        "Rien de marqué.",
    ],
)
def test_markdown_emphasis_reads_the_words_clean_inline_keeps(raw):
    plain, spans = markdown_emphasis(raw)
    assert plain == clean_inline(raw)  # the block's text is today's, to the character
    for start, end, kind in spans:
        assert kind == "strong" and plain[start:end].strip() == plain[start:end]


def test_markdown_single_stars_stay_in_the_text_and_give_no_italic():
    plain, spans = markdown_emphasis("un *mot* et **deux mots**")
    assert plain == "un *mot* et deux mots"
    assert words(plain, spans) == [("deux mots", "strong")]


def test_remap_follows_collapsed_spaces_and_a_prefix_left_out():
    source = "-  Un   mot  gras ici"
    spans = ((8, 17, "strong"),)  # « mot  gras »
    assert source[8:17] == "mot  gras"
    assert words("Un mot gras ici", remap_spans(spans, source, "Un mot gras ici")) == [("mot gras", "strong")]


def test_remap_keeps_nothing_when_the_words_are_not_the_same():
    assert remap_spans(((0, 2, "em"),), "Un mot", "Deux mots") == ()
    assert remap_spans((), "Un mot", "Un mot") == ()


def test_only_well_formed_spans_are_kept():
    text = "Dix lettres"
    spans = [[0, 3, "strong"], [4, 11, "em"], [5, 4, "em"], [0, 12, "em"], [-1, 2, "em"], [0, 2, "bold"],
             ["0", 2, "em"], [True, 2, "em"], [1, 2], "xyz", None]  # fmt: skip
    assert valid_spans(spans, text) == ((0, 3, "strong"), (4, 11, "em"))
    assert valid_spans(None, text) == ()


# --- parsers ---------------------------------------------------------------------------------------


def test_a_markdown_import_keeps_its_bold_words_and_its_text():
    source = (
        "# Partie\n\n## Chapitre\n\nUn texte **très\nimportant** et __gras__, *pas* en italique.\n\n"
        "> Une **citation**.\n\nLes socialistes proposent :\n\n- **Créer** une police.\n"
    )
    parsed = parse_markdown(source)
    assert parsed.ok
    paragraph, quote, _intro, proposal = parsed.blocks
    assert paragraph.text == "Un texte très important et gras, *pas* en italique."
    assert words(paragraph.text, paragraph.emphasis) == [("très important", "strong"), ("gras", "strong")]
    assert words(quote.text, quote.emphasis) == [("citation", "strong")]
    assert proposal.kind == "proposal" and words(proposal.text, proposal.emphasis) == [("Créer", "strong")]


def test_a_plain_text_without_markers_has_no_emphasis():
    parsed = parse_plain("CHAPITRE UN\n\nUn paragraphe simple.\n\nUn autre paragraphe.\n")
    assert parsed.blocks and all(b.emphasis == () for b in parsed.blocks)


def _docx(formatted: bool) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("Première partie", level=1)
    document.add_heading("Un chapitre", level=2)
    paragraph = document.add_paragraph()
    for text, bold, italic in RUNS:
        run = paragraph.add_run(text)
        if formatted:
            run.bold, run.italic = bold or None, italic or None
    document.add_paragraph("Les socialistes proposent :")
    item = document.add_paragraph(style="List Bullet")
    for text, bold, italic in ITEM_RUNS:
        run = item.add_run(text)
        if formatted:
            run.bold, run.italic = bold or None, italic or None
    typed = document.add_paragraph("- Un élément ")
    typed.add_run("tapé").bold = formatted or None
    typed.add_run(" à la main.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _odt(formatted: bool) -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.style import Style, TextProperties
    from odf.text import H, List, ListItem, P, Span

    document = OpenDocumentText()
    styles = {}
    for name, bold, italic in (("G", True, False), ("I", False, True), ("GI", True, True)):
        style = Style(name=name, family="text")
        properties = {}
        if bold:
            properties["fontweight"] = "bold"
        if italic:
            properties["fontstyle"] = "italic"
        style.addElement(TextProperties(**properties))
        document.automaticstyles.addElement(style)
        styles[(bold, italic)] = style

    def runs_into(paragraph, runs):
        for text, bold, italic in runs:
            if formatted and (bold or italic):
                paragraph.addElement(Span(stylename=styles[(bold, italic)], text=text))
            else:
                paragraph.addText(text)

    document.text.addElement(H(outlinelevel=1, text="Première partie"))
    document.text.addElement(H(outlinelevel=2, text="Un chapitre"))
    paragraph = P()
    runs_into(paragraph, RUNS)
    document.text.addElement(paragraph)
    document.text.addElement(P(text="Les socialistes proposent :"))
    items = List()
    entry = ListItem()
    item = P()
    runs_into(item, ITEM_RUNS)
    entry.addElement(item)
    items.addElement(entry)
    document.text.addElement(items)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.mark.parametrize(("name", "build"), [("texte.docx", _docx), ("texte.odt", _odt)])
def test_a_document_keeps_its_emphasis_beside_the_same_words(name, build):
    plain = import_document(name, build(False))
    emphasised = import_document(name, build(True))
    assert plain.ok and emphasised.ok, (plain.errors, emphasised.errors)
    assert [(b.kind, b.text, b.number) for b in emphasised.blocks] == [(b.kind, b.text, b.number) for b in plain.blocks]
    assert all(b.emphasis == () for b in plain.blocks)
    paragraph, _intro, proposal, *rest = emphasised.blocks
    assert paragraph.text == PARAGRAPH
    assert words(paragraph.text, paragraph.emphasis) == [
        ("proximité", "strong"),
        ("nuancée", "em"),
        ("résolue", "em"),
        ("résolue", "strong"),
    ]
    assert proposal.kind == "proposal" and proposal.text == ITEM
    assert words(proposal.text, proposal.emphasis) == [("Créer", "strong"), ("département", "em")]
    if rest:  # the DOCX's « - Un élément tapé à la main. »: one more item of the list, without its dash
        (typed,) = rest
        assert typed.kind == "proposal" and typed.text == "Un élément tapé à la main."
        assert words(typed.text, typed.emphasis) == [("tapé", "strong")]


def test_the_preview_carries_the_emphasis_to_the_publication():
    parsed = import_document("texte.docx", _docx(True))
    data = parsed_to_dict(parsed)
    assert parsed_from_dict(data) == parsed
    # A preview stored before emphasis was kept (five values per block) is still read, without it.
    for part in data["parts"]:
        for chapter in part[3]:
            chapter[3] = [block[:5] for block in chapter[3]]
    assert all(b.emphasis == () for b in parsed_from_dict(data).blocks)


# --- the numbered lines ------------------------------------------------------------------------------


def test_lines_are_the_plain_texts_and_a_span_crossing_a_line_end_is_cut_per_line():
    text = "Un texte assez long pour que le gras passe à la ligne suivante sans rien changer."
    start = text.index("gras passe")
    end = text.index(" sans")
    lines = emphasized_lines(text, [[start, end, "strong"], [0, 2, "em"]], 30, 7)
    assert [(line.number, line.text) for line in lines] == [
        (line.number, line.text) for line in numbered_lines(text, 30, 7)
    ]
    assert lines[0] == EmphasizedLine(
        7, "Un texte assez long pour que", (Piece("Un", em=True), Piece(" texte assez long pour que"))
    )
    assert lines[1].pieces == (Piece("le "), Piece("gras passe à la ligne", strong=True))
    assert lines[2].pieces == (Piece("suivante", strong=True), Piece(" sans rien changer."))


def test_lines_without_emphasis_or_with_spaces_to_collapse():
    assert [line.pieces for line in emphasized_lines("Deux  mots", None, 80, 1)] == [(Piece("Deux mots"),)]
    lines = emphasized_lines("Deux  mots  ici", [[6, 10, "strong"]], 80, 1)
    assert lines[0].text == "Deux mots ici"
    assert lines[0].pieces == (Piece("Deux "), Piece("mots", strong=True), Piece(" ici"))
    # A stored span that does not fit the text is ignored, not shown on other words.
    assert emphasized_lines("Court", [[0, 40, "strong"]], 80, 1)[0].pieces == (Piece("Court"),)
