"""Amendments to a text, without a database: lifecycle, the change an edit makes, citations, overlaps.

Offsets. Every character offset (``Change.start``/``end``, ``Anchor.start``/``end``) is an
offset in ``normalize_space(block_text)``, the form the line rule of
:mod:`convention.domain.textstructure` numbers.

Tokens. :func:`tokenize` cuts a text into words, whitespace runs and single other
characters. A word is a run of letters and digits that may hold inner apostrophes
(' ’ ʼ) and hyphens: « l'État », « aujourd’hui », « Île-de-France » are one token each.
An elided article therefore stays glued to its word (« l’État » is one token): an edit
of « l’État » into « l’Europe » replaces that whole token. Citations still count such a
token as two words (« les mots « l’État » »), as French legislative drafting does.

Changes. :func:`compute_change` reduces an edited paragraph to one contiguous change:
the common prefix and suffix are kept at token level, and the span and replacement never
start or end with a space. Applying a change (:func:`apply_change`) puts the replacement
in place of the span, then reads whitespace runs as one space, with two rules of French
typography where a change leaves a gap:

- an insertion of words is an empty span (a point, placed right after the word it follows)
  and the words are set off by spaces: « a b » with « x » inserted after « a » gives « a x b »;
- at a point where words are inserted or a passage deleted, no space is left before
  « , . ) ] … » nor after « ( [ »: deleting « ouvertes » from « des écoles ouvertes. »
  gives « des écoles. », inserting « , » after « b » in « a b c » gives « a b, c ».

:func:`compute_change` checks its answer with that very function: when the edit changes the
spacing in a way these rules do not give (« a, b » → « a,b »), the span is widened by one
token on that side, so that applying the change always gives back the edited paragraph.
"""

from __future__ import annotations

import bisect
import difflib
import enum
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from convention.domain.errors import DomainError, IllegalTransition
from convention.domain.textstructure import line_of_offset, normalize_space

# --- lifecycle ---------------------------------------------------------------


class AmendmentKind(enum.StrEnum):
    MODIFY = "modify"
    DELETE = "delete"
    INSERT = "insert"


class AmendmentStatus(enum.StrEnum):
    SUBMITTED = "submitted"  # déposé (collecting co-signatures)
    ADMISSIBLE = "admissible"  # recevable
    INADMISSIBLE = "inadmissible"  # irrecevable (final)
    ADOPTED = "adopted"  # adopté
    ADOPTED_MODIFIED = "adopted_modified"  # adopté avec modification
    MERGED = "merged"  # intégré dans un amendement de synthèse
    REJECTED = "rejected"  # rejeté
    WITHDRAWN = "withdrawn"  # retiré
    MAINTAINED = "maintained"  # rejeté, maintenu par son auteur pour la journée de la convention


class Opinion(enum.StrEnum):
    FAVORABLE = "favorable"
    UNFAVORABLE = "unfavorable"
    FAVORABLE_WITH_RECTIFICATION = "favorable_with_rectification"


class Relation(enum.StrEnum):
    IDENTICAL = "identical"
    SIMILAR = "similar"
    OVERLAP = "overlap"


STATUS_LABELS: dict[AmendmentStatus, str] = {
    AmendmentStatus.SUBMITTED: "Déposé",
    AmendmentStatus.ADMISSIBLE: "Recevable",
    AmendmentStatus.INADMISSIBLE: "Irrecevable",
    AmendmentStatus.ADOPTED: "Adopté",
    AmendmentStatus.ADOPTED_MODIFIED: "Adopté avec modification",
    AmendmentStatus.MERGED: "Intégré dans une synthèse",
    AmendmentStatus.REJECTED: "Rejeté",
    AmendmentStatus.WITHDRAWN: "Retiré",
    AmendmentStatus.MAINTAINED: "Maintenu",
}

OPINION_LABELS: dict[Opinion, str] = {
    Opinion.FAVORABLE: "Avis favorable",
    Opinion.UNFAVORABLE: "Avis défavorable",
    Opinion.FAVORABLE_WITH_RECTIFICATION: "Avis favorable sous réserve de rectification",
}

KIND_LABELS: dict[AmendmentKind, str] = {
    AmendmentKind.MODIFY: "Modification",
    AmendmentKind.DELETE: "Suppression",
    AmendmentKind.INSERT: "Insertion",
}

