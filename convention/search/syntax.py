"""Pure helpers: normalise a user's query, turn it into an FTS5 query, mark up an excerpt.

No Flask, no SQLAlchemy: unit-tested on their own.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from markupsafe import Markup, escape

# Sentinels around the matched words in excerpts (Unicode private use area: they never
# reach the index, ``clean_text`` removes them from every indexed text).
MARK_START = "\ue000"
MARK_STOP = "\ue001"

MAX_QUERY_LENGTH = 200

# Words too common to narrow a search (PostgreSQL's French configuration drops them too).
FRENCH_STOPWORDS = frozenset(
    "a au aux avec ce ces dans de des du elle en et il ils je la le les leur lui ma mais me "
    "mes mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes ton "
    "tu un une vos votre vous y est sont".split()
)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ue000\ue001]")
_TOKEN = re.compile(r'(-?)"([^"]*)"|(-?)([^\s"]+)')
_WORD = re.compile(r"\w+")


def clean_text(text: str | None) -> str:
    """``text`` without control characters nor the excerpt sentinels."""
    return _CONTROL.sub(" ", text or "")


def normalise_query(query: str | None) -> str:
    """The query as typed, cleaned (no control characters), collapsed and shortened."""
    text = " ".join(clean_text(query).split())
    return text[:MAX_QUERY_LENGTH].strip()


def fold(word: str) -> str:
    """Lower case without diacritics: « Délinquance » → « delinquance »."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def stem(word: str) -> str:
    """A poor man's French plural: drop a final s or x from words of more than three letters."""
    if len(word) > 3 and word[-1] in "sx":
        return word[:-1]
    return word


@dataclass
class ParsedQuery:
    """The parts of a web-search-like query: words, phrases, excluded words, OR groups."""

    groups: list[list[str]] = field(default_factory=list)  # OR of AND-groups of FTS5 terms
    excluded: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not any(self.groups)


def _words(text: str) -> list[str]:
    return [fold(w) for w in _WORD.findall(text)]


def _term(word: str) -> str:
    return f'"{stem(word)}"*'


def parse_query(query: str) -> ParsedQuery:
    """Split a query the way ``websearch_to_tsquery`` reads it: words, "phrases", -word, OR."""
    parsed = ParsedQuery(groups=[[]])
    for match in _TOKEN.finditer(normalise_query(query)):
        negated = bool(match.group(1) or match.group(3))
        if match.group(4) is not None and not negated and match.group(4) == "OR":
            if parsed.groups[-1]:
                parsed.groups.append([])
            continue
        if match.group(2) is not None:  # a phrase: its words in order, the last one as prefix
            words = [w for w in _words(match.group(2)) if len(w) > 1]
            if not words:
                continue
            term = '"' + " ".join(words[:-1] + [stem(words[-1])]) + '"*'
        else:
            words = [w for w in _words(match.group(4)) if len(w) > 1]
            words = [w for w in words if w not in FRENCH_STOPWORDS]
            if not words:
                continue
            term = " ".join(_term(w) for w in words)
            if len(words) > 1:
                term = f"({term})"
        if negated:
            parsed.excluded.append(term)
        else:
            parsed.groups[-1].append(term)
    parsed.groups = [g for g in parsed.groups if g]
    return parsed


def fts5_query(query: str) -> str | None:
    """An FTS5 MATCH expression for ``query`` (None when nothing is left to search)."""
    parsed = parse_query(query)
    if parsed.is_empty:
        return None
    expression = " OR ".join(
        "(" + " AND ".join(group) + ")" if len(group) > 1 else group[0] for group in parsed.groups
    )
    if len(parsed.groups) > 1:
        expression = f"({expression})"
    if parsed.excluded:
        expression += " NOT (" + " OR ".join(parsed.excluded) + ")"
    return expression


def highlight(raw: str | None) -> Markup:
    """Escape an excerpt and turn its sentinels into ``<mark>`` elements (always balanced)."""
    parts: list[str] = []
    inside = False
    for piece in re.split(f"([{MARK_START}{MARK_STOP}])", raw or ""):
        if piece == MARK_START:
            if not inside:
                parts.append("<mark>")
                inside = True
        elif piece == MARK_STOP:
            if inside:
                parts.append("</mark>")
                inside = False
        elif piece:
            parts.append(str(escape(piece)))
    if inside:
        parts.append("</mark>")
    return Markup("".join(parts))
