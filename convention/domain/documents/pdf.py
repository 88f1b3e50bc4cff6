"""Read a PDF into elements: the printed page's lines put back into headings, paragraphs and lists.

Pure Python (pdfplumber, on pdfminer.six). A PDF has no paragraphs, only positioned lines:

- **Running headers and footers, page numbers.** A line among the first or last two of a page,
  in its outer margin, is a page number when it reads like one (« 12 », « - 12 - »,
  « Page 12 sur 40 ») and a running line when the same words (numbers aside) come back on at
  least half of the pages. Both are dropped and counted.
- **Headings** are told from the body by their size and weight: the body's size is the most
  common one; a line clearly bigger, or bold and short without final punctuation, is a
  heading. Their styles, biggest first, give the outline levels; the biggest, when it is used
  once at the top of the first page, is the document's title.
- **Paragraphs** are rebuilt from the lines: a paragraph ends where the space between lines
  grows, where a line stops short after a final punctuation mark, or at a first-line indent;
  a paragraph that reaches the bottom of a page unfinished goes on at the top of the next.
  A line starting with « • », « – » or « 1. » starts a list item, at the level of its indent.
- **Words cut at a line end** are joined. When the PDF marks the hyphens its layout engine
  added (U+2010, U+00AD), only those are dropped; otherwise the seed's rule decides
  (:func:`~convention.domain.documents.repairs.join_hyphenated`). Stray spaces before « . »
  and « , » are removed.

Images are dropped with a warning naming their page. Emphasis is not recovered from a PDF.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from io import BytesIO

from convention.domain.documents.repairs import (
    DISCRETIONARY_HYPHENS,
    clean_text,
    is_page_number,
    join_hyphenated,
    running_key,
)
from convention.domain.textimport import Element, TextIssue

MARGIN_LINES = 2  # lines at each edge of a page examined for running headers and footers
MARGIN_SHARE = 0.15  # … and only in this outer share of the page's height
HEADING_RATIO = 1.12  # a line this much bigger than the body is a heading
TERMINAL = (".", "!", "?", "…", ":", ";", "»", ")", '"', "”")
BULLET = re.compile(r"^([•◦▪‣●○■□➢►✓–—*-])\s+(.*)$")
ORDERED = re.compile(r"^(\d{1,3}|[a-z])[.)]\s+(.*)$")
BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demibold|extrabold", re.IGNORECASE)

Progress = Callable[[float, str | None], None]


@dataclass(eq=False)
class _Line:
    page: int
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool
    height: float  # the page's

    @property
    def style(self) -> tuple[float, bool]:
        return (round(self.size * 2) / 2, self.bold)


@dataclass
class _Block:
    kind: str  # heading | paragraph | item
    lines: list[_Line] = field(default_factory=list)
    level: int = 0  # item depth
    ordered: bool = False
    text_x0: float = 0.0  # where an item's text starts (its continuation lines align there)
    first_text: str = ""  # an item's first line without its bullet or number

    def texts(self) -> list[str]:
        texts = [line.text for line in self.lines]
        if self.first_text:
            texts[0] = self.first_text
        return texts


def _lines_of(page, number: int) -> list[_Line]:
    lines = []
    for raw in page.extract_text_lines(strip=True, return_chars=True):
        text = " ".join(raw["text"].split())
        chars = [c for c in raw["chars"] if c.get("text", "").strip()]
        if not text or not chars:
            continue
        size = statistics.median(c["size"] for c in chars)
        bold = sum(1 for c in chars if BOLD_FONT.search(c.get("fontname", ""))) > len(chars) / 2
        lines.append(_Line(number, text, raw["x0"], raw["x1"], raw["top"], raw["bottom"], size, bold, page.height))
    return lines


def _furniture(pages: list[list[_Line]]) -> tuple[set[int], int, int]:
    """ids of the running lines and page numbers to drop, and how many of each."""
    candidates: list[list[_Line]] = []
    for lines in pages:
        edges = lines[:MARGIN_LINES] + lines[-MARGIN_LINES:]
        candidates.append(
            [
                line
                for line in dict.fromkeys(edges)
                if line.top < line.height * MARGIN_SHARE or line.bottom > line.height * (1 - MARGIN_SHARE)
            ]
        )
    keys: Counter[str] = Counter()
    for edge in candidates:
        keys.update({running_key(line.text) for line in edge if running_key(line.text).strip("# ")})
    threshold = max(2, (len(pages) + 1) // 2)
    running = {key for key, count in keys.items() if count >= threshold} if len(pages) >= 2 else set()
    drop: set[int] = set()
    numbers = footers = 0
    for edge in candidates:
        for line in edge:
            if is_page_number(line.text):
                drop.add(id(line))
                numbers += 1
            elif running_key(line.text) in running:
                drop.add(id(line))
                footers += 1
    return drop, numbers, footers


def _mode(values: list[float], weights: list[int] | None = None) -> float:
    counter: Counter[float] = Counter()
    for index, value in enumerate(values):
        counter[round(value)] += weights[index] if weights else 1
    return counter.most_common(1)[0][0] if counter else 0.0


class _Layout:
    """The body's measures, read from the whole document."""

    def __init__(self, lines: list[_Line]) -> None:
        sizes: Counter[float] = Counter()
        for line in lines:
            sizes[round(line.size * 2) / 2] += len(line.text)
        self.body_size = sizes.most_common(1)[0][0] if sizes else 10.0
        body = [line for line in lines if abs(line.size - self.body_size) <= 0.6] or lines
        self.body_bold = sum(1 for line in body if line.bold) > len(body) / 2
        self.left = _mode([line.x0 for line in body], [len(line.text) for line in body])
        rights = sorted(line.x1 for line in body)
        self.right = rights[int(len(rights) * 0.95)] if rights else 0.0
        full = sum(1 for line in body if line.x1 >= self.right - 2)
        self.justified = full > len(body) / 3
        pitches = [
            round(b.top - a.top, 1)
            for a, b in zip(body, body[1:], strict=False)
            if a.page == b.page and 0 < b.top - a.top < 3 * self.body_size
        ]
        self.pitch = _mode(pitches) if pitches else self.body_size * 1.3
        self.pitch = min(pitches or [self.pitch], key=lambda p: abs(p - self.pitch)) if pitches else self.pitch

    def is_heading(self, line: _Line) -> bool:
        if line.size >= self.body_size * HEADING_RATIO:
            return not BULLET.match(line.text)
        return (
            line.bold
            and not self.body_bold
            and line.size >= self.body_size * 0.95
            and len(line.text) <= 150
            and not line.text.endswith(TERMINAL + (",",))
            and not BULLET.match(line.text)
        )

    def ends_paragraph(self, line: _Line) -> bool:
        """A line that stops short after a final punctuation mark ends its paragraph."""
        short = line.x1 < self.right - 1.5 * self.body_size
        return line.text.endswith(TERMINAL) and (short or not self.justified)