RELATION_LABELS: dict[Relation, str] = {
    Relation.IDENTICAL: "Identique",
    Relation.SIMILAR: "Semblable",
    Relation.OVERLAP: "Porte sur le même passage",
}

_S = AmendmentStatus
AMENDMENT_TRANSITIONS: dict[AmendmentStatus, frozenset[AmendmentStatus]] = {
    _S.SUBMITTED: frozenset({_S.ADMISSIBLE, _S.INADMISSIBLE, _S.WITHDRAWN}),
    _S.ADMISSIBLE: frozenset({_S.ADOPTED, _S.ADOPTED_MODIFIED, _S.MERGED, _S.REJECTED, _S.WITHDRAWN}),
    _S.REJECTED: frozenset({_S.MAINTAINED}),
    _S.MAINTAINED: frozenset({_S.WITHDRAWN}),
    _S.INADMISSIBLE: frozenset(),
    # The committee may go back on an adoption before the text is consolidated (two adopted
    # amendments in conflict, a decision taken too fast): the amendment is recevable again.
    _S.ADOPTED: frozenset({_S.ADMISSIBLE}),
    _S.ADOPTED_MODIFIED: frozenset({_S.ADMISSIBLE}),
    _S.MERGED: frozenset(),
    _S.WITHDRAWN: frozenset(),
}

DECIDED_STATUSES: frozenset[AmendmentStatus] = frozenset(
    {_S.ADOPTED, _S.ADOPTED_MODIFIED, _S.MERGED, _S.REJECTED, _S.MAINTAINED}
)
ADOPTED_STATUSES: frozenset[AmendmentStatus] = frozenset({_S.ADOPTED, _S.ADOPTED_MODIFIED})
OPEN_STATUSES: frozenset[AmendmentStatus] = frozenset({_S.SUBMITTED, _S.ADMISSIBLE})  # pending a decision

# The verb phrase for reaching each status (SUBMITTED is never a target; it has one for the message).
ACTION_LABELS: dict[AmendmentStatus, str] = {
    _S.SUBMITTED: "le déposer de nouveau",
    _S.ADMISSIBLE: "le déclarer recevable",
    _S.INADMISSIBLE: "le déclarer irrecevable",
    _S.ADOPTED: "l'adopter",
    _S.ADOPTED_MODIFIED: "l'adopter avec modification",
    _S.MERGED: "l'intégrer dans un amendement de synthèse",
    _S.REJECTED: "le rejeter",
    _S.WITHDRAWN: "le retirer",
    _S.MAINTAINED: "le maintenir pour la journée de la convention",
}

# « L'amendement n° 12 est … »
_STATE_PHRASES: dict[AmendmentStatus, str] = {
    _S.SUBMITTED: "déposé",
    _S.ADMISSIBLE: "recevable",
    _S.INADMISSIBLE: "irrecevable",
    _S.ADOPTED: "adopté",
    _S.ADOPTED_MODIFIED: "adopté avec modification",
    _S.MERGED: "intégré dans un amendement de synthèse",
    _S.REJECTED: "rejeté",
    _S.WITHDRAWN: "retiré",
    _S.MAINTAINED: "maintenu pour la journée de la convention",
}


# A step whose phrase depends on where it starts from: back from an adoption to « recevable ».
_STEP_PHRASES: dict[tuple[AmendmentStatus, AmendmentStatus], str] = {
    (_S.ADOPTED, _S.ADMISSIBLE): "revenir sur son adoption",
    (_S.ADOPTED_MODIFIED, _S.ADMISSIBLE): "revenir sur son adoption",
}


def action_label(source: AmendmentStatus, target: AmendmentStatus) -> str:
    """The French verb phrase of the step from ``source`` to ``target`` (« le rejeter »…)."""
    return _STEP_PHRASES.get((source, target), ACTION_LABELS[target])


