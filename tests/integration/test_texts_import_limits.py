"""``flask texts import`` checks every value against the model's limits, each with its line (issue 9).

A part number longer than its column stopped the import with a database traceback on
PostgreSQL; an unnumbered title over 400 characters was silently cut.
"""

from __future__ import annotations

import pytest

from convention.core.audit import AuditEntry
from convention.domain.errors import DomainError
from convention.domain.textimport import parse_document
from convention.texts.models import Block, Text, TextVersion
from convention.texts.operations import import_text_version, model_limit_issues
from tests.integration.test_texts_import import MARKDOWN, convention, count, runner, write  # noqa: F401

LONG_TITLE = "Une " + "très " * 100 + "longue partie"  # over 400 characters, no number

ODD = f"""\
# MMMMMMMMMMMMMMM. Une partie au numéro trop long

## 1. Un chapitre

Un paragraphe.

# {LONG_TITLE}

## 2. Un autre chapitre

Un autre paragraphe.

RECOMMANDATION N° 123456789012345678901234567890
Une recommandation au numéro démesuré.
"""


def test_every_value_is_checked_against_its_column():
    issues = model_limit_issues(parse_document(ODD, "markdown"))
    messages = [(issue.line, issue.message.split(" (")[0]) for issue in issues]
    assert (1, "numéro de partie trop long") in messages
    assert (13, "numéro de bloc trop long") in messages
    assert all(line for line, _ in messages)
    parsed = parse_document(ODD, "markdown")
    assert (7, "titre de partie trop long") in [
        (issue.line, issue.message.split(" (")[0]) for issue in parsed.errors
    ]  # reported by the parser, no longer cut to 400 characters


def test_the_command_reports_each_line_and_writes_nothing(database, convention, runner, tmp_path):  # noqa: F811
    result = runner.invoke(args=["texts", "import", write(tmp_path, "odd.md", ODD)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "rien n'a été importé" in result.output
    assert "ligne 7 : titre de partie trop long" in result.output
    database.session.expire_all()
    assert count(database, Text) == count(database, TextVersion) == count(database, Block) == 0
    assert count(database, AuditEntry) == 0


def test_the_command_reports_the_part_number_with_its_line(database, convention, runner, tmp_path):  # noqa: F811
    content = ODD.replace(f"# {LONG_TITLE}", "# II. Une partie correcte")
    result = runner.invoke(args=["texts", "import", write(tmp_path, "odd.md", content)])
    assert result.exit_code == 1, result.output
    assert "ligne 1 : numéro de partie trop long (15 caractères, 10 au plus)" in result.output
    assert "ligne 13 : numéro de bloc trop long" in result.output
    assert count(database, TextVersion) == 0


def test_options_longer_than_their_columns_are_refused(database, convention, runner, tmp_path):  # noqa: F811
    path = write(tmp_path, "ok.md", MARKDOWN)
    result = runner.invoke(args=["texts", "import", path, "--label", "L" * 201])
    assert result.exit_code == 1 and "libellé de version (--label) trop long" in result.output
    result = runner.invoke(args=["texts", "import", path, "--title", "T" * 301])
    assert result.exit_code == 1 and "titre du texte (--title) trop long" in result.output
    assert count(database, TextVersion) == 0


def test_the_operation_refuses_too_long_values(database, convention):  # noqa: F811
    content = ODD.replace(f"# {LONG_TITLE}", "# II. Une partie correcte")
    with pytest.raises(DomainError, match="numéro de partie trop long"):
        import_text_version(None, convention, parse_document(content, "markdown"))
