"""Parse a plain-text or Markdown document into parts, chapters and blocks.

Pure Python. The parser never raises on bad input: it returns what it could read
and a list of :class:`TextIssue` ``(line, message)`` in French; the caller writes
nothing unless that list is empty. Word-processor documents (DOCX, ODT) and PDF are
read by :mod:`convention.domain.documents` into :class:`Element` s, which
:func:`parse_elements` turns into the same :class:`ParsedText`.

Markdown
    ``#`` part, ``##`` chapter, ``###`` and deeper: subheading block; paragraphs
    (lines joined until a blank line); ``-``, ``*``, ``+`` or ``1.`` bullets:
    list items; ``>``: quote. A bullet list introduced by a paragraph ending with
    « proposent : » gives proposal blocks. « RECOMMANDATION N° k » starts a
    recommendation whose text is the rest of its paragraph.
Plain text
    « PARTIE I … » or « I – Titre » at the start of a paragraph: part; a line in
    capitals or a numbered « 1 _ TITRE » / « 1. Titre » at the start of a
    paragraph: chapter; blank lines separate paragraphs; ``-``, ``•``, ``*`` bullets;
    a word cut by a line-end hyphen is joined again (real compounds keep theirs).
    A text saved the way word processors do it, one paragraph per line with no blank
    line and no wrapped line (:func:`one_paragraph_per_line`), is read line by line: a
    short line without final punctuation is a heading (the first one, when others
    follow, is the document's title), « - », « • » or « 1. » lines are list items.

Emphasis never changes a block's text (amendments quote it and count in it): the words a
document sets in bold or italic, and a Markdown or plain text's ``**gras**``, are kept as
``ParsedBlock.emphasis`` offsets in the text (see :mod:`convention.domain.documents.emphasis`).

When no heading of a level gives its number, the headings are numbered in order
(parts I, II…; chapters 1, 2… within their part); otherwise the unnumbered ones
stay unnumbered. Text before the first heading goes to an unnumbered preamble.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from convention.domain.documents.emphasis import Span, markdown_emphasis, remap_spans, valid_spans
from convention.domain.documents.repairs import ends_with_hyphenation, join_hyphenated
from convention.domain.textstructure import BlockKind, roman

MAX_TITLE_LENGTH = 400
MAX_NUMBER_LENGTH = 10


class TextIssue(NamedTuple):
    """A problem found in a document; ``line`` is 1-based, 0 for the whole file.

    ``where`` says where it is when a line number means nothing to the reader
    (« page 3 », « paragraphe 12 » of a DOCX); it is shown instead of the line.
    """

    line: int
    message: str
    where: str = ""


def format_issue(issue: TextIssue) -> str:
    """« ligne 12 : … » (or « page 3 : … »), or the bare message for a file-level problem."""
    if issue.where:
        return f"{issue.where} : {issue.message}"
    return f"ligne {issue.line} : {issue.message}" if issue.line else issue.message


@dataclass(frozen=True)
class ParsedBlock:
    kind: str
    text: str
    number: str = ""
    line: int = 0  # first source line
    # The block as Markdown when the source had more than words (emphasis, note calls); else "".
    markdown: str = ""
    # Its bold and italic words: (start, end, "strong" | "em") offsets in ``text`` (see documents.emphasis).
    emphasis: tuple[Span, ...] = ()


@dataclass(frozen=True)
class ParsedChapter:
    number: str
    title: str
    blocks: tuple[ParsedBlock, ...]
    line: int = 0


@dataclass(frozen=True)
class ParsedPart:
    number: str
    title: str
    chapters: tuple[ParsedChapter, ...]
    line: int = 0


FORMAT_LABELS = {
    "markdown": "Markdown",
    "plain": "texte brut",
    "docx": "Word (DOCX)",
    "odt": "LibreOffice (ODT)",
    "pdf": "PDF",
}

# What the importer repaired or left out, as the report names it.
REPAIR_LABELS = {
    "footers": "pied ou en-tête de page répété retiré",
    "page_numbers": "numéro de page retiré",
    "hyphenations": "mot coupé en fin de ligne recollé",
    "punctuation": "espace avant un point ou une virgule retirée",
    "notes": "note de bas de page gardée",
}

BLOCK_LABELS = (
    ("paragraph", "paragraphe", "paragraphes"),
    ("subheading", "intertitre", "intertitres"),
    ("list_item", "élément de liste", "éléments de liste"),
    ("proposal", "proposition", "propositions"),
    ("recommendation", "recommandation", "recommandations"),
    ("quote", "citation", "citations"),
)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count < 2 else many}"


@dataclass(frozen=True)
class ParsedText:
    parts: tuple[ParsedPart, ...]
    errors: tuple[TextIssue, ...]
    format: str  # "markdown" | "plain" | "docx" | "odt" | "pdf"
    title: str = ""  # the document's own title (a DOCX « Titre », the first line of an article…)
    # What could not be read as it is (an image dropped, a table read as paragraphs), with its place.
    warnings: tuple[TextIssue, ...] = ()
    # Where each source unit is, for formats without lines: ``places[line - 1]`` = « page 3 ».
    places: tuple[str, ...] = ()
    # How many of each repair were made: (key of REPAIR_LABELS, count).
    repairs: tuple[tuple[str, int], ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def blocks(self) -> list[ParsedBlock]:
        return [b for p in self.parts for c in p.chapters for b in c.blocks]

    def count(self, kind: str) -> int:
        return sum(1 for b in self.blocks if b.kind == kind)

    @property
    def format_label(self) -> str:
        return FORMAT_LABELS.get(self.format, self.format)

    def where(self, line: int) -> str:
        """« ligne 12 », or the place of that unit in a document without lines (« page 3 »)."""
        if self.places and 0 < line <= len(self.places):
            return self.places[line - 1]
        return f"ligne {line}" if line else ""

    def counts(self) -> dict[str, int]:
        """What the importer recognised: parts, chapters, then blocks per kind, then notes."""
        counts = {
            "parts": sum(1 for p in self.parts if p.title or p.number),
            "chapters": sum(1 for p in self.parts for c in p.chapters if c.title or c.number),
        }
        for kind, _one, _many in BLOCK_LABELS:
            counts[kind] = self.count(kind)
        counts["notes"] = dict(self.repairs).get("notes", 0)
        return counts

    def report_lines(self) -> list[str]:
        """The importer's report in French: what it recognised, what it repaired, what it left out."""
        counts = self.counts()
        found = [_plural(counts["parts"], "partie", "parties"), _plural(counts["chapters"], "chapitre", "chapitres")]
        found += [_plural(counts[kind], one, many) for kind, one, many in BLOCK_LABELS if counts[kind]]
        if counts["notes"]:
            found.append(_plural(counts["notes"], "note", "notes"))
        lines = [f"Lu comme {self.format_label} : " + ", ".join(found) + "."]
        if self.title:
            lines.append(f"Titre du document : « {self.title} ».")
        repaired = [
            f"{count} × {REPAIR_LABELS.get(key, key)}" for key, count in self.repairs if count and key != "notes"
        ]
        if repaired:
            lines.append("Réparé ou écarté : " + " ; ".join(repaired) + ".")
        lines.extend(f"Avertissement — {format_issue(w)}" for w in self.warnings)
        return lines