def _french_list(items: Sequence[str]) -> str:
    """« a », « a ou b », « a, b ou c »."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} ou {items[-1]}"


class AmendmentTransitionError(IllegalTransition):
    """An amendment cannot move to the requested status; the message says what it can do instead."""

    def __init__(self, source: AmendmentStatus, target: AmendmentStatus, number: int) -> None:
        super().__init__("amendment", str(source.value), str(target.value))
        self.number = number
        possible = [s for s in AmendmentStatus if s in AMENDMENT_TRANSITIONS[source]]
        head = f"L'amendement n° {number} est {_STATE_PHRASES[source]} : on ne peut pas {ACTION_LABELS[target]}."
        if possible:
            tail = f"Possible maintenant : {_french_list([action_label(source, s) for s in possible])}."
        elif source == AmendmentStatus.WITHDRAWN:
            tail = "Aucune autre étape n'est possible : son retrait est définitif."
        else:
            tail = "Aucune autre étape n'est possible : sa décision est définitive."
        self.message = f"{head} {tail}"

    def __str__(self) -> str:
        return self.message


def check_amendment_transition(source: AmendmentStatus, target: AmendmentStatus, number: int) -> None:
    """Raise AmendmentTransitionError unless amendment ``number`` may go from ``source`` to ``target``."""
    if target not in AMENDMENT_TRANSITIONS[source]:
        raise AmendmentTransitionError(source, target, number)


# --- errors ------------------------------------------------------------------


class NoChange(DomainError):
    """The edited paragraph is the same as the original."""

    def __init__(self) -> None:
        super().__init__("Vous n'avez rien modifié dans ce paragraphe.")


class EmptyInsertion(DomainError):
    """An insertion without any text."""

    def __init__(self) -> None:
        super().__init__("Écrivez le texte de l'alinéa à insérer.")


class StaleChange(DomainError):
    """The block no longer holds the passage the change was computed on."""

    def __init__(self) -> None:
        super().__init__("Le paragraphe a changé depuis : le passage visé par l'amendement n'y figure plus.")


# --- tokens ------------------------------------------------------------------

# Letters and digits (with combining accents), not the underscore.
_WORD_CHAR = r"(?:[^\W_]|[\u0300-\u036f])"
_WORD = rf"{_WORD_CHAR}+(?:['’ʼ\-‐‑]{_WORD_CHAR}+)*"
_WORD_RE = re.compile(_WORD)
_TOKEN_RE = re.compile(rf"{_WORD}|\s+|.", re.DOTALL)
_ELIDED_RE = re.compile(r"(?:l|d|j|m|n|s|t|c|ç|qu|jusqu|lorsqu|puisqu|quoiqu)['’ʼ]", re.IGNORECASE)


def tokenize(text: str) -> list[str]:
    """Words, whitespace runs and single other characters; their concatenation is ``text``."""
    return _TOKEN_RE.findall(text)


def _is_word(token: str) -> bool:
    return _WORD_RE.fullmatch(token) is not None


# --- the change an edited paragraph makes ------------------------------------

CONTEXT = 40  # characters of context kept on each side of a change (a TextQuoteSelector's prefix/suffix)


@dataclass(frozen=True)
class Change:
    kind: AmendmentKind
    start: int  # character offsets in normalize_space(block_text); end exclusive
    end: int
    original: str  # normalized_block[start:end]; "" for INSERT and for a word insertion inside the block
    replacement: str  # "" for DELETE; for INSERT the new paragraph(s), each normalized, joined by "\n\n"
    prefix: str  # up to CONTEXT characters of the block before start
    suffix: str  # up to CONTEXT characters after end
    whole_block: bool = False  # DELETE of the whole paragraph


_CLOSING = frozenset(",.)]…")  # French typography: no space before these
_OPENING = frozenset("([")  # nor after these


def _join(left: str, right: str, spaced: bool) -> str:
    """``left`` then ``right``; if ``spaced``, one space between them unless the punctuation closes up."""
    if not spaced:
        return left + right
    left, right = left.rstrip(" "), right.lstrip(" ")
    if not left or not right or right[0] in _CLOSING or left[-1] in _OPENING:
        return left + right
    return f"{left} {right}"


def _splice(normalized: str, start: int, end: int, replacement: str) -> str:
    """The block with [start, end) replaced by ``replacement`` (see the module docstring)."""
    before, after = normalized[:start], normalized[end:]
    if start == end:  # words inserted at a point
        return normalize_space(_join(_join(before, replacement, True), after, True))
    if not replacement:  # a passage deleted: the space left closes up before , . ) and after (
        return normalize_space(_join(before, after, before.endswith(" ") or after.startswith(" ")))
    return normalize_space(before + replacement + after)


def _token_bounds(text: str) -> list[int]:
    """Start offset of each token of ``text``, then ``len(text)``."""
    bounds = [0]
    for token in tokenize(text):
        bounds.append(bounds[-1] + len(token))
    return bounds


def _widen_left(text: str, bounds: list[int], start: int) -> int:
    """``start`` moved left past any space and one more token."""
    while start > 0 and text[start - 1] == " ":
        start -= 1
    if start == 0:
        return 0
    return bounds[bisect.bisect_right(bounds, start - 1) - 1]


def _widen_right(text: str, bounds: list[int], end: int) -> int:
    """``end`` moved right past any space and one more token."""
    while end < len(text) and text[end] == " ":
        end += 1
    if end == len(text):
        return end
    return bounds[bisect.bisect_right(bounds, end)]


def _common_tokens(a: list[str], b: list[str]) -> tuple[int, int]:
    """Number of tokens common to the start and, after those, to the end of ``a`` and ``b``."""
    prefix = 0
    limit = min(len(a), len(b))
    while prefix < limit and a[prefix] == b[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and a[-1 - suffix] == b[-1 - suffix]:
        suffix += 1
    return prefix, suffix


def _span(a: str, b: str) -> tuple[int, int, str]:
    """(start, end, replacement): the smallest clean span of ``a`` whose replacement gives ``b``.

    Both texts are normalized and differ. The span and the replacement never start or end with a
    space; an empty span is a point where words are inserted, set off by spaces.
    """
    ta, tb = tokenize(a), tokenize(b)
    prefix, suffix = _common_tokens(ta, tb)
    start = sum(len(t) for t in ta[:prefix])
    tail = sum(len(t) for t in ta[len(ta) - suffix :])
    end, end_b = len(a) - tail, len(b) - tail
    # A space shared by both sides at an edge is common text: keep it out of the span.
    while start < end and start < end_b and a[start] == " " == b[start]:
        start += 1
    while end > start and end_b > start and a[end - 1] == " " == b[end_b - 1]:
        end -= 1
        end_b -= 1
    bounds = _token_bounds(a)
    while True:
        original, replacement = a[start:end], b[start:end_b]
        new_start, new_end = start, end
        if original.startswith(" "):
            new_start += 1
        if original.endswith(" ") and new_end > new_start:
            new_end -= 1
        cleaned = replacement.strip(" ")
        if new_start == new_end and new_start > 0 and a[new_start - 1] == " ":
            new_start = new_end = new_start - 1  # a point follows the word before it
        if (new_start < new_end or cleaned) and _splice(a, new_start, new_end, cleaned) == b:
            return new_start, new_end, cleaned
        # Spacing differs at an edge (or inserted text is glued to a neighbour): take one more token there.
        left = (
            original.startswith(" ")
            or replacement.startswith(" ")
            or (not original and start > 0 and b[start - 1] != " ")
        )
        right = (
            original.endswith(" ") or replacement.endswith(" ") or (not original and end_b < len(b) and b[end_b] != " ")
        )
        if not (left or right):
            left = right = True
        widened_start = _widen_left(a, bounds, start) if left else start
        widened_end = _widen_right(a, bounds, end) if right else end
        if (widened_start, widened_end) == (start, end):
            widened_start, widened_end = 0, len(a)
        end_b += widened_end - end
        start, end = widened_start, widened_end


def _context(normalized: str, start: int, end: int) -> tuple[str, str]:
    return normalized[max(0, start - CONTEXT) : start], normalized[end : end + CONTEXT]


def compute_change(block_text: str, edited_text: str) -> Change:
    """The single change that turns the block into the edited paragraph (raise NoChange if none)."""
    a, b = normalize_space(block_text), normalize_space(edited_text)
    if a == b:
        raise NoChange()
    start, end, replacement = _span(a, b)
    prefix, suffix = _context(a, start, end)
    if not replacement:
        kind = AmendmentKind.DELETE
    else:
        kind = AmendmentKind.MODIFY
    return Change(
        kind=kind,
        start=start,
        end=end,
        original=a[start:end],
        replacement=replacement,
        prefix=prefix,
        suffix=suffix,
        whole_block=not replacement and start == 0 and end == len(a),
    )


def delete_block(block_text: str) -> Change:
    """The deletion of the whole paragraph."""
    a = normalize_space(block_text)
    return Change(AmendmentKind.DELETE, 0, len(a), a, "", "", "", whole_block=True)


_BLANK_LINES_RE = re.compile(r"\n[^\S\n]*(?:\n[^\S\n]*)+")


def split_paragraphs(text: str) -> list[str]:
    """The paragraphs of ``text`` (separated by one or more blank lines), each normalized, empties dropped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = (normalize_space(p) for p in _BLANK_LINES_RE.split(text))
    return [p for p in paragraphs if p]


