"""Rendering helpers for the text: acronyms shown with ``<abbr title="…">``."""

from __future__ import annotations

import re
from collections.abc import Mapping

from markupsafe import Markup, escape


def acronym_pattern(abbreviations: list[str]) -> re.Pattern[str] | None:
    """A regex matching any of ``abbreviations`` as a whole word (longest first)."""
    words = sorted({a for a in abbreviations if a}, key=lambda a: (-len(a), a))
    if not words:
        return None
    alternatives = "|".join(re.escape(str(escape(word))) for word in words)
    return re.compile(rf"(?<![\w&#])({alternatives})(?!\w)")


def acronym_titles(acronyms: Mapping[str, str]) -> dict[str, str]:
    """Escaped abbreviation → escaped meaning, as ``wrap_acronyms`` looks them up."""
    return {str(escape(abbr)): str(escape(meaning)) for abbr, meaning in acronyms.items()}


def wrap_acronyms(
    text: str,
    acronyms: Mapping[str, str],
    pattern: re.Pattern[str] | None = None,
    titles: Mapping[str, str] | None = None,
) -> Markup:
    """Escape ``text``, then wrap each whole-word acronym in ``<abbr title="meaning">``.

    ``acronyms`` maps an abbreviation to its meaning. Escaping comes first, so HTML
    in the text is shown, never interpreted; only the ``<abbr>`` tags are markup.
    """
    escaped = str(escape(text))
    if pattern is None:
        pattern = acronym_pattern(list(acronyms))
    if pattern is None:
        return Markup(escaped)
    if titles is None:
        titles = acronym_titles(acronyms)

    def replace(match: re.Match[str]) -> str:
        word = match.group(1)
        title = titles.get(word)
        if title is None:
            return word
        return f'<abbr title="{title}">{word}</abbr>'

    return Markup(pattern.sub(replace, escaped))