def chapter_anchor(
    part_number: str, part_position: int, chapter_number: str, chapter_position: int
) -> str:
    """Stable id of a chapter in its version: ``II-5``; ``p1``/``c2`` stand for missing numbers."""
    return f"{part_number or f'p{part_position}'}-{chapter_number or f'c{chapter_position}'}"


def block_anchor(chapter_anchor_: str, position: int) -> str:
    """Stable id of a block in its version: ``II-5-12`` (1-based rank in the chapter)."""
    return f"{chapter_anchor_}-{position}"


# --- decoding -------------------------------------------------------------------------


def decode_document(data: bytes) -> tuple[str | None, list[TextIssue]]:
    """Decode an uploaded file as UTF-8 text (BOM allowed); refuse empty and binary files.

    Line ends are normalised to ``\\n``.
    """
    if not data.strip():
        return None, [TextIssue(0, "le fichier est vide.")]
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        return None, [
            TextIssue(
                0,
                f"le fichier est binaire (octet nul à la position {nul}, ligne {line}) : "
                "seul un fichier texte UTF-8 est accepté.",
            )
        ]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        byte = data[error.start]
        return None, [
            TextIssue(
                0,
                f"le fichier n'est pas encodé en UTF-8 : octet 0x{byte:02X} invalide à la "
                f"position {error.start} (ligne {line}). Enregistrez-le en UTF-8 et recommencez.",
            )
        ]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return None, [TextIssue(0, "le fichier est vide.")]
    return text, []


def guess_format(text: str, filename: str = "") -> str:
    """``markdown`` for .md files or text with ``#`` headings, else ``plain``."""
    lowered = filename.lower()
    if lowered.endswith((".md", ".markdown")):
        return "markdown"
    if lowered.endswith(".txt"):
        return "plain"
    if re.search(r"^#{1,6}\s+\S", text, flags=re.MULTILINE):
        return "markdown"
    return "plain"


# --- line patterns --------------------------------------------------------------------

