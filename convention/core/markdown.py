"""Markdown rendering for user-written text (minutes, hearing summaries, contributions).

CommonMark through markdown-it-py with raw HTML disabled (``html=False``: any ``<script>`` typed by
a user is escaped, not rendered), then nh3 (ammonia) as a second, allow-list based barrier: only the
tags and attributes below survive, links keep only http/https/mailto schemes (``javascript:`` and
``data:`` are dropped) and get ``rel="nofollow noopener noreferrer"``.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "a",
        "abbr",
        "blockquote",
        "br",
        "code",
        "del",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "li",
        "ol",
        "p",
        "pre",
        "s",
        "strong",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "ol": {"start"},
    "td": {"style"},
    "th": {"style"},
}
ALLOWED_URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
        ["table", "strikethrough"]
    )


def sanitize_html(html: str) -> str:
    """Clean an HTML fragment with the allow-list above."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel="nofollow noopener noreferrer",
        filter_style_properties={"text-align"},
    )


def render_markdown(text: str | None) -> Markup:
    """Render Markdown typed by a user into safe HTML (an empty Markup for empty input)."""
    if not text or not text.strip():
        return Markup("")
    return Markup(sanitize_html(_parser().render(text)))