def _blocks(pages: list[list[_Line]], layout: _Layout) -> list[_Block]:
    blocks: list[_Block] = []
    item_indents: list[float] = []
    for lines in pages:
        previous: _Line | None = None
        for line in lines:
            current = blocks[-1] if blocks else None
            if layout.is_heading(line):
                last = current.lines[-1] if current and current.kind == "heading" else None
                if (
                    last is not None
                    and last.style == line.style
                    and last.page == line.page
                    and line.top - last.bottom < line.size * 0.9
                ):
                    current.lines.append(line)
                else:
                    blocks.append(_Block("heading", [line]))
                previous = line
                continue
            bullet = BULLET.match(line.text)
            ordered = ORDERED.match(line.text)
            starts_item = bullet is not None or (
                ordered is not None and (line.x0 > layout.left + 3 or (current is not None and current.kind == "item"))
            )
            if starts_item:
                indent = next((x for x in item_indents if abs(x - line.x0) < 4), None)
                if indent is None:
                    item_indents.append(line.x0)
                    item_indents.sort()
                    indent = line.x0
                level = item_indents.index(indent)
                match = bullet or ordered
                # Where the item's words start: refined by its second line, which aligns there.
                blocks.append(_Block("item", [line], level, bullet is None, line.x0 + layout.body_size, match.group(2)))
                previous = line
                continue
            if current is not None and current.kind != "heading" and _continues(current, previous, line, layout):
                if current.kind == "item" and len(current.lines) == 1:
                    current.text_x0 = line.x0
                current.lines.append(line)
            else:
                blocks.append(_Block("paragraph", [line]))
            previous = line
    return blocks


def _continues(block: _Block, previous: _Line | None, line: _Line, layout: _Layout) -> bool:
    """Does ``line`` go on with ``block`` (same paragraph or list item)?"""
    last = block.lines[-1]
    if layout.ends_paragraph(last):
        return False
    if block.kind == "item" and line.x0 < block.text_x0 - 3:
        return False  # back at the margin: the list is over
    if last.page != line.page:
        return previous is None  # the top of the next page goes on with an unfinished paragraph
    if previous is not last:
        return False
    if line.top - last.top > layout.pitch * 1.3:
        return False
    if block.kind == "paragraph" and line.x0 > layout.left + layout.body_size and last.x0 <= layout.left + 3:
        return last.x1 >= layout.right - 2 and not last.text.endswith(TERMINAL)
    return True