_SEPARATOR = r"[.)\-–—_:]"
PROPOSAL_INTRO = re.compile(r"\bproposent\b[^:]*:\s*$", re.IGNORECASE)
RECOMMENDATION = re.compile(
    r"^[\s#*_>]*RECOMMANDATION\s+N\s*[°º]\s*(\d+)\s*[*_]*\s*[.:–—-]?\s*(.*)$"
)
MD_HEADING = re.compile(r"^(#{1,6})(?:\s+(.*?))?\s*#*\s*$")
MD_BULLET = re.compile(r"^(\s*)(?:[-*+•]|\d{1,3}[.)])\s+(.*)$")
MD_QUOTE = re.compile(r"^\s*>\s?(.*)$")
MD_RULE = re.compile(r"^\s*(?:(?:\*\s*){3,}|(?:-\s*){3,}|(?:_\s*){3,})$")
SETEXT_PART = re.compile(r"^\s*=+\s*$")
SETEXT_CHAPTER = re.compile(r"^\s*-+\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
PLAIN_BULLET = re.compile(r"^(\s*)[-*•–—·]\s+(.*)$")
PART_NUMBERED = re.compile(
    r"^(?:(?i:partie)\s+([IVXLCDM]+|\d{1,3})\b\s*[.:–—_-]?\s*|([IVXLCDM]+)\s*"
    + _SEPARATOR
    + r"\s+)(.*)$"
)
CHAPTER_NUMBERED = re.compile(
    r"^(?:chapitre\s+(\d{1,3})\b\s*[.:–—_-]?\s*|(\d{1,3})\s*" + _SEPARATOR + r"\s+)(.*)$",
    re.IGNORECASE,
)
EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")


def clean_inline(text: str) -> str:
    """One line of text: collapsed spaces, no bold markers or Markdown escapes."""
    text = EMPHASIS.sub(r"\2", text)
    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!>])", r"\1", text)
    return " ".join(text.split())


def _control_characters(line: str) -> list[str]:
    return [
        f"U+{ord(ch):04X}"
        for ch in line
        if ch not in "\t\f\v" and unicodedata.category(ch) in ("Cc", "Cs")
    ]


def _is_heading_like(line: str) -> bool:
    stripped = line.strip()
    return 0 < len(stripped) <= 150 and not stripped.endswith((".", ",", ";", ":"))


def _is_capitals(line: str) -> bool:
    letters = [ch for ch in line if ch.isalpha()]
    return len(letters) >= 4 and all(not ch.islower() for ch in letters)


# --- builder --------------------------------------------------------------------------


@dataclass
class _Chapter:
    number: str
    title: str
    line: int
    explicit: bool  # from a heading (not the implicit chapter of untitled text)
    numbered: bool = False  # the heading gave its number
    blocks: list[ParsedBlock] = field(default_factory=list)
    lines: int = 1  # source lines of the title
    proposals: int = 0


@dataclass
class _Part:
    number: str
    title: str
    line: int
    explicit: bool = True
    numbered: bool = False
    chapters: list[_Chapter] = field(default_factory=list)


@dataclass
class _Pending:
    kind: str  # "paragraph" | "item" | "quote" | "recommendation"
    line: int
    lines: list[str] = field(default_factory=list)
    indent: int = 0
    number: str = ""
    markdown: str = ""  # a document element's Markdown (emphasis, note calls)
    emphasis: tuple[Span, ...] = ()  # a document element's emphasis, over ``emphasis_source``
    emphasis_source: str = ""