def insert_after(block_text: str, new_text: str) -> Change:
    """The insertion of new paragraph(s) after the block (raise EmptyInsertion if there is no text)."""
    a = normalize_space(block_text)
    paragraphs = split_paragraphs(new_text)
    if not paragraphs:
        raise EmptyInsertion()
    prefix, _ = _context(a, len(a), len(a))
    return Change(AmendmentKind.INSERT, len(a), len(a), "", "\n\n".join(paragraphs), prefix, "")


def _check_fresh(normalized: str, change: Change) -> None:
    if change.kind == AmendmentKind.INSERT:
        return  # new paragraphs go after the block whatever it now says
    if not 0 <= change.start <= change.end <= len(normalized) or (
        normalized[change.start : change.end] != change.original
    ):
        raise StaleChange()


def apply_change(block_text: str, change: Change) -> list[str]:
    """The block(s) replacing the block in the new text: [] for a deleted paragraph (raise StaleChange)."""
    a = normalize_space(block_text)
    _check_fresh(a, change)
    if change.kind == AmendmentKind.INSERT:
        return [a, *change.replacement.split("\n\n")]
    if change.whole_block:
        return []
    return [_splice(a, change.start, change.end, change.replacement)]


def apply_changes(block_text: str, changes: Iterable[Change]) -> list[str]:
    """The block(s) replacing the block once several non-overlapping changes to it are applied.

    Every change is checked against the block as it is (raise StaleChange), then the passages are
    replaced from the end so that offsets stay valid; inserted paragraphs follow in the given order.
    Raise ValueError if two changes overlap (see :func:`overlaps`).
    """
    a = normalize_space(block_text)
    changes = list(changes)
    for change in changes:
        _check_fresh(a, change)
    passages = [anchor_of(i, "", c) for i, c in enumerate(changes) if c.kind != AmendmentKind.INSERT]
    if conflicts(passages):
        raise ValueError("overlapping changes cannot be applied together")
    if any(c.whole_block for c in changes):
        head: list[str] = []
    else:
        text = a
        edits = [c for c in changes if c.kind != AmendmentKind.INSERT]
        for change in sorted(edits, key=lambda c: c.start, reverse=True):
            text = _splice(text, change.start, change.end, change.replacement)
        head = [text]
    inserted = [p for c in changes if c.kind == AmendmentKind.INSERT for p in c.replacement.split("\n\n")]
    return [*head, *inserted]


