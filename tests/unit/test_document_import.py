"""The importer of real documents: DOCX, ODT and PDF written by the tests themselves.

python-docx and odfpy write a DOCX and an ODT with a title, headings of two levels, paragraphs,
a bulleted list and « Les socialistes proposent : » lists; WeasyPrint prints the same content as
a justified, hyphenated PDF with a running footer and page numbers. The three must give the same
structure and the same words, with no footer, page number or broken hyphenation left.
"""

from __future__ import annotations

import io
import re

import pytest

from convention.domain.documents import import_document
from convention.domain.textimport import ParsedText

TITLE = "Convention nationale sur la sécurité et la prévention"
NBSP = "\u00a0"

# (part title, [(chapter title, [("p" | "ul" | "proposals", text or [items])])])
CONTENT = [
    (
        "Prévenir la délinquance dès l'enfance",
        [
            (
                "Les familles et l'école",
                [
                    (
                        "p",
                        "La prévention de la délinquance commence dès l'école maternelle, avec les familles, "
                        "les éducateurs spécialisés et les associations de quartier, c'est-à-dire avec tous "
                        "ceux qui connaissent les enfants et leurs difficultés. En Île-de-France comme dans les "
                        "départements ruraux, les établissements scolaires doivent travailler vis-à-vis des "
                        "familles avec une constance que les gouvernements successifs ont abandonnée.",
                    ),
                    (
                        "p",
                        "Le bien-être des enfants est une condition de leur réussite : les dispositifs "
                        "interministériels de soutien à la parentalité, aujourd'hui dispersés entre des "
                        "administrations concurrentes, seront regroupés et évalués chaque année par une "
                        "instance indépendante, qui rendra publiques ses conclusions et ses recommandations.",
                    ),
                    (
                        "ul",
                        [
                            "des médiateurs dans chaque collège des quartiers prioritaires ;",
                            "des internats d'excellence ouverts toute l'année ;",
                            "un accompagnement des familles monoparentales.",
                        ],
                    ),
                ],
            ),
            (
                "La vie des quartiers",
                [
                    ("p", f"Les socialistes proposent{NBSP}:"),
                    (
                        "proposals",
                        [
                            "Rétablir une police de proximité dans chaque quartier prioritaire.",
                            "Doubler les crédits des associations de prévention spécialisée.",
                            "Créer un conseil local de sécurité dans chaque intercommunalité.",
                        ],
                    ),
                    (
                        "p",
                        "Les maires disposent aujourd'hui de responsabilités considérables en matière de "
                        "tranquillité publique sans disposer des moyens correspondants ; la coproduction de "
                        "la sécurité suppose une contractualisation pluriannuelle entre l'État et les "
                        "collectivités territoriales, peut-être sous la forme de contrats départementaux.",
                    ),
                ],
            ),
        ],
    ),
    (
        "Une justice plus rapide et plus juste",
        [
            (
                "Les moyens de la justice",
                [
                    (
                        "p",
                        "Les délais de jugement sont devenus incompatibles avec une justice digne de ce nom : "
                        "plusieurs années s'écoulent parfois entre l'infraction et la décision, ce qui prive "
                        "la sanction de son sens pour l'auteur comme pour la victime. Les juridictions "
                        "manquent de greffiers, de magistrats et d'outils informatiques modernes.",
                    ),
                    ("p", f"Les socialistes proposent{NBSP}:"),
                    (
                        "proposals",
                        [
                            "Recruter deux mille greffiers et mille magistrats en cinq ans.",
                            "Généraliser la procédure numérique dans toutes les juridictions.",
                        ],
                    ),
                ],
            ),
            (
                "La justice des mineurs",
                [
                    (
                        "p",
                        "La justice des mineurs doit rester éducative avant d'être répressive. L'ordonnance "
                        "de 1945 a posé un principe que les réformes successives ont fragilisé : un enfant "
                        "qui commet une infraction est d'abord un enfant en danger, dont il faut comprendre "
                        "le parcours avant de décider de la réponse pénale la plus appropriée.",
                    ),
                    (
                        "p",
                        "Les centres éducatifs fermés, conçus comme une alternative à l'incarcération, "
                        "accueillent aujourd'hui des adolescents dont les situations sont extraordinairement "
                        "diverses ; leur encadrement pluridisciplinaire, leur implantation territoriale et "
                        "leurs résultats doivent être évalués de manière indépendante et transparente.",
                    ),
                    (
                        "p",
                        "Les mesures de réparation pénale, qui associent la victime lorsqu'elle le "
                        "souhaite, donnent des résultats encourageants partout où elles sont appliquées "
                        "avec des moyens suffisants ; elles seront développées sur l'ensemble du territoire "
                        "national, en métropole comme dans les outre-mer.",
                    ),
                ],
            ),
        ],
    ),
]