class _Builder:
    """Collects parts, chapters and blocks, and the problems met on the way."""

    def __init__(self, source: list[str], *, markdown_inline: bool = True, join_hyphens: bool = False) -> None:
        self.source = source
        self.parts: list[_Part] = []
        self.errors: list[TextIssue] = []
        self.pending: _Pending | None = None
        self.proposal_intro: int | None = None  # line of the « proposent : » paragraph
        self.proposal_items = 0
        self.recommendations: dict[str, int] = {}
        # Markdown sources lose their inline markers; document sources keep their words as they are.
        self.markdown_inline = markdown_inline
        self.join_hyphens = join_hyphens  # plain text: « préven-\ntion » is one word again
        self.hyphenations = 0
        self.notes: list[tuple[str, int]] = []  # (« [1] text », line): written at the end of the chapter

    def clean(self, text: str) -> str:
        return clean_inline(text) if self.markdown_inline else " ".join(text.split())

    def join(self, lines: list[str]) -> str:
        if not self.join_hyphens:
            return " ".join(lines)
        pieces: list[str] = []
        for line in lines:
            line = line.strip()
            if pieces and ends_with_hyphenation(pieces[-1]) and line[:1].isalpha():
                joined = join_hyphenated(pieces[-1], line)
                self.hyphenations += joined != pieces[-1] + line
                pieces[-1] = joined
            elif line:
                pieces.append(line)
        return " ".join(pieces)

    # structure

    def error(self, line: int, message: str) -> None:
        self.errors.append(TextIssue(line, message))

    def start_part(self, line: int, raw_title: str, number_given: str = "") -> None:
        self.flush()
        self.end_proposals()
        self.write_notes()
        number, title = self._split_number(raw_title, part=True)
        if number_given:
            number, title = number_given.upper(), self.clean(raw_title)
        if not title:
            self.error(line, "titre de partie vide.")
        if number is not None and any(p.number == number for p in self.parts):
            self.error(line, f"la partie {number} apparaît deux fois.")
        self.parts.append(
            _Part(number=number or "", title=title, line=line, numbered=number is not None)
        )

    def start_chapter(self, line: int, raw_title: str, number_given: str = "") -> None:
        self.flush()
        self.end_proposals()
        self.write_notes()
        number, title = self._split_number(raw_title, part=False)
        if number_given:
            number, title = number_given, self.clean(raw_title)
        if not title:
            self.error(line, "titre de chapitre vide.")
        part = self._part(line)
        if number is not None and any(c.number == number for c in part.chapters):
            self.error(line, f"le chapitre {number} apparaît deux fois dans la même partie.")
        part.chapters.append(
            _Chapter(
                number=number or "",
                title=title,
                line=line,
                explicit=True,
                numbered=number is not None,
            )
        )

    def continues_heading(self, line: int) -> bool:
        """Append a capitals line to the chapter title just above it (no text in between)."""
        if not self.parts or not self.parts[-1].chapters:
            return False
        chapter = self.parts[-1].chapters[-1]
        if chapter.blocks or not chapter.explicit or chapter.line + chapter.lines != line:
            return False
        if not _is_capitals(chapter.title):
            return False
        chapter.title = clean_inline(f"{chapter.title} {clean_inline(self.raw_line(line))}")
        chapter.lines += 1
        return True

    def raw_line(self, line: int) -> str:
        return self.source[line - 1]

    def _split_number(self, raw: str, *, part: bool) -> tuple[str | None, str]:
        title = self.clean(raw)
        pattern = PART_NUMBERED if part else CHAPTER_NUMBERED
        match = pattern.match(title)
        if match:
            number = (match.group(1) or match.group(2)).upper()
            rest = self.clean(match.group(3))
            return number, rest
        # Never cut here: ``result`` reports a title over MAX_TITLE_LENGTH with its line.
        return None, title

    def _part(self, line: int) -> _Part:
        if not self.parts:
            self.parts.append(_Part(number="", title="", line=line, explicit=False))
        return self.parts[-1]

    def _chapter(self, line: int) -> _Chapter:
        part = self._part(line)
        if not part.chapters:
            part.chapters.append(_Chapter(number="", title="", line=line, explicit=False))
        return part.chapters[-1]

    def add_block(
        self, kind: BlockKind, text: str, line: int, number: str = "", markdown: str = "",
        emphasis: tuple[Span, ...] = (),
    ) -> None:  # fmt: skip
        chapter = self._chapter(line)
        markdown = markdown if markdown and markdown != text else ""
        chapter.blocks.append(
            ParsedBlock(kind=kind.value, text=text, number=number, line=line, markdown=markdown, emphasis=emphasis)
        )

    def add_note(self, text: str, line: int) -> None:
        """A footnote: kept, as a paragraph « [n] … » at the end of its chapter."""
        self.notes.append((text, line))

    def write_notes(self) -> None:
        notes, self.notes = self.notes, []
        for text, line in notes:
            self.add_block(BlockKind.PARAGRAPH, text, line)

    # pending paragraph, item, quote or recommendation

    def begin(
        self, kind: str, line: int, first: str = "", *, indent: int = 0, number: str = "", markdown: str = "",
        emphasis: tuple[Span, ...] = (), emphasis_source: str = "",
    ) -> None:  # fmt: skip
        self.flush()
        self.pending = _Pending(kind=kind, line=line, indent=indent, number=number, markdown=markdown,
                                emphasis=emphasis, emphasis_source=emphasis_source)  # fmt: skip
        if first.strip():
            self.pending.lines.append(first)

    def append(self, line_text: str) -> None:
        assert self.pending is not None
        self.pending.lines.append(line_text)

    def flush(self) -> None:
        pending, self.pending = self.pending, None
        if pending is None:
            return
        joined = self.join(pending.lines)
        text = self.clean(joined)
        markdown = " ".join(pending.markdown.split())
        emphasis = self.emphasis_of(pending, joined, text)
        if pending.kind == "paragraph":
            if not text:
                return
            self.end_proposals()
            self.add_block(BlockKind.PARAGRAPH, text, pending.line, markdown=markdown, emphasis=emphasis)
            if PROPOSAL_INTRO.search(text):
                self.proposal_intro = pending.line
                self.proposal_items = 0
        elif pending.kind == "item":
            if not text:
                self.error(pending.line, "élément de liste vide.")
                return
            if self.proposal_intro is not None and pending.indent < 2:
                chapter = self._chapter(pending.line)
                chapter.proposals += 1
                self.proposal_items += 1
                self.add_block(BlockKind.PROPOSAL, text, pending.line, str(chapter.proposals), markdown, emphasis)
            else:
                self.add_block(BlockKind.LIST_ITEM, text, pending.line, markdown=markdown, emphasis=emphasis)
        elif pending.kind == "quote":
            self.end_proposals()
            if text:
                self.add_block(BlockKind.QUOTE, text, pending.line, emphasis=emphasis)
        elif pending.kind == "recommendation":
            self.end_proposals()
            if not text:
                self.error(pending.line, f"la recommandation n° {pending.number} n'a pas de texte.")
                return
            if pending.number in self.recommendations:
                first = self.recommendations[pending.number]
                self.error(
                    pending.line,
                    f"la recommandation n° {pending.number} apparaît deux fois "
                    f"(déjà ligne {first}).",
                )
            self.recommendations.setdefault(pending.number, pending.line)
            self.add_block(BlockKind.RECOMMENDATION, text, pending.line, pending.number, markdown, emphasis)

    def emphasis_of(self, pending: _Pending, joined: str, text: str) -> tuple[Span, ...]:
        """The block's bold and italic words as offsets in ``text`` (its plain text, never changed for them).

        A document's element brings its own spans; a Markdown or plain-text source gives the
        ``**gras**`` that :func:`clean_inline` takes out of its words.
        """
        if pending.emphasis:
            return remap_spans(pending.emphasis, pending.emphasis_source, text)
        if self.markdown_inline and EMPHASIS.search(joined):
            plain, spans = markdown_emphasis(joined)
            return remap_spans(spans, plain, text)
        return ()

    def end_proposals(self) -> None:
        if self.proposal_intro is not None and self.proposal_items == 0:
            self.error(
                self.proposal_intro,
                "« … proposent : » n'est suivi d'aucune proposition (liste à puces attendue).",
            )
        self.proposal_intro = None
        self.proposal_items = 0

    def subheading(self, line: int, title: str) -> None:
        self.flush()
        self.end_proposals()
        text = self.clean(title)
        if not text:
            self.error(line, "intertitre vide.")
            return
        self.add_block(BlockKind.SUBHEADING, text, line)

    def recommendation(self, line: int, match: re.Match[str]) -> None:
        self.begin("recommendation", line, match.group(2), number=match.group(1).lstrip("0") or "0")

    # result

    def number_headings(self) -> None:
        """Number the headings in order (I, II…; 1, 2…) where none gave its own number."""
        if not any(p.numbered for p in self.parts):
            for index, part in enumerate((p for p in self.parts if p.explicit), start=1):
                part.number = roman(index)
        for part in self.parts:
            if not any(c.numbered for c in part.chapters):
                for index, chapter in enumerate((c for c in part.chapters if c.explicit), start=1):
                    chapter.number = str(index)

    def result(
        self,
        fmt: str,
        text_lines: list[str],
        *,
        title: str = "",
        warnings: tuple[TextIssue, ...] = (),
        places: tuple[str, ...] = (),
        repairs: dict[str, int] | None = None,
    ) -> ParsedText:
        self.flush()
        self.end_proposals()
        self.write_notes()
        self.number_headings()
        for number, line in enumerate(text_lines, start=1):
            bad = _control_characters(line)
            if bad:
                self.error(
                    line=number, message=f"caractère de contrôle non autorisé ({', '.join(bad)})."
                )
        parts = []
        for part in self.parts:
            if len(part.title) > MAX_TITLE_LENGTH:
                self.error(
                    part.line, f"titre de partie trop long (plus de {MAX_TITLE_LENGTH} caractères)."
                )
            if not part.chapters:
                self.error(
                    part.line, f"la partie « {part.title or part.number} » ne contient aucun texte."
                )
            chapters = []
            for chapter in part.chapters:
                if len(chapter.title) > MAX_TITLE_LENGTH:
                    self.error(
                        chapter.line,
                        f"titre de chapitre trop long (plus de {MAX_TITLE_LENGTH} caractères).",
                    )
                if not chapter.blocks:
                    self.error(
                        chapter.line,
                        f"le chapitre « {chapter.title or chapter.number} » "
                        "ne contient aucun texte.",
                    )
                chapters.append(
                    ParsedChapter(
                        chapter.number, chapter.title, tuple(chapter.blocks), chapter.line
                    )
                )
            parts.append(ParsedPart(part.number, part.title, tuple(chapters), part.line))
        if not any(c.blocks for p in parts for c in p.chapters) and not self.errors:
            self.error(0, "le document ne contient aucun texte.")
        errors = sorted(set(self.errors), key=lambda issue: (issue.line, issue.message))
        if places:
            errors = [_placed(issue, places) for issue in errors]
        counted = dict(repairs or {})
        if self.hyphenations:
            counted["hyphenations"] = counted.get("hyphenations", 0) + self.hyphenations
        return ParsedText(
            parts=tuple(parts),
            errors=tuple(errors),
            format=fmt,
            title=title,
            warnings=tuple(warnings),
            places=tuple(places),
            repairs=tuple((key, count) for key, count in counted.items() if count),
        )


