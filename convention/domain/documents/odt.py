"""Read a LibreOffice document (ODT) into elements: headings, paragraphs, lists, notes, tables.

Pure Python (odfpy). Headings are ``text:h`` with their outline level (or paragraphs whose
style has a default outline level); the « Title » style is the document's title. A heading
numbered by the document's outline numbering keeps that number. Lists are read at their
depth, bulleted or numbered by their list style. Bold and italic spans are kept as Markdown;
a footnote or endnote call becomes « [n] » and its text a note. Tracked deletions are not
read. Tables are read row by row as paragraphs and images are dropped, each with a warning
that says where.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from odf.namespaces import DRAWNS, FONS, STYLENS, TABLENS, TEXTNS
from odf.opendocument import load

from convention.domain.documents.docx import format_number, runs_markdown
from convention.domain.documents.emphasis import Span, runs_emphasis
from convention.domain.textimport import Element, TextIssue

TITLE_NAMES = frozenset({"title", "titre"})
# Fields whose shown value is part of the text (a date, a chapter's name…).
FIELDS = frozenset({"sequence", "date", "time", "page-number", "chapter", "title", "subject"})
NUM_FORMATS = {"1": "decimal", "I": "upperRoman", "i": "lowerRoman", "A": "upperLetter", "a": "lowerLetter"}


def _attr(node, ns: str, name: str) -> str | None:
    return node.attributes.get((ns, name)) if getattr(node, "attributes", None) else None


def _local(node) -> tuple[str, str] | None:
    return getattr(node, "qname", None)


@dataclass
class _Style:
    name: str
    display: str
    parent: str | None
    bold: bool | None
    italic: bool | None
    outline: int | None
    list_style: str | None


class _Reader:
    def __init__(self, document) -> None:
        self.styles: dict[str, _Style] = {}
        self.list_bullets: dict[str, dict[int, bool]] = {}  # list style → level → is a bullet
        self.outline_formats: dict[int, str] = {}  # outline level → numbering format ("" = none)
        for container in (document.styles, document.automaticstyles):
            for node in container.childNodes:
                self.style(node)
        self.elements: list[Element] = []
        self.warnings: list[TextIssue] = []
        self.paragraphs = 0
        self.tables = 0
        self.notes = 0
        self.outline_counters: dict[int, int] = {}
        self.list_counters: dict[tuple[int, int], int] = {}

    # styles ----------------------------------------------------------------------------------

    def style(self, node) -> None:
        qname = _local(node)
        if qname == (STYLENS, "style"):
            bold = italic = None
            for child in node.childNodes:
                if _local(child) == (STYLENS, "text-properties"):
                    weight = _attr(child, FONS, "font-weight")
                    style = _attr(child, FONS, "font-style")
                    bold = weight in ("bold", "600", "700", "800", "900") if weight else None
                    italic = style in ("italic", "oblique") if style else None
            outline = _attr(node, STYLENS, "default-outline-level")
            name = _attr(node, STYLENS, "name") or ""
            self.styles[name] = _Style(
                name=name,
                display=(_attr(node, STYLENS, "display-name") or name).replace("_20_", " "),
                parent=_attr(node, STYLENS, "parent-style-name"),
                bold=bold,
                italic=italic,
                outline=int(outline) if outline and outline.isdigit() else None,
                list_style=_attr(node, STYLENS, "list-style-name"),
            )
        elif qname == (TEXTNS, "list-style"):
            levels = {}
            for child in node.childNodes:
                level = _attr(child, TEXTNS, "level")
                if level and level.isdigit():
                    levels[int(level)] = _local(child) != (TEXTNS, "list-level-style-number")
            self.list_bullets[_attr(node, STYLENS, "name") or ""] = levels
        elif qname == (TEXTNS, "outline-style"):
            for child in node.childNodes:
                level = _attr(child, TEXTNS, "level")
                if level and level.isdigit():
                    self.outline_formats[int(level)] = _attr(child, STYLENS, "num-format") or ""

    def inherited(self, name: str | None, attribute: str):
        seen: set[str] = set()
        while name and name in self.styles and name not in seen:
            seen.add(name)
            value = getattr(self.styles[name], attribute)
            if value is not None:
                return value
            name = self.styles[name].parent
        return None

    def is_title(self, name: str | None) -> bool:
        seen: set[str] = set()
        while name and name in self.styles and name not in seen:
            seen.add(name)
            style = self.styles[name]
            if style.name.lower() in TITLE_NAMES or style.display.lower() in TITLE_NAMES:
                return True
            name = style.parent
        return False

    # text ------------------------------------------------------------------------------------

    def runs(self, node, collect_notes: bool = True) -> tuple[str, str, int, list[Element], tuple[Span, ...]]:
        """(plain text, Markdown, images, notes called, emphasis spans over the plain text) of a paragraph."""
        plain: list[str] = []
        marked: list[tuple[str, bool, bool]] = []
        notes: list[Element] = []
        images = 0
        style = _attr(node, TEXTNS, "style-name")
        base = (bool(self.inherited(style, "bold")), bool(self.inherited(style, "italic")))

        def emit(text: str, fmt: tuple[bool, bool]) -> None:
            plain.append(text)
            marked.append((text, *fmt))

        def walk(parent, fmt: tuple[bool, bool]) -> None:
            nonlocal images
            for child in parent.childNodes:
                if child.nodeType == child.TEXT_NODE:
                    emit(child.data, fmt)
                    continue
                qname = _local(child)
                if qname == (TEXTNS, "span"):
                    span_style = _attr(child, TEXTNS, "style-name")
                    bold = self.inherited(span_style, "bold")
                    italic = self.inherited(span_style, "italic")
                    walk(child, (fmt[0] if bold is None else bold, fmt[1] if italic is None else italic))
                elif qname == (TEXTNS, "s"):
                    emit(" " * int(_attr(child, TEXTNS, "c") or "1"), fmt)
                elif qname in ((TEXTNS, "tab"), (TEXTNS, "line-break")):
                    emit(" ", fmt)
                elif qname == (TEXTNS, "note"):
                    if not collect_notes:
                        continue
                    body = next((c for c in child.childNodes if _local(c) == (TEXTNS, "note-body")), None)
                    self.notes += 1
                    emit(f"[{self.notes}]", (False, False))
                    text = " ".join(self.words(body).split()) if body is not None else ""
                    notes.append(Element("note", text, number=str(self.notes)))
                elif qname == (DRAWNS, "frame"):
                    if any(_local(c) == (DRAWNS, "image") for c in child.childNodes):
                        images += 1
                elif qname in ((TEXTNS, "number"), (TEXTNS, "tracked-changes"), (TEXTNS, "bookmark-ref")):
                    if qname == (TEXTNS, "bookmark-ref"):
                        walk(child, fmt)
                elif qname in ((TEXTNS, "a"), (TEXTNS, "ruby"), (TEXTNS, "ruby-base"), (TEXTNS, "meta")):
                    walk(child, fmt)
                elif qname is not None and qname[0] == TEXTNS and qname[1] in FIELDS:
                    walk(child, fmt)

        walk(node, base)
        return "".join(plain), runs_markdown(marked), images, notes, runs_emphasis(marked)

    def words(self, node) -> str:
        """The words of a note body or a table cell (its paragraphs, one after the other)."""
        texts: list[str] = []

        def walk(parent) -> None:
            for child in parent.childNodes:
                if _local(child) in ((TEXTNS, "p"), (TEXTNS, "h")):
                    texts.append(self.runs(child, collect_notes=False)[0])
                elif child.nodeType != child.TEXT_NODE:
                    walk(child)

        walk(node)
        return " ".join(t for t in texts if t.strip())

    # structure -------------------------------------------------------------------------------

    def where(self, text: str) -> str:
        words = " ".join(text.split())
        snippet = words if len(words) <= 40 else words[:40].rstrip() + "…"
        return f"paragraphe {self.paragraphs}" + (f" (« {snippet} »)" if snippet else "")

    def heading_number(self, level: int) -> str:
        fmt = self.outline_formats.get(level, "")
        for deeper in [k for k in self.outline_counters if k > level]:
            del self.outline_counters[deeper]
        self.outline_counters[level] = self.outline_counters.get(level, 0) + 1
        if fmt not in NUM_FORMATS:
            return ""
        return format_number(self.outline_counters[level], NUM_FORMATS[fmt])

    def paragraph(self, node, *, list_level: int | None = None, bullet: bool = True) -> None:
        self.paragraphs += 1
        text, markdown, images, notes, emphasis = self.runs(node)
        where = self.where(text)
        if images:
            self.warnings.append(TextIssue(0, f"{images} image(s) ignorée(s) : seul le texte est importé.", where))
        if not text.strip():
            return
        markdown = markdown if markdown != text else ""
        emphasis = emphasis if markdown else ()
        style = _attr(node, TEXTNS, "style-name")
        level = None
        if _local(node) == (TEXTNS, "h"):
            raw = _attr(node, TEXTNS, "outline-level")
            level = int(raw) if raw and raw.isdigit() else self.inherited(style, "outline") or 1
        elif self.inherited(style, "outline"):
            level = self.inherited(style, "outline")
        if self.is_title(style) and level is None:
            self.elements.append(Element("title", text, where=where))
        elif level is not None:
            number = self.heading_number(level)
            self.elements.append(Element("heading", text, level=level, number=number, where=where))
        elif list_level is not None:
            self.elements.append(
                Element("item", text, markdown, level=list_level, ordered=not bullet, where=where, emphasis=emphasis)
            )
        else:
            self.elements.append(Element("paragraph", text, markdown, where=where, emphasis=emphasis))
        for note in notes:
            self.elements.append(Element("note", note.text, number=note.number, where=where))

    def list(self, node, depth: int, list_style: str | None) -> None:
        list_style = _attr(node, TEXTNS, "style-name") or list_style
        bullet = self.list_bullets.get(list_style or "", {}).get(depth + 1, True)
        for item in node.childNodes:
            if _local(item) not in ((TEXTNS, "list-item"), (TEXTNS, "list-header")):
                continue
            for child in item.childNodes:
                qname = _local(child)
                if qname in ((TEXTNS, "p"), (TEXTNS, "h")):
                    self.paragraph(child, list_level=depth, bullet=bullet)
                elif qname == (TEXTNS, "list"):
                    self.list(child, depth + 1, list_style)

    def table(self, node) -> None:
        self.tables += 1
        first = self.paragraphs + 1
        rows = 0
        for row in _descendants(node, (TABLENS, "table-row")):
            cells = []
            for cell in row.childNodes:
                if _local(cell) == (TABLENS, "table-cell"):
                    self.paragraphs += sum(1 for _ in _descendants(cell, (TEXTNS, "p")))
                    cells.append(" ".join(self.words(cell).split()))
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
        for child in container.childNodes:
            qname = _local(child)
            if qname in ((TEXTNS, "p"), (TEXTNS, "h")):
                self.paragraph(child)
            elif qname == (TEXTNS, "list"):
                self.list(child, 0, None)
            elif qname == (TABLENS, "table"):
                self.table(child)
            elif qname == (TEXTNS, "section"):
                self.body(child)


def _descendants(node, qname):
    for child in node.childNodes:
        if _local(child) == qname:
            yield child
        if child.nodeType != child.TEXT_NODE:
            yield from _descendants(child, qname)


def read_odt(data: bytes) -> tuple[list[Element], list[TextIssue]]:
    """The elements of an ODT in reading order, and the warnings (images, tables) with their place.

    ``data`` must already have passed the archive checks (size, zip bomb, encryption).
    """
    document = load(io.BytesIO(data))
    reader = _Reader(document)
    reader.body(document.text)
    return reader.elements, reader.warnings