# --- where a change is, and how it is cited -----------------------------------


def span_lines(block_text: str, width: int, block_line_start: int, start: int, end: int) -> tuple[int, int]:
    """The text's (first, last) line numbers covering [start, end) of the block (a point: its line)."""
    if start == end:
        line = line_of_offset(block_text, width, start - 1 if start > 0 else 0)
        return block_line_start + line, block_line_start + line
    first = line_of_offset(block_text, width, start)
    last = line_of_offset(block_text, width, end - 1)
    return block_line_start + first, block_line_start + last


def _words(text: str) -> str:
    """« le mot », « le signe » or « les mots », as the quoted ``text`` requires."""
    tokens = tokenize(text)
    if len(tokens) == 1:
        if _is_word(text) and not _ELIDED_RE.match(text):
            return "le mot"
        if len(text) == 1 and unicodedata.category(text).startswith("P"):
            return "le signe"
    return "les mots"


def _where(first_line: int, last_line: int) -> str:
    if first_line == last_line:
        return f"À la ligne {first_line}"
    return f"Lignes {first_line} à {last_line}"


def _last_words(prefix: str, count: int = 4) -> str:
    """The last (up to) ``count`` whole words of a context prefix."""
    words = prefix.split()
    if len(prefix) >= CONTEXT and len(words) > 1 and not prefix[0].isspace():
        words = words[1:]  # the first one may be cut
    return " ".join(words[-count:])