def _placed(issue: TextIssue, places: tuple[str, ...]) -> TextIssue:
    if issue.where or not 0 < issue.line <= len(places):
        return issue
    return issue._replace(where=places[issue.line - 1])


# --- the two syntaxes -----------------------------------------------------------------


def parse_markdown(text: str) -> ParsedText:
    """Parse a Markdown document (see the module docstring for the rules)."""
    lines = text.split("\n")
    b = _Builder(lines)
    in_fence = False
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip()
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            if line.strip():
                if b.pending is None or b.pending.kind != "paragraph":
                    b.begin("paragraph", number)
                b.append(line)
            else:
                b.flush()
            continue
        if not line.strip():
            if b.pending is not None and b.pending.kind == "recommendation" and not b.pending.lines:
                continue  # the recommendation's text follows after a blank line
            b.flush()
            continue
        pending = b.pending
        if (
            pending is not None
            and pending.kind == "paragraph"
            and len(pending.lines) == 1
            and (SETEXT_PART.match(line) or SETEXT_CHAPTER.match(line))
        ):
            title, start = pending.lines[0], pending.line
            b.pending = None
            if SETEXT_PART.match(line):
                b.start_part(start, title)
            else:
                b.start_chapter(start, title)
            continue
        reco = RECOMMENDATION.match(line)
        if reco:
            b.recommendation(number, reco)
            continue
        heading = MD_HEADING.match(line)
        if heading:
            level, title = len(heading.group(1)), heading.group(2) or ""
            if level == 1:
                b.start_part(number, title)
            elif level == 2:
                b.start_chapter(number, title)
            else:
                b.subheading(number, title)
            continue
        if MD_RULE.match(line):
            b.flush()
            continue
        bullet = MD_BULLET.match(line)
        if bullet:
            b.begin("item", number, bullet.group(2), indent=len(bullet.group(1).expandtabs(4)))
            continue
        quote = MD_QUOTE.match(line)
        if quote:
            if b.pending is None or b.pending.kind != "quote":
                b.begin("quote", number)
            b.append(quote.group(1))
            continue
        if b.pending is None:
            b.begin("paragraph", number)
        b.append(line.strip())
    return b.result("markdown", lines)