def join_block_lines(lines: list[str], engine_hyphens: bool) -> tuple[str, int]:
    """The lines of one block as one text, and how many cut words were joined."""
    text = ""
    joined = 0
    for line in lines:
        if not text:
            text = line
        elif text[-1] in DISCRETIONARY_HYPHENS and line[:1].isalpha():
            text = text[:-1] + line
            joined += 1
        elif text.endswith("-") and line[:1].isalpha() and re.search(r"[^\W\d_]-$", text):
            if engine_hyphens:
                text += line  # the engine marks its own cuts: this hyphen is the word's
            else:
                glued = join_hyphenated(text, line)
                joined += glued != text + line
                text = glued
        elif re.search(r"\d-$", text) and line[:1].isdigit():
            text += line
        else:
            text = f"{text} {line}"
    return text, joined


def count_pages(data: bytes) -> int:
    """How many pages a PDF has (0 when it cannot be opened: the importer will say why)."""
    import pdfplumber

    try:
        with pdfplumber.open(BytesIO(data)) as pdf:
            return len(pdf.pages)
    except Exception:  # a refused or corrupt PDF: read (and refused) by the importer, with its reason
        return 0


def _needs_password(error: BaseException) -> bool:
    """pdfminer's refusal of a password, as pdfplumber wraps it (``PdfminerException(PDFPasswordIncorrect())``)."""
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    seen: list[BaseException] = [error]
    while seen:
        current = seen.pop()
        if isinstance(current, PDFPasswordIncorrect | PDFEncryptionError):
            return True
        seen.extend(arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException))
        if current.__cause__ is not None:
            seen.append(current.__cause__)
    return False


def read_pdf(
    data: bytes, name: str = "document.pdf", *, progress: Progress | None = None
) -> tuple[list[Element], list[TextIssue], dict[str, int]]:
    """The elements of a PDF, its warnings (images) and its repairs (footers, page numbers, cut words)."""
    import pdfplumber

    from convention.domain.documents.reader import MAX_PDF_PAGES, Refused

    warnings: list[TextIssue] = []
    pages: list[list[_Line]] = []
    try:
        with pdfplumber.open(BytesIO(data)) as pdf:
            total = len(pdf.pages)
            if total > MAX_PDF_PAGES:
                raise Refused(f"« {name} » compte {total} pages : au plus {MAX_PDF_PAGES} sont importées.")
            for number, page in enumerate(pdf.pages, start=1):
                pages.append(_lines_of(page, number))
                if page.images:
                    warnings.append(
                        TextIssue(
                            0, f"{len(page.images)} image(s) ignorée(s) : seul le texte est importé.", f"page {number}"
                        )  # fmt: skip
                    )
                page.close()
                if progress is not None:
                    progress(80 * number / total, f"Lecture de la page {number} sur {total}…")
    except Refused:
        raise
    except Exception as error:
        if _needs_password(error):
            raise Refused(
                f"le PDF « {name} » est protégé par un mot de passe : enregistrez-le sans protection et recommencez."
            ) from None
        raise
    if not any(pages):
        raise Refused(
            f"le PDF « {name} » ne contient aucun texte (un document numérisé, sans doute) : importez le document "
            "d'origine (DOCX, ODT) ou un PDF enregistré depuis un traitement de texte."
        )
    drop, numbers, footers = _furniture(pages)
    pages = [[line for line in lines if id(line) not in drop] for lines in pages]
    lines = [line for page in pages for line in page]
    layout = _Layout(lines)
    engine_hyphens = any(line.text[-1] in DISCRETIONARY_HYPHENS for line in lines)
    blocks = _blocks(pages, layout)

    heading_styles = [b.lines[0].style for b in blocks if b.kind == "heading"]
    styles = sorted(set(heading_styles), key=lambda s: (-s[0], not s[1]))
    title_block = None
    first = blocks[0] if blocks else None
    if (
        first is not None
        and first.kind == "heading"
        and first.lines[0].page == 1
        and styles
        and first.lines[0].style == styles[0]
        and heading_styles.count(styles[0]) == 1
        and len(styles) > 1
    ):
        title_block = first
        styles = styles[1:]
    levels = {style: rank for rank, style in enumerate(styles, start=1)}

    elements: list[Element] = []
    joined_words = punctuation = 0
    for block in blocks:
        text, joined = join_block_lines(block.texts(), engine_hyphens)
        joined_words += joined
        cleaned = clean_text(text)
        punctuation += cleaned != " ".join(text.split())
        where = f"page {block.lines[0].page}"
        if block is title_block:
            elements.append(Element("title", cleaned, where=where))
        elif block.kind == "heading":
            elements.append(Element("heading", cleaned, level=levels[block.lines[0].style], where=where))
        elif block.kind == "item":
            elements.append(Element("item", cleaned, level=block.level, ordered=block.ordered, where=where))
        else:
            elements.append(Element("paragraph", cleaned, where=where))
        if progress is not None and len(elements) % 200 == 0:
            progress(85, "Reconstitution des paragraphes…")
    repairs = {"footers": footers, "page_numbers": numbers, "hyphenations": joined_words, "punctuation": punctuation}
    return elements, warnings, repairs