def citation(change: Change, first_line: int, last_line: int) -> str:
    """The French wording of the amendment (« À la ligne 12, remplacer les mots … »)."""
    x, y = change.original, change.replacement
    if change.kind == AmendmentKind.INSERT:
        paragraphs = y.split("\n\n")
        if len(paragraphs) == 1:
            return f"Après la ligne {last_line}, insérer l'alinéa suivant : « {y} »."
        quoted = " ".join(f"« {p} »" for p in paragraphs)
        return f"Après la ligne {last_line}, insérer les alinéas suivants : {quoted}."
    if change.kind == AmendmentKind.DELETE:
        if change.whole_block:
            if first_line == last_line:
                return f"Supprimer l'alinéa de la ligne {first_line}."
            return f"Supprimer l'alinéa des lignes {first_line} à {last_line}."
        return f"{_where(first_line, last_line)}, supprimer {_words(x)} « {x} »."
    if not x:
        after = _last_words(change.prefix)
        if change.start == 0 or not after:
            return f"{_where(first_line, last_line)}, au début de l'alinéa, insérer {_words(y)} « {y} »."
        return f"{_where(first_line, last_line)}, après {_words(after)} « {after} », insérer {_words(y)} « {y} »."
    return f"{_where(first_line, last_line)}, remplacer {_words(x)} « {x} » par {_words(y)} « {y} »."


def word_diff(original: str, replacement: str) -> list[tuple[str, str]]:
    """("equal" | "delete" | "insert", text) segments turning ``original`` into ``replacement``."""
    a, b = tokenize(original), tokenize(replacement)
    segments: list[tuple[str, str]] = []

    def add(op: str, tokens: list[str]) -> None:
        if not tokens:
            return
        text = "".join(tokens)
        if segments and segments[-1][0] == op:
            segments[-1] = (op, segments[-1][1] + text)
        else:
            segments.append((op, text))

    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            add("equal", a[i1:i2])
        else:
            add("delete", a[i1:i2])
            add("insert", b[j1:j2])
    return segments


# --- amendments that touch the same passage ---------------------------------

SIMILARITY = 0.75  # difflib ratio from which two texts are « semblables »

_RELATION_ORDER = {Relation.IDENTICAL: 0, Relation.SIMILAR: 1, Relation.OVERLAP: 2}


@dataclass(frozen=True)
class Anchor:
    id: int
    block: str  # the block's stable anchor, e.g. "II-5-12"
    kind: AmendmentKind
    start: int
    end: int
    original: str
    replacement: str
    whole_block: bool = False  # DELETE of the whole paragraph: overlaps every passage of it


def anchor_of(amendment_id: int, block: str, change: Change) -> Anchor:
    """The detection view of an amendment whose change is ``change`` on the block anchored ``block``."""
    return Anchor(
        amendment_id,
        block,
        change.kind,
        change.start,
        change.end,
        change.original,
        change.replacement,
        change.whole_block,
    )


def normalized_key(text: str) -> str:
    """The text for comparison: casefolded, punctuation read as space, whitespace collapsed (accents kept)."""
    chars = (" " if unicodedata.category(c).startswith("P") or c in "«»’'" else c for c in text.casefold())
    return " ".join("".join(chars).split())


def _interval(anchor: Anchor) -> tuple[int, int]:
    """A closed integer interval such that two anchors' intervals meet exactly when their spans overlap.

    A span [s, e) becomes [2s, 2e - 1]; a point p becomes [2p - 1, 2p], which meets [2s, 2e - 1]
    when s <= p <= e and another point only when equal.
    """
    if anchor.start == anchor.end:
        return 2 * anchor.start - 1, 2 * anchor.start
    return 2 * anchor.start, 2 * anchor.end - 1


