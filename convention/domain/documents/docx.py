"""Read a Word document (DOCX) into elements: headings, paragraphs, lists, notes, tables.

Pure Python (python-docx and its lxml tree). Headings are paragraphs whose style (or direct
formatting) gives an outline level — Word's « Titre 1 », « Titre 2 » and LibreOffice's
« Heading 1 » alike — and the « Titre » style is the document's title. A heading numbered by
Word's automatic numbering keeps that number (« II », « 3 »). Lists are the paragraphs with a
numbering (bulleted or numbered), at their level. Bold and italic runs are kept as Markdown;
a footnote or endnote call becomes « [n] » and its text a note. Tracked insertions are read,
tracked deletions are not. Tables are read row by row as paragraphs and images are dropped,
each with a warning that says where.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from lxml import etree

from convention.domain.documents.emphasis import Span, runs_emphasis
from convention.domain.textimport import Element, TextIssue

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
HEADING_NAME = re.compile(r"^(?:heading|titre)\s*(\d)$", re.IGNORECASE)
TITLE_NAMES = frozenset({"title", "titre"})
IMAGE_TAGS = frozenset({qn("w:drawing"), qn("w:pict"), qn("w:object")})
# Subtrees whose text is not the document's words.
SKIPPED = frozenset(
    {
        qn("w:del"),
        qn("w:moveFrom"),
        qn("w:delText"),
        qn("w:instrText"),
        qn("w:rPr"),
        qn("w:pPr"),
        qn("w:commentReference"),
        MC_FALLBACK,
    }
)


def _val(element, path: str) -> str | None:
    found = element.find(path) if element is not None else None
    return found.get(qn("w:val")) if found is not None else None


def _on(element) -> bool:
    """A toggle property (``<w:b/>``, ``<w:i w:val="0"/>``): on unless its value says off."""
    return element is not None and element.get(qn("w:val"), "true").lower() not in ("0", "false", "off", "none")


@dataclass
class _Style:
    name: str = ""
    based_on: str | None = None
    outline: int | None = None  # 0 = the highest level
    num_id: str | None = None
    ilvl: int | None = None
    bold: bool | None = None
    italic: bool | None = None


def _styles(document) -> dict[str, _Style]:
    styles: dict[str, _Style] = {}
    try:
        root = document.part.styles.element
    except (KeyError, NotImplementedError):  # pragma: no cover - python-docx adds default styles
        return styles
    for element in root.findall(qn("w:style")):
        style = _Style(name=(_val(element, qn("w:name")) or "").strip(), based_on=_val(element, qn("w:basedOn")))
        ppr = element.find(qn("w:pPr"))
        if ppr is not None:
            outline = _val(ppr, qn("w:outlineLvl"))
            style.outline = int(outline) if outline and outline.isdigit() else None
            num = ppr.find(qn("w:numPr"))
            if num is not None:
                style.num_id = _val(num, qn("w:numId"))
                ilvl = _val(num, qn("w:ilvl"))
                style.ilvl = int(ilvl) if ilvl and ilvl.isdigit() else None
        rpr = element.find(qn("w:rPr"))
        if rpr is not None:
            if rpr.find(qn("w:b")) is not None:
                style.bold = _on(rpr.find(qn("w:b")))
            if rpr.find(qn("w:i")) is not None:
                style.italic = _on(rpr.find(qn("w:i")))
        styles[element.get(qn("w:styleId"), "")] = style
    return styles


def _inherited(styles: dict[str, _Style], style_id: str | None, attribute: str):
    seen: set[str] = set()
    while style_id and style_id in styles and style_id not in seen:
        seen.add(style_id)
        value = getattr(styles[style_id], attribute)
        if value is not None:
            return value
        style_id = styles[style_id].based_on
    return None


@dataclass
class _Level:
    fmt: str = "decimal"
    start: int = 1


@dataclass
class _Numbering:
    """Word's list definitions and the counters that number the paragraphs in reading order."""

    abstract_of: dict[str, str] = field(default_factory=dict)
    levels: dict[str, dict[int, _Level]] = field(default_factory=dict)
    counters: dict[str, dict[int, int]] = field(default_factory=dict)

    @classmethod
    def of(cls, document) -> _Numbering:
        numbering = cls()
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError):  # pragma: no cover
            return numbering
        for abstract in root.findall(qn("w:abstractNum")):
            levels = {}
            for lvl in abstract.findall(qn("w:lvl")):
                start = _val(lvl, qn("w:start"))
                levels[int(lvl.get(qn("w:ilvl"), "0"))] = _Level(
                    fmt=_val(lvl, qn("w:numFmt")) or "decimal", start=int(start) if start and start.isdigit() else 1
                )
            numbering.levels[abstract.get(qn("w:abstractNumId"), "")] = levels
        for num in root.findall(qn("w:num")):
            numbering.abstract_of[num.get(qn("w:numId"), "")] = _val(num, qn("w:abstractNumId")) or ""
        return numbering

    def level(self, num_id: str, ilvl: int) -> _Level | None:
        return self.levels.get(self.abstract_of.get(num_id, ""), {}).get(ilvl)

    def is_bullet(self, num_id: str, ilvl: int) -> bool:
        level = self.level(num_id, ilvl)
        return level is None or level.fmt in ("bullet", "none")

    def next(self, num_id: str, ilvl: int) -> str:
        """The number of the next paragraph of this list at this level (deeper levels start again)."""
        key = self.abstract_of.get(num_id, num_id)
        counters = self.counters.setdefault(key, {})
        level = self.level(num_id, ilvl) or _Level()
        counters[ilvl] = counters.get(ilvl, level.start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        return format_number(counters[ilvl], level.fmt)


def format_number(value: int, fmt: str) -> str:
    """Word's ``numFmt`` (decimal, upperRoman, lowerLetter…) applied to ``value``."""
    from convention.domain.textstructure import roman

    if fmt in ("upperRoman", "lowerRoman"):
        text = roman(value)
        return text if fmt == "upperRoman" else text.lower()
    if fmt in ("upperLetter", "lowerLetter"):
        letters = ""
        while value > 0:
            value, rest = divmod(value - 1, 26)
            letters = chr(ord("A") + rest) + letters
        return letters if fmt == "upperLetter" else letters.lower()
    return str(value)


def _notes(document, relationship: str, tag: str) -> dict[str, etree._Element]:
    """id → the ``w:footnote`` (or ``w:endnote``) element, separators left out."""
    notes = {}
    for rel in document.part.rels.values():
        if rel.reltype != relationship or rel.is_external:
            continue
        root = etree.fromstring(rel.target_part.blob, parser=etree.XMLParser(resolve_entities=False))
        for note in root.findall(qn(tag)):
            if note.get(qn("w:type")) in (None, "normal"):
                notes[note.get(qn("w:id"), "")] = note
    return notes


class _Reader:
    def __init__(self, document) -> None:
        self.document = document
        self.styles = _styles(document)
        self.numbering = _Numbering.of(document)
        self.footnotes = _notes(document, RT.FOOTNOTES, "w:footnote")
        self.endnotes = _notes(document, RT.ENDNOTES, "w:endnote")
        self.elements: list[Element] = []
        self.warnings: list[TextIssue] = []
        self.paragraphs = 0
        self.tables = 0
        self.notes = 0
        self.pending_notes: list[Element] = []

    # text of a paragraph ---------------------------------------------------------------------

    def runs(self, paragraph, style_id: str | None) -> tuple[str, str, int, list[Element], tuple[Span, ...]]:
        """(plain text, Markdown, images, notes called, emphasis spans over the plain text) of a paragraph."""
        plain: list[str] = []
        marked: list[tuple[str, bool, bool]] = []
        images = 0
        notes: list[Element] = []
        base_bold = bool(_inherited(self.styles, style_id, "bold"))
        base_italic = bool(_inherited(self.styles, style_id, "italic"))

        def run_format(run) -> tuple[bool, bool]:
            rpr = run.find(qn("w:rPr"))
            bold, italic = base_bold, base_italic
            if rpr is not None:
                char_style = _val(rpr, qn("w:rStyle"))
                if char_style:
                    bold = bool(_inherited(self.styles, char_style, "bold")) or bold
                    italic = bool(_inherited(self.styles, char_style, "italic")) or italic
                if rpr.find(qn("w:b")) is not None:
                    bold = _on(rpr.find(qn("w:b")))
                if rpr.find(qn("w:i")) is not None:
                    italic = _on(rpr.find(qn("w:i")))
            return bold, italic

        def emit(text: str, fmt: tuple[bool, bool]) -> None:
            plain.append(text)
            marked.append((text, *fmt))

        def walk(node, fmt: tuple[bool, bool]) -> None:
            nonlocal images
            for child in node:
                tag = child.tag
                if not isinstance(tag, str) or tag in SKIPPED:
                    continue
                if tag == qn("w:r"):
                    walk(child, run_format(child))
                elif tag == qn("w:t"):
                    emit(child.text or "", fmt)
                elif tag in (qn("w:tab"), qn("w:br"), qn("w:cr")):
                    emit(" ", fmt)
                elif tag == qn("w:noBreakHyphen"):
                    emit("-", fmt)
                elif tag in (qn("w:footnoteReference"), qn("w:endnoteReference")):
                    notes_of = self.footnotes if tag == qn("w:footnoteReference") else self.endnotes
                    note = notes_of.get(child.get(qn("w:id"), ""))
                    if note is not None:
                        self.notes += 1
                        emit(f"[{self.notes}]", (False, False))
                        text = " ".join(self.plain_of(note).split())
                        notes.append(Element("note", text, number=str(self.notes)))
                elif tag in IMAGE_TAGS:
                    images += 1
                elif tag == qn("w:txbxContent"):
                    continue
                else:
                    walk(child, fmt)

        walk(paragraph, (base_bold, base_italic))
        return "".join(plain), runs_markdown(marked), images, notes, runs_emphasis(marked)

    def plain_of(self, element) -> str:
        """The words of a note or a table cell (its paragraphs, one after the other)."""
        texts = []
        for paragraph in element.iter(qn("w:p")):
            text, _markdown_text, _images, _notes, _emphasis = self.runs(paragraph, None)
            texts.append(text)
        return " ".join(t for t in texts if t.strip())

    # structure -------------------------------------------------------------------------------

    def where(self, text: str) -> str:
        words = " ".join(text.split())
        snippet = words if len(words) <= 40 else words[:40].rstrip() + "…"
        return f"paragraphe {self.paragraphs}" + (f" (« {snippet} »)" if snippet else "")

    def paragraph(self, paragraph) -> None:
        self.paragraphs += 1
        ppr = paragraph.find(qn("w:pPr"))
        style_id = _val(ppr, qn("w:pStyle")) if ppr is not None else None
        text, markdown, images, notes, emphasis = self.runs(paragraph, style_id)
        where = self.where(text)
        if images:
            self.warnings.append(TextIssue(0, f"{images} image(s) ignorée(s) : seul le texte est importé.", where))
        name = (_inherited(self.styles, style_id, "name") or "") if style_id else ""
        own_name = self.styles[style_id].name if style_id in self.styles else ""
        outline = _val(ppr, qn("w:outlineLvl")) if ppr is not None else None
        level = int(outline) if outline and outline.isdigit() else _inherited(self.styles, style_id, "outline")
        heading = HEADING_NAME.match(own_name or name)
        if level is None and heading:
            level = int(heading.group(1)) - 1
        num_id, ilvl = self.list_of(ppr, style_id)
        if not text.strip():
            if num_id:  # an empty list paragraph still counts in Word's numbering
                self.numbering.next(num_id, ilvl)
            return
        markdown = markdown if markdown != text else ""
        emphasis = emphasis if markdown else ()
        if (own_name or name).lower() in TITLE_NAMES:
            self.elements.append(Element("title", text, where=where))
        elif level is not None and level < 9:
            number = self.numbering.next(num_id, ilvl) if num_id and not self.numbering.is_bullet(num_id, ilvl) else ""
            self.elements.append(Element("heading", text, level=level + 1, number=number, where=where))
        elif num_id:
            ordered = not self.numbering.is_bullet(num_id, ilvl)
            if ordered:
                self.numbering.next(num_id, ilvl)
            self.elements.append(
                Element("item", text, markdown, level=ilvl, ordered=ordered, where=where, emphasis=emphasis)
            )
        else:
            self.elements.append(Element("paragraph", text, markdown, where=where, emphasis=emphasis))
        for note in notes:
            self.elements.append(Element("note", note.text, number=note.number, where=where))

    def list_of(self, ppr, style_id: str | None) -> tuple[str | None, int]:
        num = ppr.find(qn("w:numPr")) if ppr is not None else None
        num_id = _val(num, qn("w:numId")) if num is not None else None
        ilvl_text = _val(num, qn("w:ilvl")) if num is not None else None
        if num_id is None:
            num_id = _inherited(self.styles, style_id, "num_id")
        ilvl = int(ilvl_text) if ilvl_text and ilvl_text.isdigit() else _inherited(self.styles, style_id, "ilvl") or 0
        if not num_id or num_id == "0":
            return None, 0
        return num_id, ilvl

    def table(self, table) -> None:
        self.tables += 1
        rows = 0
        first = self.paragraphs + 1
        for row in table.iter(qn("w:tr")):
            cells = []
            for cell in row.findall(qn("w:tc")):
                self.paragraphs += sum(1 for _ in cell.iter(qn("w:p")))
                cells.append(" ".join(self.plain_of(cell).split()))
            text = " | ".join(c for c in cells if c)
            if text:
                rows += 1
                self.elements.append(Element("row", text, where=f"tableau {self.tables}, ligne {rows}"))
        self.warnings.append(
            TextIssue(
                0,
                f"tableau de {rows} ligne(s) lu comme {rows} paragraphe(s), cellules séparées par « | » : "
                "vérifiez-les dans l'aperçu.",
                f"tableau {self.tables} (paragraphe {first})",
            )
        )

    def body(self, container) -> None:
        for child in container:
            if child.tag == qn("w:p"):
                self.paragraph(child)
            elif child.tag == qn("w:tbl"):
                self.table(child)
            elif child.tag == qn("w:sdt"):
                content = child.find(qn("w:sdtContent"))
                if content is not None:
                    self.body(content)
            elif child.tag in (qn("w:ins"), qn("w:customXml")):
                self.body(child)


def runs_markdown(pieces: list[tuple[str, bool, bool]]) -> str:
    """Runs with their emphasis as Markdown: ``**gras**``, ``*italique*`` (spaces kept outside)."""
    merged: list[list] = []
    for text, bold, italic in pieces:
        if merged and merged[-1][1:] == [bold, italic]:
            merged[-1][0] += text
        else:
            merged.append([text, bold, italic])
    out = []
    for text, bold, italic in merged:
        marker = ("**" if bold else "") + ("*" if italic else "")
        core = text.strip()
        if not marker or not core:
            out.append(text)
            continue
        lead = text[: len(text) - len(text.lstrip())]
        trail = text[len(text.rstrip()) :]
        out.append(f"{lead}{marker}{core}{marker[::-1]}{trail}")
    return "".join(out)


def read_docx(data: bytes) -> tuple[list[Element], list[TextIssue]]:
    """The elements of a DOCX in reading order, and the warnings (images, tables) with their place.

    ``data`` must already have passed the archive checks (size, zip bomb, encryption).
    """
    document = Document(io.BytesIO(data))
    reader = _Reader(document)
    reader.body(document.element.body)
    return reader.elements, reader.warnings
