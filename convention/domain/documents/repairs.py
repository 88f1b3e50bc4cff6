"""Repairs of a text extracted from a printed page (PDF), shared by the importer and the seed.

Pure Python. What a PDF extraction leaves behind and a reader does not want: running footers
and headers, page numbers, words cut by a line-end hyphen, stray spaces before « . » and « , ».
A line-end hyphen is dropped when it only cut a word (« préven-\\ntion ») and kept when the
word is a real compound (« Île-de-\\nFrance », « c'est-\\nà-dire », « ex-\\nconjoint »); a
hyphen the layout engine inserted (U+2010 HYPHEN, U+00AD SOFT HYPHEN) always goes.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

#: A word split at a line end keeps its hyphen when the fragment before the
#: hyphen is one of these (lower-cased, after any elision such as « l' »).
KEEP_HYPHEN_PREFIXES = frozenset(
    {
        "bien",  # bien-être, bien-fondé
        "c'est",  # c'est-à-dire
        "c’est",
        "vice",  # vice-président
        "garde",  # garde-champêtre
        "gardes",
        "île",  # Île-de-France
        "saint",
        "sainte",
        "grand",  # grand-mère, grands-messes
        "grands",
        "arrière",
        "demi",
        "semi",
        "quasi",
        "mini",
        "super",
        "lui",  # lui-même
        "elle",
        "elles",
        "eux",
        "soi",
        "celles",
        "ceux",
        "peut",  # peut-être
        "après",  # après-midi
        "avant",  # avant-garde
        "au",  # au-delà
        "là",  # là-bas
        "vis",  # vis-à-vis
    }
)

#: Whole words (lower-cased) whose hyphen is real even though their prefix is
#: ambiguous (« l'ex-\npression » must be joined, « l'ex-\nconjoint » must not).
KEEP_HYPHEN_WORDS = frozenset(
    {
        "ex-conjoint",
        "ex-conjointe",
        "ex-partenaire",
        "ex-délinquants",
        "non-policiers",
        "sous-main",
        "co-production",
        "co-porté",
    }
)

#: Hyphens a layout engine adds when it cuts a word: never part of the word.
DISCRETIONARY_HYPHENS = "\u2010\u00ad"

_HYPHEN_END = re.compile(r"([\w'’]*[^\W\d_])-$")
_DISCRETIONARY_END = re.compile(r"[^\W\d_][\u2010\u00ad]$")
_FIRST_WORD = re.compile(r"^[\w'’-]+")


def join_hyphenated(left: str, right: str) -> str:
    """Join ``left`` (ending with a line-end hyphen) and ``right``; keep real compounds."""
    if _DISCRETIONARY_END.search(left):
        return left[:-1] + right
    match = _HYPHEN_END.search(left)
    if match is None:
        raise ValueError(f"not a hyphenated line end: {left!r}")
    token = match.group(1)
    core = re.split(r"['’]", token)[-1] if token.lower() not in KEEP_HYPHEN_PREFIXES else token
    word = _FIRST_WORD.match(right)
    fragment = word.group(0) if word else ""
    keep = (
        (right[:1].isupper())
        or token.lower() in KEEP_HYPHEN_PREFIXES
        or core.lower() in KEEP_HYPHEN_PREFIXES
        or f"{core}-{fragment}".lower() in KEEP_HYPHEN_WORDS
    )
    return (left if keep else left[:-1]) + right


def ends_with_hyphenation(text: str) -> bool:
    """True when ``text`` ends with a word cut by a line-end hyphen."""
    return _HYPHEN_END.search(text) is not None or _DISCRETIONARY_END.search(text) is not None


def repair_punctuation(text: str) -> str:
    """Remove the extraction's stray spaces before « . » and « , » (French « ; : ! ? » kept)."""
    return re.sub(r"(?<=\S)[ \u00a0]+(?=[.,](?!\d))", "", text)


def normalize_spaces(text: str) -> str:
    """Collapse runs of spaces and trim."""
    text = text.replace("\u00a0", " ").replace("\t", " ")
    return re.sub(r" {2,}", " ", text).strip()


