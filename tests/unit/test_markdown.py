"""The shared Markdown helper: CommonMark rendered, then sanitised (no script survives)."""

from __future__ import annotations

import re

import pytest
from markupsafe import Markup

from convention.core.markdown import render_markdown


def test_renders_commonmark():
    html = render_markdown(
        "# Titre\n\nUn **paragraphe** avec *accent* : délinquance.\n\n- un\n- deux"
    )
    assert isinstance(html, Markup)
    assert "<h1>Titre</h1>" in html
    assert "<strong>paragraphe</strong>" in html
    assert "délinquance" in html
    assert "<li>un</li>" in html


@pytest.mark.parametrize("text", ["", None, "   \n"])
def test_empty_input_gives_empty_markup(text):
    assert render_markdown(text) == Markup("")


def test_raw_script_is_escaped():
    html = render_markdown("Avant\n\n<script>alert('x')</script>\n\nAprès")
    assert "<script" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize(
    "text",
    [
        "[cliquez](javascript:alert(1))",
        "[cliquez](JavaScript:alert(1))",
        "[cliquez](data:text/html;base64,PHNjcmlwdD4=)",
        '<a href="javascript:alert(1)">cliquez</a>',
        "<javascript:alert(1)>",
    ],
)
def test_javascript_links_are_neutralised(text):
    html = str(render_markdown(text)).lower()
    hrefs = re.findall(r"<a\b[^>]*>", html)
    assert all("javascript" not in tag and "data:" not in tag for tag in hrefs)
    assert '<a href="javascript' not in html


def test_event_handler_attributes_are_dropped():
    html = str(render_markdown('<img src="x" onerror="alert(1)">\n\n![x](https://ex.fr/a.png)'))
    tags = re.findall(r"<[a-z][^>]*>", html)
    assert all("onerror" not in tag for tag in tags)
    assert "<img" not in html


def test_safe_links_keep_href_and_get_rel():
    html = render_markdown("[Le PS](https://www.parti-socialiste.fr)")
    assert 'href="https://www.parti-socialiste.fr"' in html
    assert "noopener" in html


def test_tables_and_strikethrough():
    html = render_markdown("| a | b |\n|---|---|\n| 1 | 2 |\n\n~~barré~~")
    assert "<table>" in html
    assert "<s>barré</s>" in html
