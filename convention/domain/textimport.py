"""Parse a plain-text or Markdown document into parts, chapters and blocks.

Pure Python. The parser never raises on bad input: it returns what it could read
and a list of :class:`TextIssue` ``(line, message)`` in French; the caller writes
nothing unless that list is empty.

Markdown
    ``#`` part, ``##`` chapter, ``###`` and deeper: subheading block; paragraphs
    (lines joined until a blank line); ``-``, ``*``, ``+`` or ``1.`` bullets:
    list items; ``>``: quote. A bullet list introduced by a paragraph ending with
    « proposent : » gives proposal blocks. « RECOMMANDATION N° k » starts a
    recommendation whose text is the rest of its paragraph.
Plain text
    « PARTIE I … » or « I – Titre » at the start of a paragraph: part; a line in
    capitals or a numbered « 1 _ TITRE » / « 1. Titre » at the start of a
    paragraph: chapter; blank lines separate paragraphs; ``-``, ``•``, ``*`` bullets.

When no heading of a level gives its number, the headings are numbered in order
(parts I, II…; chapters 1, 2… within their part); otherwise the unnumbered ones
stay unnumbered. Text before the first heading goes to an unnumbered preamble.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import NamedTuple

from convention.domain.textstructure import BlockKind, roman

MAX_TITLE_LENGTH = 400
MAX_NUMBER_LENGTH = 10


class TextIssue(NamedTuple):
    """A problem found in a document; ``line`` is 1-based, 0 for the whole file."""

    line: int
    message: str


def format_issue(issue: TextIssue) -> str:
    """« ligne 12 : … », or the bare message for a file-level problem."""
    return f"ligne {issue.line} : {issue.message}" if issue.line else issue.message


@dataclass(frozen=True)
class ParsedBlock:
    kind: str
    text: str
    number: str = ""
    line: int = 0  # first source line


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


@dataclass(frozen=True)
class ParsedText:
    parts: tuple[ParsedPart, ...]
    errors: tuple[TextIssue, ...]
    format: str  # "markdown" | "plain"

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def blocks(self) -> list[ParsedBlock]:
        return [b for p in self.parts for c in p.chapters for b in c.blocks]

    def count(self, kind: str) -> int:
        return sum(1 for b in self.blocks if b.kind == kind)


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


class _Builder:
    """Collects parts, chapters and blocks, and the problems met on the way."""

    def __init__(self, source: list[str]) -> None:
        self.source = source
        self.parts: list[_Part] = []
        self.errors: list[TextIssue] = []
        self.pending: _Pending | None = None
        self.proposal_intro: int | None = None  # line of the « proposent : » paragraph
        self.proposal_items = 0
        self.recommendations: dict[str, int] = {}

    # structure

    def error(self, line: int, message: str) -> None:
        self.errors.append(TextIssue(line, message))

    def start_part(self, line: int, raw_title: str) -> None:
        self.flush()
        self.end_proposals()
        number, title = self._split_number(raw_title, part=True)
        if not title:
            self.error(line, "titre de partie vide.")
        if number is not None and any(p.number == number for p in self.parts):
            self.error(line, f"la partie {number} apparaît deux fois.")
        self.parts.append(
            _Part(number=number or "", title=title, line=line, numbered=number is not None)
        )

    def start_chapter(self, line: int, raw_title: str) -> None:
        self.flush()
        self.end_proposals()
        number, title = self._split_number(raw_title, part=False)
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
        title = clean_inline(raw)
        pattern = PART_NUMBERED if part else CHAPTER_NUMBERED
        match = pattern.match(title)
        if match:
            number = (match.group(1) or match.group(2)).upper()
            rest = clean_inline(match.group(3))
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

    def add_block(self, kind: BlockKind, text: str, line: int, number: str = "") -> None:
        chapter = self._chapter(line)
        chapter.blocks.append(ParsedBlock(kind=kind.value, text=text, number=number, line=line))

    # pending paragraph, item, quote or recommendation

    def begin(
        self, kind: str, line: int, first: str = "", *, indent: int = 0, number: str = ""
    ) -> None:
        self.flush()
        self.pending = _Pending(kind=kind, line=line, indent=indent, number=number)
        if first.strip():
            self.pending.lines.append(first)

    def append(self, line_text: str) -> None:
        assert self.pending is not None
        self.pending.lines.append(line_text)

    def flush(self) -> None:
        pending, self.pending = self.pending, None
        if pending is None:
            return
        text = clean_inline(" ".join(pending.lines))
        if pending.kind == "paragraph":
            if not text:
                return
            self.end_proposals()
            self.add_block(BlockKind.PARAGRAPH, text, pending.line)
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
                self.add_block(BlockKind.PROPOSAL, text, pending.line, str(chapter.proposals))
            else:
                self.add_block(BlockKind.LIST_ITEM, text, pending.line)
        elif pending.kind == "quote":
            self.end_proposals()
            if text:
                self.add_block(BlockKind.QUOTE, text, pending.line)
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
            self.add_block(BlockKind.RECOMMENDATION, text, pending.line, pending.number)

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
        text = clean_inline(title)
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

    def result(self, fmt: str, text_lines: list[str]) -> ParsedText:
        self.flush()
        self.end_proposals()
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
        return ParsedText(parts=tuple(parts), errors=tuple(errors), format=fmt)


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
    lines = text.split("\n")
    b = _Builder(lines)
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
    return b.result("plain", lines)


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