def clean_text(text: str) -> str:
    """Apply the punctuation and spacing repairs to already joined text."""
    text = normalize_spaces(text)
    text = repair_punctuation(text)
    # « ( texte » / « texte ) » artefacts
    text = re.sub(r"\(\s+", "(", text)
    text = re.sub(r"\s+\)", ")", text)
    return normalize_spaces(text)


def join_lines(lines: Iterable[str]) -> str:
    """Join wrapped lines into one paragraph, repairing hyphenation, punctuation and spaces."""
    pieces: list[str] = []
    for line in lines:
        part = normalize_spaces(line)
        if not part:
            continue
        if not pieces:
            pieces.append(part)
        elif ends_with_hyphenation(pieces[-1]) and part[:1].isalpha():
            pieces[-1] = join_hyphenated(pieces[-1], part)
        elif re.search(r"\d-$", pieces[-1]) and part[:1].isdigit():
            pieces[-1] = pieces[-1] + part  # « (2012-\n2017) »
        else:
            pieces.append(part)
    return clean_text(" ".join(pieces))


# --- running footers and page numbers -----------------------------------------------------------

PAGE_NUMBER = re.compile(r"^(?:[-–—]\s*)?(?:(?i:page|p\.)\s*)?(\d{1,4})(?:\s*(?:/|sur)\s*\d{1,4})?(?:\s*[-–—])?$")


def is_page_number(line: str) -> bool:
    """« 12 », « - 12 - », « Page 12 », « 12 / 40 », « page 12 sur 40 »."""
    return PAGE_NUMBER.match(normalize_spaces(line)) is not None


def running_key(line: str) -> str:
    """A line with its digits blotted out, so that « Titre — 3 » and « Titre — 4 » compare equal."""
    return re.sub(r"\d+", "#", normalize_spaces(line)).casefold()


def running_lines(pages: Sequence[Sequence[str]], margin: int = 2) -> set[str]:
    """The keys of lines found in the first or last ``margin`` lines of at least half the pages.

    Such a line is a running header or footer (« Sécurité et prévention de la délinquance »,
    « Convention nationale — page 3 »). A document of one page has none; a page number alone
    is :func:`is_page_number`'s.
    """
    if len(pages) < 2:
        return set()
    seen: Counter[str] = Counter()
    for page in pages:
        lines = [line for line in page if normalize_spaces(line)]
        edges = {running_key(line) for line in lines[:margin] + lines[-margin:]}
        seen.update(key for key in edges if key.strip("# "))
    threshold = max(2, (len(pages) + 1) // 2)
    return {key for key, count in seen.items() if count >= threshold}


MIN_PAGE_LINES = 8  # a page of text has more lines than this between two page numbers


def noise_near_page_numbers(lines: Sequence[str], reach: int = 3) -> tuple[set[int], set[int]]:
    """In a text without page breaks: (page-number lines, running-footer lines), by index.

    A lone number (« 15 ») is a page number when at least three such lines go up through the
    text, a page apart (:data:`MIN_PAGE_LINES`); a line is a running footer when it is repeated
    at least three times and each time within ``reach`` lines of one of those page numbers
    (« Sécurité et prévention de la délinquance » above each page number).
    """
    numbers = [(i, int(m.group(1))) for i, line in enumerate(lines) if (m := re.fullmatch(r"\s*(\d{1,3})\s*", line))]
    rising = sum(1 for (_, a), (_, b) in zip(numbers, numbers[1:], strict=False) if b > a)
    if len(numbers) < 3 or rising < (len(numbers) - 1) * 2 / 3:
        return set(), set()
    gaps = sorted(j - i for (i, _), (j, _) in zip(numbers, numbers[1:], strict=False))
    if gaps[len(gaps) // 2] < MIN_PAGE_LINES:  # numbers a few lines apart number a list, not pages
        return set(), set()
    page_lines = {i for i, _ in numbers}
    near: dict[str, list[int]] = {}
    for i, line in enumerate(lines):
        key = running_key(line)
        if key and i not in page_lines and len(key) <= 120:
            near.setdefault(key, []).append(i)
    footers: set[int] = set()
    for positions in near.values():
        if len(positions) < 3:
            continue
        close = [i for i in positions if any(abs(i - p) <= reach for p in page_lines)]
        if len(close) == len(positions):
            footers.update(positions)
    return page_lines, footers
