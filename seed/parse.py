"""Parse the convention's raw PDF extraction into a :class:`SeedDocument`.

Pure Python (stdlib, and the text repairs it shares with the general importer:
:mod:`convention.domain.documents.repairs`). The raw document (``seed/data/document.txt``) is a
messy PDF extraction: chapter headings printed after their text or lost,
running footers, page numbers, line-end hyphenation, stray spaces before
punctuation. What no parser can guess lives in the curated outline
(``seed/data/outline.toml``): the logical order of parts and chapters, their
restored titles, text anchors giving where each chapter's body is, a few raw
fixes, and the metadata of the people, contributions and acronyms. The raw
document itself is never modified on disk.

Anchors are matched against lines of the raw text after stripping and
collapsing whitespace: an anchor designates the single line that *starts*
with it (an anchor matching no line or several lines is an error).

Run ``python -m seed.parse`` for a summary a human can check.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from convention.domain.documents.repairs import (  # noqa: F401  (re-exported: the seed's own API)
    KEEP_HYPHEN_PREFIXES,
    KEEP_HYPHEN_WORDS,
    clean_text,
    ends_with_hyphenation,
    join_hyphenated,
    join_lines,
    normalize_spaces,
    repair_punctuation,
)
from seed.records import (
    AcronymRecord,
    BlockRecord,
    ChapterRecord,
    ContributionRecord,
    ConventionRecord,
    EventRecord,
    PartRecord,
    PersonRecord,
    SeedDocument,
    SteeringRecord,
    WorkingGroupRecord,
)

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
DOCUMENT_PATH = DATA_DIR / "document.txt"
OUTLINE_PATH = DATA_DIR / "outline.toml"

FOOTER = "Sécurité et prévention de la délinquance"

# --------------------------------------------------------------------------
# Text repair (hyphenation, punctuation, spaces: convention.domain.documents.repairs)
# --------------------------------------------------------------------------


def is_noise(line: str) -> bool:
    """True for running footers and page numbers."""
    s = normalize_spaces(line)
    return s == FOOTER or re.fullmatch(r"\d{1,3}", s) is not None


def _key(text: str) -> str:
    """Anchor/name comparison key: whitespace collapsed, apostrophes unified."""
    return normalize_spaces(text).replace("’", "'")


def name_key(name: str) -> str:
    """Person comparison key: case-, hyphen- and apostrophe-insensitive."""
    return re.sub(r"[\s-]+", " ", _key(name)).casefold().strip()


def title_case(word: str) -> str:
    """« REZZAG-BARA » → « Rezzag-Bara », « L’HARIDON » → « L’Haridon »."""
    return re.sub(r"[^\W\d_]+", lambda m: m.group(0)[:1].upper() + m.group(0)[1:].lower(), word)


# --------------------------------------------------------------------------
# Outline
# --------------------------------------------------------------------------


class OutlineError(ValueError):
    """The outline does not match the document (missing or ambiguous anchor...)."""


def load_outline(path: str | Path = OUTLINE_PATH) -> dict:
    """Read the curated outline (TOML) into a dict."""
    with open(path, "rb") as fh:
        return tomllib.load(fh)


@dataclass
class _Raw:
    """The raw document as lines, with anchor lookup and coverage bookkeeping."""

    lines: list[str]
    covered: set[int] = field(default_factory=set)
    keys: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.keys = [_key(line) for line in self.lines]

    def find(self, anchor: str) -> int:
        """Index of the single line starting with ``anchor`` (« A >> B »: first B after A)."""
        if ">>" in anchor:
            before, _, after = anchor.partition(">>")
            start = self.find(before.strip())
            key = _key(after)
            for i in range(start + 1, len(self.lines)):
                if self.keys[i].startswith(key):
                    return i
            raise OutlineError(f"anchor not found: {anchor!r}")
        key = _key(anchor)
        hits = [i for i, line_key in enumerate(self.keys) if line_key.startswith(key)]
        if not hits:
            raise OutlineError(f"anchor not found: {anchor!r}")
        if len(hits) > 1:
            raise OutlineError(f"ambiguous anchor ({len(hits)} lines): {anchor!r}")
        return hits[0]

    def span(self, first: str, last: str) -> range:
        """Inclusive line range from the line starting with ``first`` to the one with ``last``."""
        a = self.find(first)
        b = self.find(last)
        if b < a:
            raise OutlineError(f"range ends before it starts: {first!r} .. {last!r}")
        return range(a, b + 1)

    def take(self, first: str, last: str) -> list[str]:
        """The lines of a span, marked as covered."""
        rng = self.span(first, last)
        self.covered.update(rng)
        return [self.lines[i] for i in rng]


def _apply_fixes(raw: str, fixes: Sequence[dict], warnings: list[str]) -> str:
    """Apply the outline's exact-string raw fixes (each must match exactly once)."""
    for fix in fixes:
        count = raw.count(fix["find"])
        if count != 1:
            raise OutlineError(f"raw fix must match exactly once ({count}): {fix['find']!r}")
        raw = raw.replace(fix["find"], fix["replace"])
    return raw