def parse_plain(text: str) -> ParsedText:
    """Parse a plain-text document (see the module docstring for the rules)."""
    lines, repairs = _without_page_furniture(text.split("\n"))
    if one_paragraph_per_line(lines):
        return _parse_lines(lines, repairs)
    b = _Builder(lines, join_hyphens=True)
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped:
            if b.pending is not None and b.pending.kind == "recommendation" and not b.pending.lines:
                continue
            b.flush()
            continue
        reco = RECOMMENDATION.match(stripped)
        if reco:
            b.recommendation(number, reco)
            continue
        starts_paragraph = b.pending is None
        if starts_paragraph and _is_heading_like(stripped):
            if PART_NUMBERED.match(stripped):
                b.start_part(number, stripped)
                continue
            if CHAPTER_NUMBERED.match(stripped) or _is_capitals(stripped):
                if _is_capitals(stripped) and b.continues_heading(number):
                    continue  # a capitals title broken over several lines
                b.start_chapter(number, stripped)
                continue
        bullet = PLAIN_BULLET.match(line)
        if bullet:
            b.begin("item", number, bullet.group(2), indent=len(bullet.group(1).expandtabs(4)))
            continue
        if b.pending is None:
            b.begin("paragraph", number)
        b.append(stripped)
    return b.result("plain", lines, repairs=repairs)


def _without_page_furniture(lines: list[str]) -> tuple[list[str], dict[str, int]]:
    """Blank out the page numbers and running footers of a text extracted from a PDF.

    Pages split by form feeds (``pdftotext``) have their edges compared; a text without them
    is read the way the seed's document is (:func:`noise_near_page_numbers`). Lines are blanked,
    never removed, so that every reported line number stays the file's.
    """
    from convention.domain.documents.repairs import (
        is_page_number,
        noise_near_page_numbers,
        running_key,
        running_lines,
    )

    if any("\f" in line for line in lines):
        pages: list[list[int]] = [[]]
        for index, line in enumerate(lines):
            for piece_number, _piece in enumerate(line.split("\f")):
                if piece_number:
                    pages.append([])
            pages[-1].append(index)
        page_numbers: set[int] = set()
        footers: set[int] = set()
        keys = running_lines([[lines[i].replace("\f", "") for i in page] for page in pages])
        for page in pages:
            filled = [i for i in page if lines[i].replace("\f", "").strip()]
            for i in filled[:2] + filled[-2:]:
                if is_page_number(lines[i].replace("\f", "")):
                    page_numbers.add(i)
                elif running_key(lines[i].replace("\f", "")) in keys:
                    footers.add(i)
    else:
        page_numbers, footers = noise_near_page_numbers(lines)
    cleaned = ["" if i in page_numbers or i in footers else line.replace("\f", "") for i, line in enumerate(lines)]
    return cleaned, {"page_numbers": len(page_numbers), "footers": len(footers)}


# --- one paragraph per line (a word processor's « texte brut ») ----------------------------------

_TERMINAL = (".", ",", ";", ":", "!", "?", "…", "»", ")", "\"", "”")
ORDERED_ITEM = re.compile(r"^(\s*)\d{1,3}[.)]\s+(.*)$")


def one_paragraph_per_line(lines: list[str]) -> bool:
    """Is the text written one paragraph per line (no blank line between them, no wrapped line)?

    Word processors save « texte brut » that way. A wrapped text has lines that go on in the
    next one (starting in lower case, or cut by a hyphen); a text with blank lines between its
    paragraphs is read the usual way.
    """
    filled = [line.strip() for line in lines]
    pairs = [(a, b) for a, b in zip(filled, filled[1:], strict=False) if a and b]
    if len(pairs) < 3:
        return False
    blank_between = sum(
        1 for index in range(1, len(filled) - 1) if not filled[index] and any(filled[:index]) and any(filled[index:])
    )
    if blank_between > len(pairs) / 4:
        return False
    goes_on = sum(
        1 for a, b in pairs if b[:1].islower() or ends_with_hyphenation(a) or a.endswith(",")
    )
    return goes_on <= len(pairs) / 10