def overlaps(a: Anchor, b: Anchor) -> bool:
    """True if the two amendments touch the same passage of the same block."""
    if a.block != b.block:
        return False
    a_insert, b_insert = a.kind == AmendmentKind.INSERT, b.kind == AmendmentKind.INSERT
    if a_insert or b_insert:
        return a_insert and b_insert
    if a.whole_block or b.whole_block:
        return True
    (a1, a2), (b1, b2) = _interval(a), _interval(b)
    return a1 <= b2 and b1 <= a2


def _ratio(x: str, y: str) -> float:
    return difflib.SequenceMatcher(None, normalized_key(x), normalized_key(y), autojunk=False).ratio()


def relation(a: Anchor, b: Anchor) -> Relation | None:
    """How amendment ``b`` relates to ``a``: identical, similar, overlapping, or None (unrelated)."""
    if not overlaps(a, b):
        return None
    if a.kind != b.kind:
        return Relation.OVERLAP
    if normalized_key(a.original) == normalized_key(b.original) and (
        normalized_key(a.replacement) == normalized_key(b.replacement)
    ):
        return Relation.IDENTICAL
    if a.kind == AmendmentKind.DELETE:
        similar = _ratio(a.original, b.original) >= SIMILARITY
    else:
        similar = _ratio(a.replacement, b.replacement) >= SIMILARITY
    return Relation.SIMILAR if similar else Relation.OVERLAP


def find_related(candidate: Anchor, others: Iterable[Anchor]) -> list[tuple[Anchor, Relation]]:
    """The other amendments related to ``candidate``: identical first, then similar, then overlapping."""
    found = []
    for other in others:
        if other.id == candidate.id:
            continue
        found_relation = relation(candidate, other)
        if found_relation is not None:
            found.append((other, found_relation))
    found.sort(key=lambda pair: (_RELATION_ORDER[pair[1]], pair[0].id))
    return found


def _groups_of_block(anchors: list[Anchor]) -> list[list[Anchor]]:
    """The connected components of ``overlaps`` among the anchors of one block (singletons included)."""
    inserts = [a for a in anchors if a.kind == AmendmentKind.INSERT]
    passages = [a for a in anchors if a.kind != AmendmentKind.INSERT]
    groups: list[list[Anchor]] = [inserts] if inserts else []
    if any(a.whole_block for a in passages):
        groups.append(passages)
        return groups
    current: list[Anchor] = []
    reach = 0
    for anchor in sorted(passages, key=_interval):
        low, high = _interval(anchor)
        if current and low <= reach:
            current.append(anchor)
            reach = max(reach, high)
        else:
            if current:
                groups.append(current)
            current, reach = [anchor], high
    if current:
        groups.append(current)
    return groups


def _by_block(anchors: Iterable[Anchor]) -> dict[str, list[Anchor]]:
    blocks: dict[str, list[Anchor]] = defaultdict(list)
    for anchor in anchors:
        blocks[anchor.block].append(anchor)
    return blocks


def clusters(anchors: Iterable[Anchor]) -> list[list[int]]:
    """Groups (2+ ids, each sorted) of amendments linked by overlapping passages, sorted by first id."""
    found = []
    for block_anchors in _by_block(anchors).values():
        for group in _groups_of_block(block_anchors):
            if len(group) >= 2:
                found.append(sorted(a.id for a in group))
    found.sort()
    return found


def conflicts(anchors: Iterable[Anchor]) -> list[tuple[int, int]]:
    """The pairs (smaller id first) of amendments that overlap: pass the adopted ones."""
    pairs: set[tuple[int, int]] = set()

    def pair_with(anchor: Anchor, others: Iterable[Anchor]) -> None:
        pairs.update((min(anchor.id, o.id), max(anchor.id, o.id)) for o in others if o.id != anchor.id)

    for block_anchors in _by_block(anchors).values():
        inserts = [a for a in block_anchors if a.kind == AmendmentKind.INSERT]
        passages = [a for a in block_anchors if a.kind != AmendmentKind.INSERT]
        for anchor in inserts:  # all after the block: they compete for the same place
            pair_with(anchor, inserts)
        for anchor in passages:
            if anchor.whole_block:
                pair_with(anchor, passages)
        active: list[Anchor] = []
        for anchor in sorted(passages, key=_interval):
            low, _ = _interval(anchor)
            active = [a for a in active if _interval(a)[1] >= low]
            pair_with(anchor, active)
            active.append(anchor)
    return sorted(pairs)