# --------------------------------------------------------------------------
# Blocks (paragraphs, bullets, subheadings, recommendations)
# --------------------------------------------------------------------------

_BULLET = re.compile(r"^•\s*")
_DASH_ITEM = re.compile(r"^[-–]\s+")
_GT_ITEM = re.compile(r"^>\s*")
_RECOMMENDATION = re.compile(r"^RECOMMANDATION N°\s*(\d+)\s*$")
_TERMINAL = re.compile(r"[.:!?…]\s*[»”\"]?$")
_PROPOSAL_INTRO = re.compile(
    r"\b(proposent|proposons|recommandons|recommandant|recommande|préconisons|"
    r"rejoignent|rejoignons|rejoint)\b",
    re.IGNORECASE,
)


def _is_caps_heading(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 6 and all(c.isupper() for c in letters) and " " in line.strip()


@dataclass
class _Draft:
    kind: str  # paragraph | subheading | bullet | list_item | recommendation
    lines: list[str]
    number: str = ""

    def text(self) -> str:
        return join_lines(self.lines)


def _split_blocks(
    lines: Sequence[str], subheadings: Sequence[str], breaks: Sequence[str] = ()
) -> list[_Draft]:
    """Rebuild blocks from wrapped lines (see the module docstring for the rules)."""
    sub_keys = [_key(s) for s in subheadings]
    break_keys = [_key(b) for b in breaks]
    drafts: list[_Draft] = []
    current: _Draft | None = None
    blank = False
    for raw_line in lines:
        s = normalize_spaces(raw_line)
        if not s or is_noise(s):
            blank = True
            continue
        start: _Draft | None = None
        rec = _RECOMMENDATION.match(s)
        if rec:
            start = _Draft("recommendation", [], rec.group(1))
        elif _BULLET.match(s):
            start = _Draft("bullet", [_BULLET.sub("", s)])
        elif _GT_ITEM.match(s):
            start = _Draft("list_item", [_GT_ITEM.sub("", s)])
        elif _DASH_ITEM.match(s) and (
            s.lstrip("-– ")[:1].isupper()
            or (current is not None and current.kind == "list_item")
            or (current is not None and current.lines and current.lines[-1].rstrip().endswith(":"))
        ):
            start = _Draft("list_item", [_DASH_ITEM.sub("", s)])
        elif any(_key(s).startswith(k) for k in sub_keys) or (
            _is_caps_heading(s)
            and (
                current is None
                or blank
                or current.kind == "subheading"
                or bool(_TERMINAL.search(current.lines[-1].rstrip() if current.lines else "."))
            )
        ):
            if current is not None and current.kind == "subheading" and not blank:
                current.lines.append(s)
                continue
            start = _Draft("subheading", [s])
        if start is not None:
            current = start
            drafts.append(current)
            blank = False
            continue
        # an ordinary text line: continuation or new paragraph?
        if current is None or current.kind == "subheading":
            new = True
        elif any(_key(s).startswith(k) for k in break_keys):
            new = True
        elif current.kind == "recommendation" and not current.lines:
            new = False
        else:
            prev = current.lines[-1] if current.lines else ""
            lower = s[:1].islower() or ends_with_hyphenation(prev.rstrip())
            if blank:
                new = not lower
            elif current.kind in ("bullet", "list_item", "recommendation"):
                # items only end on a blank line, except at a page start (raw leading space)
                new = (
                    raw_line[:1].isspace()
                    and bool(_TERMINAL.search(prev.rstrip()))
                    and s[:1].isupper()
                )
            else:
                new = bool(_TERMINAL.search(prev.rstrip())) and s[:1].isupper()
        if new:
            current = _Draft("paragraph", [s])
            drafts.append(current)
        else:
            current.lines.append(s)
        blank = False
    return drafts


def _build_blocks(
    lines: Sequence[str], chapter: dict, subheadings: Sequence[str], breaks: Sequence[str] = ()
) -> tuple[BlockRecord, ...]:
    """Turn a chapter's raw lines into numbered blocks, marking proposals."""
    drafts = _split_blocks(lines, subheadings, breaks)
    openers = [_key(a) for a in chapter.get("proposal_intros", [])]
    closers = [_key(a) for a in chapter.get("list_intros", [])]
    promoted = [_key(a) for a in chapter.get("proposal_paragraphs", [])]
    used: set[str] = set()
    blocks: list[BlockRecord] = []
    in_proposals = False
    proposal_no = 0
    for draft in drafts:
        text = draft.text()
        if not text:
            continue
        key = _key(text)
        kind = draft.kind
        if kind == "paragraph":
            hit_open = next((a for a in openers if key.startswith(a)), None)
            hit_close = next((a for a in closers if key.startswith(a)), None)
            hit_promo = next((a for a in promoted if key.startswith(a)), None)
            for hit in (hit_open, hit_close, hit_promo):
                if hit:
                    used.add(hit)
            if hit_close:
                in_proposals = False
            elif hit_open or (_PROPOSAL_INTRO.search(text) and text.endswith(":")):
                in_proposals = True
            elif text.endswith(":"):
                in_proposals = False
            if hit_promo:
                proposal_no += 1
                blocks.append(BlockRecord("proposal", text, str(proposal_no)))
                continue
            blocks.append(BlockRecord("paragraph", text))
        elif kind == "bullet":
            if in_proposals:
                proposal_no += 1
                blocks.append(BlockRecord("proposal", text, str(proposal_no)))
            else:
                blocks.append(BlockRecord("list_item", text))
        elif kind == "recommendation":
            blocks.append(BlockRecord("recommendation", text, draft.number))
        else:
            blocks.append(BlockRecord(kind, text))
    missing = [a for a in openers + closers + promoted if a not in used]
    if missing:
        raise OutlineError(
            f"block anchors not found in chapter {chapter.get('title', '')!r}: {missing}"
        )
    return tuple(blocks)


# --------------------------------------------------------------------------
# The text: parts and chapters
# --------------------------------------------------------------------------


def _chapter_title(raw: _Raw, chapter: dict) -> str:
    """The chapter's title: the printed heading's lines, or the outline's restored title."""
    heading = chapter.get("heading")
    printed = ""
    if heading:
        rng = raw.span(heading["from"], heading["to"])
        raw.covered.update(rng)
        printed = join_lines(raw.lines[i] for i in rng)
        printed = re.sub(r"^\d+\s*_\s*", "", printed)
    title = chapter.get("title") or printed
    if not title:
        raise OutlineError(f"chapter without title nor heading: {chapter}")
    return clean_text(title)


def _parse_parts(raw: _Raw, outline: dict, warnings: list[str]) -> tuple[PartRecord, ...]:
    subheadings = outline.get("text", {}).get("subheadings", [])
    breaks = outline.get("text", {}).get("paragraph_starts", [])
    for block in outline.get("text", {}).get("ignore", []):
        raw.covered.update(raw.span(block["from"], block["to"]))
    parts = []
    for part in outline["parts"]:
        if part.get("heading"):
            raw.covered.update(raw.span(part["heading"]["from"], part["heading"]["to"]))
        if part.get("title_source") == "reconstructed":
            warnings.append(f"Titre de partie reconstitué (perdu à l'extraction) : {part['title']}")
        chapters = []
        for chapter in part["chapters"]:
            title = _chapter_title(raw, chapter)
            if chapter.get("title_source") == "reconstructed":
                warnings.append(
                    f"Titre de chapitre reconstitué (perdu à l'extraction) : "
                    f"partie {part['number'] or 'préambule'}, chapitre {chapter['number'] or '-'} « {title} »"
                )
            lines: list[str] = []
            for first, last in chapter["segments"]:
                seg = raw.take(first, last)
                while seg and not normalize_spaces(seg[0]):
                    seg.pop(0)
                while seg and not normalize_spaces(seg[-1]):
                    seg.pop()
                lines.extend(seg)
            blocks = _build_blocks(lines, chapter, subheadings, breaks)
            chapters.append(ChapterRecord(str(chapter["number"]), title, blocks))
        parts.append(PartRecord(str(part["number"]), clean_text(part["title"]), tuple(chapters)))
    return tuple(parts)


# --------------------------------------------------------------------------
# People and steering
# --------------------------------------------------------------------------

_UP = "A-ZÀ-ÖØ-Þ"
_LO = "a-zß-öø-ÿ"
_NAME_LINE = re.compile(
    rf"^(?P<first>[{_UP}][{_LO}]+(?:-[{_UP}][{_LO}]+)?)\s+"
    r"(?P<last>[A-ZÉÈÀÇ'’][A-ZÉÈÀÇ'’-]+(?:\s+[A-ZÉÈÀÇ'’-]{2,})*)$"
)
_NAME_IN_TEXT = re.compile(
    rf"(?P<first>[{_UP}][{_LO}]+(?:-[{_UP}][{_LO}]+)?)\s+"
    r"(?P<last>[A-ZÉÈ][A-Za-zÉÈÀÇéèëç'’-]+(?:\s[A-ZÉÈ]{2,}[A-ZÉÈ'’-]*)*)"
)


class _People:
    """Registry of PersonRecords keyed by a spelling-insensitive name key."""

    def __init__(self, aliases: dict[str, str]) -> None:
        self._records: dict[str, PersonRecord] = {}
        self._aliases = {name_key(k): v for k, v in aliases.items()}

    def canonical(self, name: str) -> str:
        """The registered full name for a spelling variant, else the name itself."""
        name = normalize_spaces(name)
        key = name_key(self._aliases.get(name_key(name), name))
        return self._records[key].full_name if key in self._records else name

    def add(self, full_name: str, titles: str = "", organisation: str = "") -> str:
        """Register someone (merging spelling variants); return the canonical full name."""
        full_name = normalize_spaces(self._aliases.get(name_key(full_name), full_name))
        key = name_key(full_name)
        if key in self._records:
            old = self._records[key]
            self._records[key] = PersonRecord(
                old.full_name,
                old.first_name,
                old.last_name,
                old.titles or titles,
                old.organisation or organisation,
            )
            return old.full_name
        first, _, last = full_name.partition(" ")
        self._records[key] = PersonRecord(full_name, first, title_case(last), titles, organisation)
        return full_name

    def __contains__(self, name: str) -> bool:
        return name_key(self._aliases.get(name_key(name), name)) in self._records

    def records(self) -> tuple[PersonRecord, ...]:
        return tuple(self._records.values())

    def find_in(self, text: str) -> list[str]:
        """Registered people named in ``text`` (any spelling), in order of appearance."""
        found: list[tuple[int, str]] = []
        flat = name_key(text)
        for key, record in self._records.items():
            pos = flat.find(key)
            if pos >= 0:
                found.append((pos, record.full_name))
        for alias, target in self._aliases.items():
            pos = flat.find(alias)
            if pos >= 0 and target in self:
                found.append((pos, self.canonical(target)))
        seen: list[str] = []
        for _, name in sorted(found):
            if name not in seen:
                seen.append(name)
        return seen


def _parse_bios(lines: Sequence[str]) -> list[tuple[str, str, str]]:
    """(section marker, full name, biography) for each person of the steering pages."""
    people: list[tuple[str, str, list[list[str]]]] = []
    section = ""
    for line in lines:
        s = normalize_spaces(line)
        if not s:
            if people and people[-1][2] and people[-1][2][-1]:
                people[-1][2].append([])
            continue
        upper = s.upper()
        if upper.startswith("LES PILOTES"):
            section = "pilot"
            continue
        if upper.startswith("LES CO-PILOTES"):
            section = "co_pilot"
            continue
        if upper.startswith("LES MEMBRES"):
            section = "committee"
            continue
        if upper in {"DE LA CONVENTION", "DU COMITÉ DE PILOTAGE"}:
            continue
        if _NAME_LINE.match(s):
            people.append((section, s, [[]]))
            continue
        if not people:
            continue
        people[-1][2][-1].append(s)
    out = []
    for section, name, paragraphs in people:
        bio = "\n".join(join_lines(p) for p in paragraphs if p)
        out.append((section, name, bio))
    return out


def _parse_committee_paragraph(text: str) -> list[tuple[str, str, str]]:
    """(name, representing, note) from « Le comité est par ailleurs composé de : … »."""
    body = text.split("composé de :", 1)[-1]
    out: list[tuple[str, str, str]] = []
    for chunk in body.split(";"):
        chunk = chunk.strip().removeprefix("et ").strip()
        rep = re.search(r"\(pour le ([^)]+)\)", chunk)
        representing = rep.group(1).strip() if rep else ""
        names = [m.group(0) for m in _NAME_IN_TEXT.finditer(chunk)]
        names = [n for n in names if re.search(r"\s[A-ZÉÈ'’-]{2,}$", n)]
        if " puis " in chunk and len(names) >= 2:
            old, new = names[0], names[1]
            out.append((old, representing, f"Remplacé par {new}"))
            out.append((new, representing, f"A succédé à {old}"))
        elif names:
            out.append((names[0], representing, ""))
    return out


# --------------------------------------------------------------------------
# Working groups, events, contributions, acronyms
# --------------------------------------------------------------------------


def _parse_working_groups(lines: Sequence[str], people: _People) -> tuple[WorkingGroupRecord, ...]:
    items: list[list[str]] = []
    for line in lines:
        s = normalize_spaces(line)
        if s.startswith("•"):
            items.append([s.lstrip("• ")])
        elif s and items:
            items[-1].append(s)
    groups = []
    for number, item in enumerate(items, start=1):
        text = join_lines(item)
        match = re.match(r"^«\s*(?P<title>.+?)\s*»\s*,?\s*animé par\s+(?P<who>.+)$", text)
        if not match:
            raise OutlineError(f"working group not understood: {text!r}")
        who = re.split(r"\s+et\s+", match.group("who"))
        animators = tuple(people.add(w.strip()) for w in who)
        groups.append(WorkingGroupRecord(number, match.group("title"), animators))
    return tuple(groups)


_MONTHS = {
    "JANVIER": 1, "FÉVRIER": 2, "MARS": 3, "AVRIL": 4, "MAI": 5, "JUIN": 6, "JUILLET": 7,
    "AOÛT": 8, "SEPTEMBRE": 9, "OCTOBRE": 10, "NOVEMBRE": 11, "DÉCEMBRE": 12,
}  # fmt: skip
_DATE_LINE = re.compile(r"^(\d{1,2}) (" + "|".join(_MONTHS) + r")\b\s*(.*)$")
_EXPERT = re.compile(rf"[Aa]udition de (?P<name>[{_UP}][{_LO}]+ [{_UP}][{_UP}{_LO}'’-]+)")


def _event_kind(text: str) -> str:
    low = text.lower()
    if re.search(
        r"rencontre avec la fédération|réunion fédérale|^fédération |lieu : fédération", low
    ):
        return "federation_meeting"
    if "réunion du groupe de travail" in low or "présentation du groupe de travail" in low:
        return "working_group"
    if "audition" in low:
        return "hearing"
    if "débat" in low:
        return "debate"
    if "atelier" in low:
        return "workshop"
    return "other"


def _event_title(text: str, people: _People) -> str:
    """A short title: the entry without its leading list of hosts, cut before details."""
    title = text
    while True:
        m = _NAME_IN_TEXT.match(title)
        rest = title[m.end() :] if m else ""
        sep = re.match(r"\s*(?:,|:|et\b)\s*", rest)
        if not m or m.group(0) not in people or not sep:
            break
        title = rest[sep.end() :]
    title = re.split(r"\s+Lieu\s*:|\s+Cycle d’auditions|\s+Cycle d'auditions", title)[0]
    title = title.strip(" ,:")
    return title[:1].upper() + title[1:]


def _parse_events(
    lines: Sequence[str], outline: dict, people: _People, warnings: list[str]
) -> tuple[EventRecord, ...]:
    cfg = outline["events"]
    year = int(cfg["year"])
    aliases: list[tuple[str, list[int]]] = [
        (_key(a["text"]), [int(n) for n in a["groups"]]) for a in cfg["group_aliases"]
    ]
    hosts_all = [people.canonical(n) for n in cfg.get("steering_all", [])]
    entries: list[tuple[dt.date, list[str]]] = []
    for line in lines:
        s = normalize_spaces(line)
        match = _DATE_LINE.match(s)
        if match:
            date = dt.date(year, _MONTHS[match.group(2)], int(match.group(1)))
            entries.append((date, [match.group(3)] if match.group(3) else []))
        elif s and entries:
            entries[-1][1].append(s)
    events: list[EventRecord] = []
    overrides = {(o["date"], int(o.get("index", 1))): o for o in cfg.get("overrides", [])}
    per_day: dict[dt.date, int] = {}
    for date, entry_lines in entries:
        # one dated entry may hold several events: « Matin : … » / « Soir : … »
        chunks: list[tuple[str, list[str]]] = []
        for s in entry_lines:
            m = re.match(r"^(Matin|Après-midi|Soir)\s*:\s*(.*)$", s)
            if m:
                chunks.append((m.group(1), [m.group(2)]))
            elif chunks:
                chunks[-1][1].append(s)
            else:
                chunks.append(("", [s]))
        merged: list[tuple[str, list[str]]] = []
        for part, chunk in chunks:
            if merged and not part and not merged[-1][0]:
                merged[-1][1].extend(chunk)
            else:
                merged.append((part, chunk))
        for part_of_day, chunk in merged:
            per_day[date] = per_day.get(date, 0) + 1
            description = join_lines(chunk)
            experts = []
            for m in _EXPERT.finditer(description):
                experts.append(people.add(m.group("name")))
            named = [p for p in people.find_in(description) if p not in experts]
            if re.search(r"tous les membres du comité de pilotage", description):
                named = named + [p for p in hosts_all if p not in named]
            groups: list[int] = []
            found = sorted(
                (description.replace("’", "'").find(a), nums)
                for a, nums in aliases
                if a in description.replace("’", "'")
            )
            for _, nums in found:
                groups.extend(n for n in nums if n not in groups)
            kind = _event_kind(description)
            federation = ""
            fed = re.search(
                r"[Ff]édération (?:de la |de l'|de l’|d'|d’|du |des |de )?"
                r"(?P<name>[A-ZÉÎ][\w'’-]*(?:-[\w'’-]+)*)",
                description,
            )
            if kind == "federation_meeting":
                if fed:
                    federation = fed.group("name")
                else:
                    isere = re.search(r"militants de l['’](?P<name>[A-ZÉÎ][\w-]+)", description)
                    federation = isere.group("name") if isere else ""
            place = ""
            lieu = re.search(r"Lieu\s*:\s*(.+)$", description)
            if lieu:
                place = lieu.group(1).strip()
            else:
                paren = re.search(r"\((?P<p>[A-ZÉ][\w'’ -]+?)(?:\s*:[^)]*)?\)", description)
                if paren:
                    place = paren.group("p").strip()
            over = overrides.get((date.isoformat(), per_day[date]), {})
            events.append(
                EventRecord(
                    date=date,
                    kind=over.get("kind", kind),
                    title=over.get("title") or _event_title(description, people),
                    description=description,
                    people=tuple(named),
                    experts=tuple(experts),
                    working_groups=tuple(groups),
                    place=over.get("place", place),
                    federation=over.get("federation", federation),
                    part_of_day=part_of_day,
                    position=len(events) + 1,
                )
            )
    for o in overrides:
        if per_day.get(dt.date.fromisoformat(o[0]), 0) < o[1]:
            raise OutlineError(f"event override matches no event: {o}")
    return tuple(events)


_CONTRIB_LINE = re.compile(r"^(\d{1,2})\s*\.\s*(.*)$")


def _balance_quotes(text: str) -> str:
    opens, closes = text.count("«"), text.count("»")
    if opens > closes:
        text = text + " »" * (opens - closes)
    return text


def _parse_contribution_list(lines: Sequence[str]) -> list[tuple[int, str]]:
    items: list[tuple[int, list[str]]] = []
    for line in lines:
        s = normalize_spaces(line)
        m = _CONTRIB_LINE.match(s)
        if m:
            items.append((int(m.group(1)), [m.group(2)]))
        elif s and items:
            items[-1][1].append(s)
    return [(n, _balance_quotes(join_lines(ls))) for n, ls in items]


def _parse_contributions(
    raw: _Raw, outline: dict, warnings: list[str]
) -> tuple[ContributionRecord, ...]:
    cfg = outline["contributions"]
    meta = {(m["list"], int(m["number"])): m for m in cfg.get("meta", [])}
    used = set()
    out = []
    for list_name, span in (("platform", cfg["platform"]), ("email", cfg["email"])):
        items = _parse_contribution_list(raw.take(*span))
        numbers = [n for n, _ in items]
        expected = list(range(1, max(numbers) + 1))
        for gap in sorted(set(expected) - set(numbers)):
            warnings.append(
                f"Contributions ({list_name}) : le numéro {gap} manque dans la liste imprimée "
                f"(numéros conservés tels qu'imprimés)."
            )
        for number, title in items:
            m = meta.get((list_name, number), {})
            used.add((list_name, number))
            title = m.get("title", title)
            for key in ("author", "section"):
                if m.get(key) and name_key(m[key]) not in name_key(title):
                    warnings.append(
                        f"Contribution {list_name} {number} : « {m[key]} » absent du titre."
                    )
            out.append(
                ContributionRecord(
                    list_name=list_name,
                    number=number,
                    title=title,
                    author_name=m.get("author", ""),
                    section=m.get("section", ""),
                    federation=m.get("federation", ""),
                )
            )
    unused = set(meta) - used
    if unused:
        raise OutlineError(f"contribution metadata for unknown entries: {sorted(unused)}")
    return tuple(out)


_ACRONYM_LINE = re.compile(r"^(?P<abbr>[A-Z][A-Z0-9]{1,9})\s*[_–-]\s+(?P<rest>.*)$")


def _parse_acronyms(
    lines: Sequence[str], outline: dict, warnings: list[str]
) -> tuple[AcronymRecord, ...]:
    items: list[tuple[str, list[str]]] = []
    for line in lines:
        s = normalize_spaces(line)
        if not s or s.upper().startswith("MÉTHODOLOGIE"):
            continue
        m = _ACRONYM_LINE.match(s)
        if m:
            items.append((m.group("abbr"), [m.group("rest")]))
        elif items:
            items[-1][1].append(s)
    corrections = {c["abbreviation"]: c for c in outline["acronyms"].get("corrections", [])}
    out = []
    for abbr, parts in items:
        expansion = join_lines(parts)
        fix = corrections.pop(abbr, None)
        if fix and _key(fix.get("source", expansion)) != _key(expansion):
            warnings.append(
                f"Acronyme {abbr} : le texte source a changé ({expansion!r}), correction à revoir."
            )
        out.append(
            AcronymRecord(
                abbr,
                expansion,
                fix["corrected"] if fix else "",
                fix["note"] if fix else "",
            )
        )
    if corrections:
        raise OutlineError(f"acronym corrections for unknown abbreviations: {sorted(corrections)}")
    return tuple(out)


# --------------------------------------------------------------------------
# Convention
# --------------------------------------------------------------------------


def _parse_convention(flat: str, outline: dict, warnings: list[str]) -> ConventionRecord:
    cfg = outline["convention"]
    for evidence in cfg.get("evidence", []):
        if _key(evidence) not in flat:
            warnings.append(f"Date clé : « {evidence} » introuvable dans le document.")
    if _key(cfg["initiator_evidence"]) not in flat:
        warnings.append(f"Initiateur : « {cfg['initiator_evidence']} » introuvable.")
    return ConventionRecord(
        slug=cfg["slug"],
        title=cfg["title"],
        short_title=cfg["short_title"],
        initiator=cfg["initiator"],
        description=normalize_spaces(cfg["description"]),
        working_groups_start=cfg["working_groups_start"],
        working_groups_end=cfg["working_groups_end"],
        national_bureau_on=cfg["national_bureau_on"],
        members_vote_on=cfg["members_vote_on"],
        convention_day_on=cfg["convention_day_on"],
    )


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------


def parse_document(raw: str, outline: dict) -> SeedDocument:
    """Parse the raw extraction with the curated outline into a SeedDocument."""
    warnings: list[str] = []
    raw = _apply_fixes(raw, outline.get("fixes", []), warnings)
    doc = _Raw(raw.splitlines())
    flat = _key(join_lines(doc.lines))
    sections = outline["sections"]

    people = _People(outline.get("people", {}).get("aliases", {}))
    steering: list[SteeringRecord] = []

    # pilots and committee, with their biographies
    bios = _parse_bios(doc.take(*sections["steering"]))
    labels = outline["steering"]["labels"]
    for _section, name, bio in bios:
        people.add(name, titles=bio)
    committee_text = join_lines(doc.lines[i] for i in doc.span(*sections["committee_paragraph"]))
    committee = _parse_committee_paragraph(committee_text)
    co_pilot_note = outline["steering"].get("pilot_note", "")
    position = 0
    for section, name, _bio in bios:
        if section != "pilot":
            continue
        position += 1
        steering.append(
            SteeringRecord(
                people.canonical(name), "pilot", labels["pilot"], "", co_pilot_note, position
            )
        )
    if not any(section == "co_pilot" for section, _, _ in bios):
        warnings.append(
            "La rubrique « LES CO-PILOTES » est vide dans l'extraction : aucun co-pilote distinct "
            "n'est importé (le comité est « co-piloté » par les deux pilotes)."
        )
    extra = {name_key(n): (rep, note) for n, rep, note in committee}
    committee_order = [people.canonical(n) for s, n, _ in bios if s == "committee"]
    for name, _rep, _note in committee:
        canonical = people.add(name)
        if canonical not in committee_order:
            # named by the paragraph only (e.g. a former member): place before the successor
            successor = next(
                (people.canonical(n) for n, _r, note in committee if note == f"A succédé à {name}"),
                None,
            )
            idx = (
                committee_order.index(successor)
                if successor in committee_order
                else len(committee_order)
            )
            committee_order.insert(idx, canonical)
    representing_default = outline["steering"].get("representing", {})
    for name in committee_order:
        rep, note = extra.get(name_key(name), ("", ""))
        rep = rep or representing_default.get(name, "")
        position += 1
        steering.append(SteeringRecord(name, "committee", labels["committee"], rep, note, position))
    missing = [n for n in committee_order if name_key(n) not in extra]
    if missing:
        warnings.append(f"Membres du comité absents du paragraphe « composé de » : {missing}")

    # other party people named by the calendar (declared in the outline)
    for person in outline.get("people", {}).get("extra", []):
        people.add(
            person["name"],
            titles=person.get("titles", ""),
            organisation=person.get("organisation", ""),
        )

    working_groups = _parse_working_groups(
        [doc.lines[i] for i in doc.span(*sections["working_groups"])], people
    )

    events_cfg = dict(outline["events"])
    former = {people.canonical(n) for n in outline["steering"].get("former", [])}
    events_cfg["steering_all"] = [s.person for s in steering if s.person not in former]
    events = _parse_events(
        doc.take(*sections["calendar"]), {"events": events_cfg}, people, warnings
    )
    for expert in outline.get("people", {}).get("experts", []):
        if expert["name"] not in people:
            raise OutlineError(f"expert not found in the calendar: {expert['name']}")
        for key in ("organisation", "titles"):
            if expert.get(key) and _key(expert[key]) not in flat:
                warnings.append(f"Expert {expert['name']} : « {expert[key]} » absent du document.")
        people.add(
            expert["name"],
            titles=expert.get("titles", ""),
            organisation=expert.get("organisation", ""),
        )

    contributions = _parse_contributions(doc, outline, warnings)
    acronyms = _parse_acronyms(doc.take(*sections["acronyms"]), outline, warnings)
    convention = _parse_convention(flat, outline, warnings)
    parts = _parse_parts(doc, outline, warnings)

    # everything of the document must be somewhere
    for i, line in enumerate(doc.lines):
        if i not in doc.covered and normalize_spaces(line) and not is_noise(line):
            warnings.append(f"Ligne {i + 1} non reprise : {normalize_spaces(line)!r}")

    warnings.extend(_text_checks(parts, acronyms))
    for w in warnings:
        logger.debug("seed warning: %s", w)
    return SeedDocument(
        convention=convention,
        people=people.records(),
        steering=tuple(steering),
        working_groups=working_groups,
        events=events,
        contributions=contributions,
        acronyms=acronyms,
        parts=parts,
        warnings=tuple(warnings),
    )


def _text_checks(parts: Sequence[PartRecord], acronyms: Sequence[AcronymRecord]) -> list[str]:
    """Dubious things in the rebuilt text worth a human look."""
    out: list[str] = []
    known = {a.abbreviation for a in acronyms}
    seen: set[str] = set()
    for part in parts:
        for chapter in part.chapters:
            for block in chapter.blocks:
                for m in re.finditer(r"\(([A-Z]{3,6})\)", block.text):
                    abbr = m.group(1)
                    if abbr not in known and abbr not in seen:
                        seen.add(abbr)
                        out.append(
                            f"Sigle {abbr} employé dans le texte mais absent de la liste des acronymes."
                        )
                if re.search(r"\w-\s|\s-\w", block.text) and not re.search(r"\s-\s", block.text):
                    out.append(f"Tiret suspect : {block.text[:80]!r}")
                if not re.search(r"[.!?:;…»)”\"]$", block.text) and block.kind in (
                    "paragraph",
                    "proposal",
                ):
                    out.append(
                        f"Bloc sans ponctuation finale (partie {part.number or 'préambule'}, "
                        f"chapitre {chapter.number or '-'}) : …{block.text[-60:]!r}"
                    )
    return out


def summary(doc: SeedDocument) -> str:
    """A human-readable summary: counts, then the outline with block counts."""
    blocks = [b for p in doc.parts for c in p.chapters for b in c.blocks]
    count = lambda kind: sum(1 for b in blocks if b.kind == kind)  # noqa: E731
    lines = [
        f"Convention : {doc.convention.title} ({doc.convention.slug})",
        f"  groupes de travail {doc.convention.working_groups_start} → {doc.convention.working_groups_end}, "
        f"BN {doc.convention.national_bureau_on}, vote {doc.convention.members_vote_on}, "
        f"convention {doc.convention.convention_day_on}",
        f"Personnes : {len(doc.people)}  pilotage : {len(doc.steering)}  groupes : {len(doc.working_groups)}",
        f"Événements : {len(doc.events)}  contributions : {len(doc.contributions)} "
        f"(plateforme {sum(c.list_name == 'platform' for c in doc.contributions)}, "
        f"courriel {sum(c.list_name == 'email' for c in doc.contributions)})  acronymes : {len(doc.acronyms)}",
        f"Parties : {len(doc.parts)}  chapitres : {sum(len(p.chapters) for p in doc.parts)}  "
        f"blocs : {len(blocks)}  propositions : {count('proposal')}  "
        f"recommandations : {count('recommendation')}  intertitres : {count('subheading')}",
        "",
    ]
    for part in doc.parts:
        lines.append(f"PARTIE {part.number or '(préambule)'} — {part.title}")
        for ch in part.chapters:
            kinds = {
                k: sum(1 for b in ch.blocks if b.kind == k)
                for k in ("paragraph", "proposal", "list_item", "subheading", "recommendation")
            }
            detail = ", ".join(f"{v} {k}" for k, v in kinds.items() if v)
            lines.append(f"  {ch.number or '-':>2} {ch.title}  [{detail}]")
    lines.append("")
    lines.append(f"Avertissements ({len(doc.warnings)}) :")
    lines.extend(f"  - {w}" for w in doc.warnings)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m seed.parse [--text]``: print the summary (and the whole text with --text)."""
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    doc = parse_document(DOCUMENT_PATH.read_text(encoding="utf-8"), load_outline(OUTLINE_PATH))
    print(summary(doc))
    if "--text" in args:
        for part in doc.parts:
            print(f"\n=== {part.number} {part.title}")
            for ch in part.chapters:
                print(f"\n--- {ch.number} {ch.title}")
                for b in ch.blocks:
                    tag = f"{b.kind}{' ' + b.number if b.number else ''}"
                    print(f"[{tag}] {b.text}")
    if "--records" in args:
        for rec in (
            *doc.people,
            *doc.steering,
            *doc.working_groups,
            *doc.events,
            *doc.contributions,
            *doc.acronyms,
        ):
            print(rec)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