def _is_short_heading(line: str) -> bool:
    """A short line without final punctuation, starting with a capital or a number."""
    stripped = line.strip()
    return (
        0 < len(stripped) <= 120
        and not stripped.endswith(_TERMINAL)
        and (stripped[:1].isupper() or stripped[:1].isdigit())
        and PLAIN_BULLET.match(stripped) is None
    )


def _parse_lines(lines: list[str], repairs: dict[str, int]) -> ParsedText:
    """Read a text written one paragraph per line (see :func:`one_paragraph_per_line`)."""
    elements: list[Element] = []
    filled = [(number, line) for number, line in enumerate(lines, start=1) if line.strip()]
    for index, (number, line) in enumerate(filled):
        stripped = line.strip()
        where = f"ligne {number}"
        previous = filled[index - 1][1] if index else ""
        following = filled[index + 1][1] if index + 1 < len(filled) else ""
        bullet = PLAIN_BULLET.match(line)
        ordered = ORDERED_ITEM.match(line)
        in_list = ORDERED_ITEM.match(previous) is not None or ORDERED_ITEM.match(following) is not None
        if bullet:
            indent = len(bullet.group(1).expandtabs(4))
            elements.append(Element("item", bullet.group(2), level=indent // 2, where=where, line=number))
        elif ordered and (in_list or stripped.endswith(_TERMINAL)):
            indent = len(ordered.group(1).expandtabs(4))
            elements.append(Element("item", ordered.group(2), level=indent // 2, where=where, line=number,
                                    ordered=True))  # fmt: skip
        elif RECOMMENDATION.match(stripped) is None and _is_short_heading(stripped) and following:
            level = 1 if PART_NUMBERED.match(stripped) else 2
            elements.append(Element("heading", stripped, level=level, where=where, line=number))
        else:
            elements.append(Element("paragraph", stripped, where=where, line=number))
    headings = [e for e in elements if e.kind == "heading"]
    if len(headings) >= 2 and elements and elements[0] is headings[0] and headings[0].level == 2:
        elements[0] = Element("title", headings[0].text, where=headings[0].where, line=headings[0].line)
    return parse_elements(elements, "plain", repairs=repairs, lines=lines)


# --- documents read as elements (DOCX, ODT, PDF) ---------------------------------------------------


@dataclass(frozen=True)
class Element:
    """One piece of a document as its reader found it, before it becomes parts, chapters and blocks.

    ``kind``: ``title`` (the document's title), ``heading`` (``level`` 1 the highest, as the
    document's outline numbers them), ``paragraph``, ``item`` (``level`` 0 for a top-level list
    item), ``note`` (a footnote's text, ``number`` its call) or ``row`` (a table row read as a
    paragraph). ``markdown`` is the text with its emphasis and note calls, when it has any, and
    ``emphasis`` the same bold and italic words as offsets in ``text``;
    ``number`` is a heading's number given by the document's automatic numbering.
    """

    kind: str
    text: str
    markdown: str = ""
    level: int = 0
    number: str = ""
    ordered: bool = False
    where: str = ""
    line: int = 0  # the source line (plain text); documents count their elements instead
    emphasis: tuple[Span, ...] = ()  # its bold and italic words, as offsets in ``text``


def heading_roles(levels: list[int]) -> dict[int, str]:
    """Outline level → ``part``, ``chapter`` or ``subheading``.

    With two levels or more, the highest is a part and the next a chapter; deeper ones are
    subheadings. With one level, its headings are chapters.
    """
    used = sorted(set(levels))
    if len(used) == 1:
        return {used[0]: "chapter"}
    roles = {level: "subheading" for level in used}
    if used:
        roles[used[0]] = "part"
        roles[used[1]] = "chapter"
    return roles


def parse_elements(
    elements: list[Element],
    fmt: str,
    *,
    warnings: tuple[TextIssue, ...] | list[TextIssue] = (),
    repairs: dict[str, int] | None = None,
    lines: list[str] | None = None,
) -> ParsedText:
    """Build parts, chapters and blocks from a document's elements (the rules of the Markdown parser).

    « … proposent : » followed by a list gives proposals; « RECOMMANDATION N° k » a recommendation
    (its text is the rest of the paragraph, or the next one); a paragraph typed as « - texte » or
    « • texte » is a list item. Each note is kept as a paragraph « [n] … » at the end of its chapter.
    Without ``lines`` (a document, not a text file), a source position is the element's rank and
    its place is its ``where``.
    """
    places: tuple[str, ...] = ()
    if lines is None:
        elements = [replace(e, line=rank) for rank, e in enumerate(elements, start=1)]
        places = tuple(e.where or f"élément {e.line}" for e in elements)
        lines = [_printable(e.text) for e in elements]
    roles = heading_roles([e.level for e in elements if e.kind == "heading"])
    b = _Builder(lines, markdown_inline=False)
    title = ""
    counted = dict(repairs or {})
    for element in elements:
        text = _printable(element.text)
        markdown = _printable(element.markdown)
        emphasis = {"emphasis": element.emphasis, "emphasis_source": text}
        line = element.line
        if element.kind == "title":
            if not title:
                title = " ".join(text.split())
                continue
            element = replace(element, kind="paragraph")
        pending = b.pending
        waiting = pending is not None and pending.kind == "recommendation" and not pending.lines
        if element.kind == "heading":
            role = roles[element.level]
            if role == "part":
                b.start_part(line, text, element.number)
            elif role == "chapter":
                b.start_chapter(line, text, element.number)
            else:
                b.subheading(line, f"{element.number} {text}" if element.number else text)
        elif element.kind == "note":
            b.add_note(f"[{element.number}] {text}", line)
            counted["notes"] = counted.get("notes", 0) + 1
        elif element.kind == "item":
            b.begin("item", line, text, indent=2 * element.level, markdown=markdown, **emphasis)
            b.flush()
        elif waiting and element.kind == "paragraph":
            b.append(text)
            pending.markdown = markdown
            pending.emphasis, pending.emphasis_source = element.emphasis, text
            b.flush()
        else:
            stripped = text.strip()
            reco = RECOMMENDATION.match(stripped)
            typed = PLAIN_BULLET.match(stripped)
            if reco:
                b.recommendation(line, reco)
                if reco.group(2).strip():
                    b.flush()
            elif typed and element.kind == "paragraph":
                b.begin("item", line, typed.group(2), markdown=_strip_marker(markdown), **emphasis)
                b.flush()
            else:
                b.begin("paragraph", line, text, markdown=markdown, **emphasis)
                b.flush()
    return b.result(fmt, lines, title=title, warnings=tuple(warnings), places=places, repairs=counted)


def _printable(text: str) -> str:
    """The text without control characters (a DOCX's vertical tab is a line break)."""
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Cs") else ch for ch in text)


def _strip_marker(markdown: str) -> str:
    match = PLAIN_BULLET.match(markdown.strip())
    return match.group(2) if match else markdown


def parse_document(text: str, fmt: str = "auto", filename: str = "") -> ParsedText:
    """Parse ``text`` as ``markdown``, ``plain`` or (``auto``) whatever it looks like."""
    if fmt == "auto":
        fmt = guess_format(text, filename)
    if fmt == "markdown":
        return parse_markdown(text)
    if fmt == "plain":
        return parse_plain(text)
    raise ValueError(f"unknown format {fmt!r}")


def parse_bytes(data: bytes, fmt: str = "auto", filename: str = "") -> ParsedText:
    """Decode then parse an uploaded file; decoding problems come back as errors."""
    text, errors = decode_document(data)
    if text is None:
        return ParsedText(parts=(), errors=tuple(errors), format=fmt)
    return parse_document(text, fmt, filename)


# --- a parsed document carried between two requests (the preview, then the publication) ---------------


def parsed_to_dict(parsed: ParsedText) -> dict:
    """A JSON-ready copy of ``parsed`` (what the preview showed is what gets published)."""

    def block(b: ParsedBlock) -> list:
        return [b.kind, b.text, b.number, b.line, b.markdown, [list(span) for span in b.emphasis]]

    return {
        "format": parsed.format,
        "title": parsed.title,
        "parts": [
            [p.number, p.title, p.line, [[c.number, c.title, c.line, [block(b) for b in c.blocks]] for c in p.chapters]]
            for p in parsed.parts
        ],
        "errors": [list(issue) for issue in parsed.errors],
        "warnings": [list(issue) for issue in parsed.warnings],
        "places": list(parsed.places),
        "repairs": [list(pair) for pair in parsed.repairs],
    }


def _block_from_list(values: list) -> ParsedBlock:
    """A block as :func:`parsed_to_dict` wrote it (without its emphasis when written before it was kept)."""
    kind, text, number, line, markdown, *rest = values
    if len(rest) > 1:
        raise ValueError("too many values for a block")
    text = str(text)
    emphasis = valid_spans(rest[0], text) if rest else ()
    return ParsedBlock(str(kind), text, str(number), int(line), str(markdown), emphasis)


def parsed_from_dict(data: dict) -> ParsedText:
    """The ParsedText :func:`parsed_to_dict` wrote; raises ValueError on anything else."""
    try:
        parts = tuple(
            ParsedPart(
                str(number),
                str(title),
                tuple(
                    ParsedChapter(
                        str(c_number),
                        str(c_title),
                        tuple(_block_from_list(block) for block in blocks),
                        int(c_line),
                    )
                    for c_number, c_title, c_line, blocks in chapters
                ),
                int(line),
            )
            for number, title, line, chapters in data["parts"]
        )
        return ParsedText(
            parts=parts,
            errors=tuple(TextIssue(int(a), str(b), str(c)) for a, b, c in data.get("errors", [])),
            format=str(data["format"]),
            title=str(data.get("title", "")),
            warnings=tuple(TextIssue(int(a), str(b), str(c)) for a, b, c in data.get("warnings", [])),
            places=tuple(str(p) for p in data.get("places", [])),
            repairs=tuple((str(k), int(v)) for k, v in data.get("repairs", [])),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"not a parsed document: {error}") from None
