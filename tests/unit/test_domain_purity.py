"""``convention/domain/`` is pure Python: no Flask, SQLAlchemy, Celery or Flask extension.

The rule is checked on the modules' syntax tree (every ``import`` and ``from … import``,
at any depth, including inside functions and ``TYPE_CHECKING`` blocks), so that a
forbidden import fails here even if it is never executed by the other tests.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "convention" / "domain"
FORBIDDEN_ROOTS = frozenset({"flask", "sqlalchemy", "celery", "werkzeug", "alembic", "kombu"})
FORBIDDEN_PREFIXES = ("flask_",)
# The application's own impure packages: the domain may only import itself.
FORBIDDEN_PROJECT = ("convention", "config", "workers", "seed")


def forbidden_imports(source: str, filename: str = "<source>") -> list[str]:
    """The forbidden imports of a module's source, as ``line: module`` strings."""
    tree = ast.parse(source, filename=filename)
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import: inside the domain package itself
                continue
            names = [node.module or ""]
        else:
            continue
        for name in names:
            root = name.split(".")[0]
            if root in FORBIDDEN_ROOTS or root.startswith(FORBIDDEN_PREFIXES):
                found.append(f"{node.lineno}: {name}")
            elif root in FORBIDDEN_PROJECT and not name.startswith("convention.domain"):
                found.append(f"{node.lineno}: {name}")
    return found


def domain_modules() -> list[Path]:
    return sorted(DOMAIN.rglob("*.py"))


def test_the_domain_package_has_modules():
    assert len(domain_modules()) >= 2, f"no domain modules found under {DOMAIN}"


@pytest.mark.parametrize("path", domain_modules(), ids=lambda p: str(p.relative_to(DOMAIN)))
def test_domain_module_is_pure(path: Path):
    bad = forbidden_imports(path.read_text(encoding="utf-8"), filename=str(path))
    assert not bad, f"{path.relative_to(DOMAIN.parent.parent)} imports outside pure Python: {bad}"


@pytest.mark.parametrize(
    "source",
    [
        "import flask",
        "from flask import current_app",
        "import sqlalchemy as sa",
        "from sqlalchemy.orm import Mapped",
        "import celery",
        "from celery import shared_task",
        "import flask_babel",
        "from flask_login import current_user",
        "from convention.extensions import db",
        "from convention.core.db import Model",
        "import config",
        "def late():\n    from flask_wtf import FlaskForm\n",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from sqlalchemy.orm import Session\n",
        "import os, werkzeug.utils",
    ],
)
def test_a_forbidden_import_is_caught(source: str):
    assert forbidden_imports(source), f"not caught: {source!r}"


@pytest.mark.parametrize(
    "source",
    [
        "import enum\nimport datetime as dt",
        "from collections.abc import Sequence",
        "from convention.domain.errors import IllegalTransition",
        "from . import phases\nfrom .errors import DomainError",
        "import difflib, textwrap",
        "flask = 'a string, not an import'",
        "import flasky_but_not_flask",
    ],
)
def test_a_pure_import_is_allowed(source: str):
    assert forbidden_imports(source) == []
