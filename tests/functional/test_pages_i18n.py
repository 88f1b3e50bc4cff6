"""The French strings the pages translate at run time are extracted, and English exists for them."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

from convention.amendments.models import RECTIFICATION_LABELS, STEP_LABELS
from convention.amendments.operations import BULK_LABELS
from convention.calendar.models import EVENT_KIND_LABELS, REGISTRATION_STATUS_LABELS
from convention.contributions.models import CHANNEL_LABELS, STATUS_LABELS
from convention.conventions import i18n
from convention.conventions.models import PHASE_LABELS
from convention.core.errors import MESSAGES
from convention.domain.amendments import KIND_LABELS as AMENDMENT_KIND_LABELS
from convention.domain.amendments import OPINION_LABELS, RELATION_LABELS
from convention.domain.amendments import STATUS_LABELS as AMENDMENT_STATUS_LABELS
from convention.domain.ballots import GRADES
from convention.domain.polls import (
    MAJORITY_BASE_LABELS,
    POLL_STATE_LABELS,
    QUESTION_METHOD_LABELS,
    REPORT_STATE_LABELS,
    VOTE_CHANNEL_LABELS,
)
from convention.domain.textimport import FORMAT_LABELS, REPAIR_LABELS
from convention.groups.views import STEERING_LABELS
from convention.jobs.models import JOB_KIND_LABELS, JOB_STATE_LABELS
from convention.notifications.models import NOTIFICATION_KIND_LABELS
from convention.search.models import SEARCH_KIND_LABELS
from convention.texts.models import BLOCK_KIND_LABELS, VERSION_STATUS_LABELS
from convention.votes.operations import YES_NO_OPTIONS

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
CATALOGUE = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}


def template_msgids(path: Path) -> set:
    """Literal msgids of a template (``_(variable)`` calls are left out)."""
    msgids: set = set()
    with path.open("rb") as source:
        for _, _, message, _ in babel_extract(source, KEYWORDS, [], {}):
            parts = message if isinstance(message, tuple) else (message,)
            literal = tuple(part for part in parts if isinstance(part, str))
            if literal:
                msgids.add(literal[0] if len(literal) == 1 else literal)
    return msgids


def english() -> dict:
    with CATALOGUE.open("rb") as source:
        catalogue = read_po(source, locale="en")
    return {m.id if isinstance(m.id, str) else tuple(m.id): m.string for m in catalogue if m.id}


def test_error_messages_are_marked_for_extraction():
    for title, message in MESSAGES.values():
        assert title in i18n.ERROR_STRINGS
        assert message in i18n.ERROR_STRINGS


@pytest.mark.parametrize(
    "labels",
    [PHASE_LABELS, EVENT_KIND_LABELS, CHANNEL_LABELS, STATUS_LABELS, VERSION_STATUS_LABELS,
     BLOCK_KIND_LABELS, STEERING_LABELS, REGISTRATION_STATUS_LABELS, POLL_STATE_LABELS, JOB_KIND_LABELS,
     JOB_STATE_LABELS, NOTIFICATION_KIND_LABELS, SEARCH_KIND_LABELS, AMENDMENT_STATUS_LABELS, OPINION_LABELS,
     AMENDMENT_KIND_LABELS, RELATION_LABELS, STEP_LABELS, RECTIFICATION_LABELS, BULK_LABELS,
     QUESTION_METHOD_LABELS, MAJORITY_BASE_LABELS, REPORT_STATE_LABELS, VOTE_CHANNEL_LABELS,
     dict(YES_NO_OPTIONS), dict(enumerate(GRADES)), FORMAT_LABELS, REPAIR_LABELS],
)  # fmt: skip
def test_model_labels_are_marked_for_extraction(labels):
    assert set(labels.values()) <= set(i18n.LABEL_STRINGS)


def test_the_macro_strings_are_marked_for_extraction():
    """Babel skips templates/_macros (leading underscore): i18n.MACRO_STRINGS stands in."""
    used = set().union(*(template_msgids(p) for p in (TEMPLATES / "_macros").glob("*.html")))
    assert used
    assert used == set(i18n.MACRO_STRINGS)


@pytest.mark.parametrize(
    "template",
    ["base.html", "home/index.html", "home/empty.html", "errors/error.html",
     "_macros/ui.html", "_macros/forms.html"],
)  # fmt: skip
def test_navigation_home_and_error_pages_are_translated(template):
    translations = english()
    for msgid in template_msgids(TEMPLATES / template):
        translated = translations.get(msgid)
        assert translated, f"no English for {msgid!r} ({template})"
        if isinstance(translated, tuple):
            assert all(translated), msgid


def test_every_public_page_string_has_an_english_entry():
    translations = english()
    folders = ["groups", "calendar", "contributions", "texts", "glossary"]
    for folder in folders:
        for path in (TEMPLATES / folder).glob("*.html"):
            for msgid in template_msgids(path):
                assert translations.get(msgid), f"no English for {msgid!r} ({path.name})"
    for strings in (i18n.ERROR_STRINGS, i18n.LABEL_STRINGS):
        for msgid in strings:
            assert translations.get(msgid), msgid