FOOTER = "Sécurité et prévention de la délinquance"


def expected_shape() -> list[tuple[str, str, list[tuple[str, str, list[str]]]]]:
    """(part number, part title, [(chapter number, chapter title, [block kinds])])."""
    shape = []
    for part_index, (part_title, chapters) in enumerate(CONTENT, start=1):
        rows = []
        for chapter_index, (chapter_title, blocks) in enumerate(chapters, start=1):
            kinds: list[str] = []
            for kind, value in blocks:
                if kind == "p":
                    kinds.append("paragraph")
                elif kind == "ul":
                    kinds.extend(["list_item"] * len(value))
                else:
                    kinds.extend(["proposal"] * len(value))
            rows.append((str(chapter_index), chapter_title, kinds))
        shape.append((["I", "II"][part_index - 1], part_title, rows))
    return shape


def expected_words() -> list[str]:
    words: list[str] = []
    for _part, chapters in CONTENT:
        for _chapter, blocks in chapters:
            for _kind, value in blocks:
                for text in [value] if isinstance(value, str) else value:
                    words.extend(text.split())
    return words


# --- the three documents ----------------------------------------------------------------------------


def build_docx(content=CONTENT, title: str = TITLE, extra=None) -> bytes:
    """The content as Word writes it: Title, Heading 1 and 2, List Bullet and List Number paragraphs."""
    import docx

    document = docx.Document()
    document.add_paragraph(title, style="Title")
    for part_title, chapters in content:
        document.add_heading(part_title, level=1)
        for chapter_title, blocks in chapters:
            document.add_heading(chapter_title, level=2)
            for kind, value in blocks:
                if kind == "p":
                    document.add_paragraph(value)
                else:
                    for item in value:
                        document.add_paragraph(item, style="List Bullet")
    if extra is not None:
        extra(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def build_odt(content=CONTENT, title: str = TITLE, extra=None) -> bytes:
    """The same content as LibreOffice writes it: a Title paragraph, text:h of levels 1 and 2, text:list."""
    from odf.opendocument import OpenDocumentText
    from odf.style import ListLevelProperties, Style
    from odf.text import H, List, ListItem, ListLevelStyleBullet, ListStyle, P

    document = OpenDocumentText()
    title_style = Style(name="Title", family="paragraph", displayname="Title")
    document.styles.addElement(title_style)
    bullets = ListStyle(name="Puces")
    level = ListLevelStyleBullet(level=1, bulletchar="•")
    level.addElement(ListLevelProperties(spacebefore="0.25in", minlabelwidth="0.25in"))
    bullets.addElement(level)
    document.automaticstyles.addElement(bullets)
    document.text.addElement(P(stylename=title_style, text=title))
    for part_title, chapters in content:
        document.text.addElement(H(outlinelevel=1, text=part_title))
        for chapter_title, blocks in chapters:
            document.text.addElement(H(outlinelevel=2, text=chapter_title))
            for kind, value in blocks:
                if kind == "p":
                    document.text.addElement(P(text=value))
                    continue
                items = List(stylename=bullets)
                for item in value:
                    entry = ListItem()
                    entry.addElement(P(text=item))
                    items.addElement(entry)
                document.text.addElement(items)
    if extra is not None:
        extra(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def content_html(content=CONTENT, title: str = TITLE) -> str:
    from html import escape

    body = [f'<h1 class="title">{escape(title)}</h1>']
    for part_title, chapters in content:
        body.append(f"<h2>{escape(part_title)}</h2>")
        for chapter_title, blocks in chapters:
            body.append(f"<h3>{escape(chapter_title)}</h3>")
            for kind, value in blocks:
                if kind == "p":
                    body.append(f"<p>{escape(value)}</p>")
                else:
                    body.append("<ul>" + "".join(f"<li>{escape(i)}</li>" for i in value) + "</ul>")
    return "\n".join(body)


PRINT_CSS = f"""
@page {{
  size: A5; margin: 18mm 16mm 22mm 16mm;
  @bottom-left {{ content: "{FOOTER}"; font-family: "DejaVu Sans"; font-size: 8pt; }}
  @bottom-right {{ content: counter(page); font-family: "DejaVu Sans"; font-size: 8pt; }}
}}
body {{ font-family: "DejaVu Serif"; font-size: 10.5pt; line-height: 1.35; text-align: justify; hyphens: auto; }}
h1.title {{ font-size: 20pt; text-align: left; }}
h2 {{ font-size: 15pt; text-align: left; }}
h3 {{ font-size: 12.5pt; text-align: left; }}
p, li {{ margin: 0 0 0.6em 0; }}
"""


def build_pdf(content=CONTENT, title: str = TITLE) -> bytes:
    """The same content printed: justified, hyphenated (French), a running footer and page numbers."""
    import weasyprint

    html = f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><style>{PRINT_CSS}</style></head>' \
           f"<body>{content_html(content, title)}</body></html>"  # fmt: skip
    return weasyprint.HTML(string=html).write_pdf()


@pytest.fixture(scope="module")
def documents() -> dict[str, bytes]:
    return {"projet.docx": build_docx(), "projet.odt": build_odt(), "projet.pdf": build_pdf()}


def shape(parsed: ParsedText):
    return [
        (p.number, p.title, [(c.number, c.title, [b.kind for b in c.blocks]) for c in p.chapters]) for p in parsed.parts
    ]


def words(parsed: ParsedText) -> list[str]:
    return [word for block in parsed.blocks for word in block.text.split()]


# --- the same structure and the same words in all three ----------------------------------------------


@pytest.mark.parametrize("name", ["projet.docx", "projet.odt", "projet.pdf"])
def test_each_format_gives_the_documents_structure(documents, name):
    parsed = import_document(name, documents[name])
    assert parsed.ok, parsed.errors
    assert parsed.format == name.rsplit(".", 1)[1]
    assert parsed.title == TITLE
    assert shape(parsed) == expected_shape()
    assert words(parsed) == expected_words()
    proposals = [b.text for b in parsed.blocks if b.kind == "proposal"]
    assert proposals[0] == "Rétablir une police de proximité dans chaque quartier prioritaire."
    assert [b.number for b in parsed.blocks if b.kind == "proposal"] == ["1", "2", "3", "1", "2"]


def test_the_three_formats_agree_block_by_block(documents):
    parsed = {name: import_document(name, data) for name, data in documents.items()}
    texts = {name: [(b.kind, b.text) for b in p.blocks] for name, p in parsed.items()}
    assert texts["projet.docx"] == texts["projet.odt"] == texts["projet.pdf"]


def raw_pdf_text(data: bytes) -> list[str]:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def test_the_pdf_loses_its_footer_page_numbers_and_hyphenation(documents):
    pages = raw_pdf_text(documents["projet.pdf"])
    # The printed document does have them: a footer and a number on every page, words cut by hyphens.
    assert len(pages) >= 3
    assert all(f"{FOOTER} {number}" in page for number, page in enumerate(pages, start=1))
    assert sum(page.count("\u2010\n") for page in pages) >= 5
    parsed = import_document("projet.pdf", documents["projet.pdf"])
    texts = [b.text for b in parsed.blocks] + [c.title for p in parsed.parts for c in p.chapters]
    assert not any(FOOTER in text for text in texts)
    assert not any(re.search(r"[\u2010\u00ad]|\w- \w", text) for text in texts)
    numbers = [word for text in texts for word in text.split() if re.fullmatch(r"\d+", word)]
    assert numbers == [word for word in expected_words() if word.isdigit()] == ["1945"]
    repairs = dict(parsed.repairs)
    assert repairs["footers"] == len(pages) and repairs["hyphenations"] >= 5
    # Real compounds cut at a line end keep their hyphen (the engine marks its own cuts with U+2010).
    assert "Île-de-France" in parsed.blocks[0].text and "c'est-à-dire" in parsed.blocks[0].text
    report = "\n".join(parsed.report_lines())
    assert "Lu comme PDF : 2 parties, 4 chapitres, 9 paragraphes, 3 éléments de liste, 5 propositions." in report
    assert "pied ou en-tête de page répété retiré" in report and "mot coupé en fin de ligne recollé" in report


HEADER_AND_NUMBERS_CSS = """
@page {
  size: A5; margin: 20mm 16mm 22mm 16mm;
  @top-center { content: "Parti socialiste — Convention nationale"; font-family: "DejaVu Sans"; font-size: 8pt; }
  @bottom-center { content: "- " counter(page) " -"; font-family: "DejaVu Sans"; font-size: 8pt; }
}
body { font-family: "DejaVu Sans"; font-size: 10pt; text-align: justify; hyphens: auto; }
h1.title { font-size: 19pt; } h2 { font-size: 14pt; } h3 { font-size: 11pt; font-weight: bold; }
p, li { margin: 0 0 0.5em 0; }
"""


def test_a_running_header_and_lone_page_numbers_are_dropped_too(monkeypatch):
    import tests.unit.test_document_import as module

    monkeypatch.setattr(module, "PRINT_CSS", HEADER_AND_NUMBERS_CSS)
    data = build_pdf()
    pages = raw_pdf_text(data)
    assert "Parti socialiste — Convention nationale" in pages[1] and "- 2 -" in pages[1]
    parsed = import_document("imprime.pdf", data)
    assert parsed.ok, parsed.errors
    assert shape(parsed) == expected_shape() and words(parsed) == expected_words()
    repairs = dict(parsed.repairs)
    assert repairs["footers"] == repairs["page_numbers"] == len(pages)


# --- what DOCX and ODT carry besides words -------------------------------------------------------------


def png(width: int = 2, height: int = 2) -> bytes:
    """A small grey PNG, written by hand (no imaging library needed)."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


PNG_1PX = png()


def _add_footnote(document, paragraph, text: str) -> None:
    """python-docx writes no footnotes: add the part and the call by hand, as Word does."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    xml = (
        f"<w:footnotes {nsdecls('w')}>"
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
        f'<w:footnote w:id="1"><w:p><w:r><w:footnoteRef/></w:r><w:r><w:t xml:space="preserve"> {text}</w:t></w:r>'
        "</w:p></w:footnote></w:footnotes>"
    )
    part = Part(
        PackURI("/word/footnotes.xml"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml",
        xml.encode(),
        document.part.package,
    )
    document.part.relate_to(part, RT.FOOTNOTES)
    paragraph._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:footnoteReference w:id="1"/></w:r>'))


def docx_extras(document) -> None:
    paragraph = document.add_paragraph("Un texte ")
    paragraph.add_run("important").bold = True
    paragraph.add_run(" et ")
    paragraph.add_run("nuancé").italic = True
    paragraph.add_run(" pour finir.")
    _add_footnote(document, paragraph, "Rapport de la Cour des comptes, 2023.")
    table = document.add_table(rows=2, cols=2)
    for row, values in zip(table.rows, (("Crédits", "2025"), ("Prévention", "12 M€")), strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.add_picture(io.BytesIO(PNG_1PX))
    document.add_paragraph("Première étape.", style="List Number")
    document.add_paragraph("Seconde étape.", style="List Number")
    document.add_paragraph("RECOMMANDATION N° 4")
    document.add_paragraph("Évaluer chaque année les dispositifs.")


def test_docx_keeps_emphasis_notes_tables_and_warns_about_images():
    parsed = import_document("extras.docx", build_docx(extra=docx_extras))
    assert parsed.ok, parsed.errors
    chapter = parsed.parts[-1].chapters[-1]
    kinds = [(b.kind, b.text) for b in chapter.blocks]
    assert ("paragraph", "Un texte important et nuancé pour finir.[1]") in kinds
    emphasised = next(b for b in chapter.blocks if b.text.startswith("Un texte"))
    assert emphasised.markdown == "Un texte **important** et *nuancé* pour finir.[1]"
    assert ("paragraph", "Crédits | 2025") in kinds and ("paragraph", "Prévention | 12 M€") in kinds
    assert ("list_item", "Première étape.") in kinds and ("list_item", "Seconde étape.") in kinds
    recommendation = next(b for b in chapter.blocks if b.kind == "recommendation")
    assert (recommendation.number, recommendation.text) == ("4", "Évaluer chaque année les dispositifs.")
    # The note is kept, at the end of its chapter, with its call number.
    assert chapter.blocks[-1].text == "[1] Rapport de la Cour des comptes, 2023."
    assert dict(parsed.repairs)["notes"] == 1
    warnings = [(w.where, w.message) for w in parsed.warnings]
    assert any(where.startswith("tableau 1") and "lu comme 2 paragraphe(s)" in m for where, m in warnings)
    assert any(where.startswith("paragraphe") and "image(s) ignorée(s)" in m for where, m in warnings)
    assert "1 note" in parsed.report_lines()[0]


def test_docx_headings_keep_the_numbers_of_words_automatic_numbering():
    def numbered(document) -> None:
        from docx.oxml import parse_xml
        from docx.oxml.ns import nsdecls

        numbering = document.part.numbering_part.element
        numbering.append(parse_xml(
            f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90">'
            '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="upperRoman"/><w:lvlText w:val="%1."/></w:lvl>'
            '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%2."/></w:lvl>'
            "</w:abstractNum>"
        ))  # fmt: skip
        numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))
        for paragraph in document.paragraphs:
            level = {"Heading 1": 0, "Heading 2": 1}.get(paragraph.style.name)
            if level is not None:
                ppr = paragraph._p.get_or_add_pPr()
                ppr.append(parse_xml(
                    f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="90"/></w:numPr>'
                ))  # fmt: skip

    content = [(f"Partie {n}", [(f"Chapitre {n}.{m}", [("p", "Un alinéa.")]) for m in (1, 2, 3)]) for n in (1, 2)]
    parsed = import_document("numerote.docx", build_docx(content, extra=numbered))
    assert parsed.ok, parsed.errors
    # Numbered as the document numbers them (chapters start again in each part).
    assert [(p.number, [c.number for c in p.chapters]) for p in parsed.parts] == [
        ("I", ["1", "2", "3"]),
        ("II", ["1", "2", "3"]),
    ]


def test_docx_tracked_deletions_are_not_read_and_insertions_are():
    def tracked(document) -> None:
        from docx.oxml import parse_xml
        from docx.oxml.ns import nsdecls

        paragraph = document.add_paragraph("Une phrase ")
        paragraph._p.append(parse_xml(
            f'<w:del {nsdecls("w")} w:id="1" w:author="A"><w:r><w:delText>supprimée</w:delText></w:r></w:del>'
        ))  # fmt: skip
        paragraph._p.append(parse_xml(
            f'<w:ins {nsdecls("w")} w:id="2" w:author="A"><w:r><w:t>ajoutée.</w:t></w:r></w:ins>'
        ))  # fmt: skip

    parsed = import_document("suivi.docx", build_docx(extra=tracked))
    assert parsed.blocks[-1].text == "Une phrase ajoutée."


def odt_extras(document) -> None:
    from odf.draw import Frame, Image
    from odf.style import Style, TextProperties
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import List, ListItem, ListLevelStyleNumber, ListStyle, Note, NoteBody, NoteCitation, P, Span

    bold = Style(name="Gras", family="text")
    bold.addElement(TextProperties(fontweight="bold"))
    italic = Style(name="Italique", family="text")
    italic.addElement(TextProperties(fontstyle="italic"))
    numbers = ListStyle(name="Numeros")
    numbers.addElement(ListLevelStyleNumber(level=1, numformat="1", numsuffix="."))
    for style in (bold, italic, numbers):
        document.automaticstyles.addElement(style)
    paragraph = P(text="Un texte ")
    paragraph.addElement(Span(stylename=bold, text="important"))
    paragraph.addText(" et ")
    paragraph.addElement(Span(stylename=italic, text="nuancé"))
    paragraph.addText(" pour finir.")
    note = Note(noteclass="footnote", id="ftn1")
    note.addElement(NoteCitation(text="1"))
    body = NoteBody()
    body.addElement(P(text="Rapport de la Cour des comptes, 2023."))
    note.addElement(body)
    paragraph.addElement(note)
    document.text.addElement(paragraph)
    table = Table(name="Crédits")
    table.addElement(TableColumn(numbercolumnsrepeated=2))
    for values in (("Crédits", "2025"), ("Prévention", "12 M€")):
        row = TableRow()
        for value in values:
            cell = TableCell()
            cell.addElement(P(text=value))
            row.addElement(cell)
        table.addElement(row)
    document.text.addElement(table)
    picture = P()
    frame = Frame(width="1cm", height="1cm", anchortype="as-char")
    frame.addElement(Image(href=document.addPicture("Pictures/point.png", "image/png", PNG_1PX)))
    picture.addElement(frame)
    document.text.addElement(picture)
    steps = List(stylename=numbers)
    for text in ("Première étape.", "Seconde étape."):
        item = ListItem()
        item.addElement(P(text=text))
        steps.addElement(item)
    document.text.addElement(steps)
    document.text.addElement(P(text="RECOMMANDATION N° 4"))
    document.text.addElement(P(text="Évaluer chaque année les dispositifs."))


def test_odt_keeps_emphasis_notes_tables_and_warns_about_images():
    parsed = import_document("extras.odt", build_odt(extra=odt_extras))
    assert parsed.ok, parsed.errors
    chapter = parsed.parts[-1].chapters[-1]
    kinds = [(b.kind, b.text) for b in chapter.blocks]
    emphasised = next(b for b in chapter.blocks if b.text.startswith("Un texte"))
    assert emphasised.text == "Un texte important et nuancé pour finir.[1]"
    assert emphasised.markdown == "Un texte **important** et *nuancé* pour finir.[1]"
    assert ("paragraph", "Crédits | 2025") in kinds and ("paragraph", "Prévention | 12 M€") in kinds
    assert ("list_item", "Première étape.") in kinds
    recommendation = next(b for b in chapter.blocks if b.kind == "recommendation")
    assert (recommendation.number, recommendation.text) == ("4", "Évaluer chaque année les dispositifs.")
    assert chapter.blocks[-1].text == "[1] Rapport de la Cour des comptes, 2023."
    warnings = [(w.where, w.message) for w in parsed.warnings]
    assert any(where.startswith("tableau 1") for where, _m in warnings)
    assert any("image(s) ignorée(s)" in m for _w, m in warnings)


# --- refusals: nothing is read, a French message says why ------------------------------------------------


def zip_with(members: dict[str, bytes], big: tuple[str, int] | None = None) -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        if big is not None:
            with archive.open(big[0], "w", force_zip64=True) as member:
                chunk = bytes(1 << 20)
                for _ in range(big[1] >> 20):
                    member.write(chunk)
    return out.getvalue()


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    """A DOCX holding 1 GiB of zeros, and one holding an archive that does."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(build_docx())) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    inner = zip_with({}, ("zeros.bin", 1 << 30))
    return {
        "member": zip_with(members, ("word/media/image1.png", 1 << 30)),
        "nested": zip_with({**members, "word/embeddings/archive.zip": inner}),
    }


def encrypted_pdf() -> bytes:
    """A PDF whose user password is not empty (its /U does not match the empty password)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        b"<< /Filter /Standard /V 1 /R 2 /P -44 /O <" + b"ab" * 32 + b"> /U <" + b"cd" * 32 + b"> >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Encrypt 4 0 R /ID [<{'0' * 32}> <{'0' * 32}>] >>\n".encode()
    )
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def encrypted_docx() -> bytes:
    """What Word writes for a DOCX with a password: an OLE file holding an « EncryptedPackage »."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "EncryptedPackage".encode("utf-16-le") + bytes(2048)


def encrypted_odt() -> bytes:
    manifest = (
        b'<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        b'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
        b'<manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="x"/>'
        b"</manifest:file-entry></manifest:manifest>"
    )
    return zip_with({"mimetype": b"application/vnd.oasis.opendocument.text", "META-INF/manifest.xml": manifest,
                     "content.xml": b"\x8f\x13 chiffr\xe9"})  # fmt: skip


REFUSALS = [
    ("vide.docx", lambda: b"", "le fichier est vide"),
    ("blanc.txt", lambda: b"  \n\n\t ", "le fichier est vide"),
    ("image.txt", lambda: PNG_1PX, "le fichier est binaire"),
    ("secret.docx", encrypted_docx, "protégé par un mot de passe"),
    ("secret.odt", encrypted_odt, "protégé par un mot de passe"),
    ("secret.pdf", encrypted_pdf, "protégé par un mot de passe"),
    ("ancien.doc", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096), "Word 97-2003"),
    ("tronque.docx", lambda: build_docx()[:3000], "est abîmé"),
    ("abime.pdf", lambda: b"%PDF-1.7\n1 0 obj << /Pages 9 0 R >>\ntrailer << >>\n%%EOF", "est abîmé"),
    ("archive.docx", lambda: zip_with({"a.txt": b"bonjour"}), "ni un DOCX ni un ODT"),
    ("faux.pdf", lambda: b"Un simple texte.", "n'est pas un PDF"),
    ("classeur.xlsx", lambda: zip_with({"xl/workbook.xml": b"<workbook/>"}), "classeur Excel"),
    ("scan.pdf", lambda: build_pdf_without_text(), "ne contient aucun texte"),
]


def build_pdf_without_text() -> bytes:
    import weasyprint

    return weasyprint.HTML(
        string='<html><body><div style="height:5cm;background:#000"></div></body></html>'
    ).write_pdf()


@pytest.mark.parametrize(("name", "make", "fragment"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_file_that_is_not_a_readable_text_is_refused_with_a_french_message(name, make, fragment):
    parsed = import_document(name, make())
    assert not parsed.ok and parsed.parts == ()
    assert len(parsed.errors) == 1 and fragment in parsed.errors[0].message, parsed.errors


@pytest.mark.parametrize("which", ["member", "nested"])
def test_a_zip_bomb_inside_a_docx_is_refused_without_being_decompressed(bombs, which):
    import time

    started = time.perf_counter()
    parsed = import_document("bombe.docx", bombs[which])
    assert time.perf_counter() - started < 5  # checked from the archive's table, not by inflating 1 GiB
    assert not parsed.ok and parsed.parts == ()
    message = parsed.errors[0].message
    assert "bombe.docx" in message and "refusé" in message and "Go" in message


def test_a_document_without_headings_is_one_chapter_with_a_warning():
    parsed = import_document("plat.docx", build_docx([("", [("", [("p", "Un alinéa."), ("p", "Un autre.")])])]))
    assert parsed.ok and [len(c.blocks) for p in parsed.parts for c in p.chapters] == [2]
    assert any("aucun paragraphe n'a un style de titre" in w.message for w in parsed.warnings)


def test_a_document_misnamed_is_read_by_its_content_with_a_warning(documents):
    parsed = import_document("projet.txt", documents["projet.docx"])
    assert parsed.ok and parsed.format == "docx" and shape(parsed) == expected_shape()
    assert any("en réalité un document Word (DOCX)" in w.message for w in parsed.warnings)
