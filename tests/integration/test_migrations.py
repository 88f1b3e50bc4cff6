"""Migrations are reviewed code: they build the models' schema on both engines, and undo it.

For SQLite (a file) and PostgreSQL (a throwaway database created and dropped here):
(a) ``flask db upgrade`` on an empty database reaches the head revision;
(b) no drift: Alembic's autogenerate finds no difference between the upgraded
    database and the models' metadata (a model changed without a revision fails here);
(c) ``flask db downgrade base`` removes every table again.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from config import normalise_database_url
from convention import create_app
from convention.extensions import db
from tests.integration.test_services import require_postgres, with_database

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
# Tables that the database creates by itself and that no model declares (see migrations/env.py).
IGNORED_TABLE_PREFIXES = ("sqlite_",)
IGNORED_TABLE_MARKERS = ("_fts",)


def _head_revisions() -> tuple[str, ...]:
    from alembic.config import Config

    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    return tuple(ScriptDirectory.from_config(config).get_heads())


def describe(diff) -> str:
    """One readable line for an entry of ``compare_metadata``'s result."""
    if isinstance(diff, list):  # modify_* entries come grouped per column
        return "; ".join(describe(item) for item in diff)
    op, *args = diff
    if op.startswith("modify_"):
        _schema, table, column, _kw, old, new = args
        return f"{op} {table}.{column}: {old!r} -> {new!r}"
    if op in ("add_column", "remove_column"):
        return f"{op} {args[1]}.{args[2].name}"
    target = args[-1]
    table = getattr(target, "table", None)
    name = getattr(target, "name", None) or target
    return f"{op} {name}" + (f" on {table.name}" if table is not None and table.name != name else "")


def _include_name(name, type_, parent_names) -> bool:
    if type_ == "table" and name:
        if name.startswith(IGNORED_TABLE_PREFIXES):
            return False
        if any(m in name for m in IGNORED_TABLE_MARKERS) and name not in db.metadata.tables:
            return False
    return True


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path) -> Iterator[str]:
    """The URL of an empty database of each engine; the PostgreSQL one is dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    import psycopg

    admin_url = require_postgres()
    name = f"convention_migr_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_database(admin_url, name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_migrations_folder_has_one_head():
    heads = _head_revisions()
    assert heads, (
        "migrations/versions holds no revision yet: generate the initial one with "
        '`flask db migrate -m "initial schema"` (then review it) once the models are settled.'
    )
    assert len(heads) == 1, f"several heads {heads}: merge them with `flask db merge heads`"


# SQLite's reflection cannot read an expression index (``ix_users_email_lower``, on lower(email)): it is
# skipped on both sides of the comparison, and SQLAlchemy says so.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
def test_upgrade_matches_the_models_and_downgrade_empties(empty_database):
    heads = _head_revisions()
    if not heads:
        pytest.fail(
            'no revision in migrations/versions: nothing to upgrade to (run `flask db migrate -m "initial schema"`).',
            pytrace=False,
        )
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=normalise_database_url(empty_database))
    try:
        with app.app_context():
            engine = db.engine
            # (a) upgrade an empty database to the head revision
            upgrade(directory=str(MIGRATIONS))
            with engine.connect() as conn:
                context = MigrationContext.configure(
                    conn,
                    opts={
                        "compare_type": True,
                        "render_as_batch": True,
                        "include_name": _include_name,
                    },
                )
                assert context.get_current_heads() == heads
                # (b) no drift between the upgraded schema and the models
                diffs = compare_metadata(context, db.metadata)
            upgraded = set(sa.inspect(engine).get_table_names())
            # (b') CHECK constraints, which autogenerate does not compare: every value of the
            # models' enums is accepted by the migrated schema (here: the notification kinds).
            from convention.notifications.models import NotificationKind

            with engine.begin() as conn:
                user_id = conn.execute(
                    sa.text(
                        "INSERT INTO users (email, display_name, is_enabled, created_dt) "
                        "VALUES ('k@exemple.fr', 'K', true, CURRENT_TIMESTAMP) RETURNING id"
                    )
                ).scalar_one()
                for kind in NotificationKind:
                    conn.execute(
                        sa.text(
                            "INSERT INTO notification (user_id, kind, subject, body, url, created_dt, "
                            "email_status, attempts) VALUES (:u, :k, 's', '', '', CURRENT_TIMESTAMP, "
                            "'skipped', 0)"
                        ),
                        {"u": user_id, "k": kind.value},
                    )
                    conn.execute(
                        sa.text(
                            "INSERT INTO notification_preference (user_id, kind, frequency) VALUES (:u, :k, 'never')"
                        ),
                        {"u": user_id, "k": kind.value},
                    )

            # (c) downgrade to base removes every table the migrations created
            downgrade(directory=str(MIGRATIONS), revision="base")
            left = {
                name
                for name in sa.inspect(engine).get_table_names()
                if name != "alembic_version" and not name.startswith("sqlite_")
            }
            with engine.connect() as conn:
                assert MigrationContext.configure(conn).get_current_heads() == ()
        assert not left, f"downgrade base left tables behind: {sorted(left)}"
        assert not diffs, (
            f"the models differ from the migrations on {engine.dialect.name}; write a revision "
            "(`flask db migrate -m …`) and review it:\n" + "\n".join(f"  - {describe(diff)}" for diff in diffs)
        )
        assert set(db.metadata.tables) <= upgraded
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_the_contribution_numbers_become_one_series_as_the_seed_numbers_them(empty_database):
    """Upgrading a database seeded before b8c9d0e1f2a3 gives the numbers ``flask seed`` now gives.

    The document's platform list has no n° 5: a renumbering of the repeated numbers only would
    keep e-mail n° 5 as 5 and leave ``flask seed`` creating a duplicate afterwards.
    """
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=normalise_database_url(empty_database))
    platform = [n for n in range(1, 27) if n != 5]
    email = list(range(1, 10))
    with app.app_context():
        upgrade(directory=str(MIGRATIONS), revision="a7b8c9d0e1f2")
        with db.engine.begin() as conn:
            convention_id = conn.execute(sa.text(
                "INSERT INTO convention (slug, title, short_title, initiator, description, "
                "amendment_cosignatures_required, created_dt) VALUES "
                "('archive', 'Archive', 'Archive', '', '', 5, CURRENT_TIMESTAMP) RETURNING id"
            )).scalar_one()
            for channel, numbers in (("platform", platform), ("email", email)):
                for number in numbers:
                    conn.execute(sa.text(
                        "INSERT INTO contribution (convention_id, channel, number, title, body, "
                        "author_name, section_name, federation_name, status, submitted_dt, answer, "
                        "attachment_name, attachment_kind) VALUES (:c, :ch, :n, :t, '', '', '', '', "
                        "'submitted', CURRENT_TIMESTAMP, '', '', '')"
                    ), {"c": convention_id, "ch": channel, "n": number, "t": f"{channel} {number}"})
        upgrade(directory=str(MIGRATIONS))
        with db.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT title, number FROM contribution")).all()
            featured = conn.execute(sa.text("SELECT is_featured, published_dt FROM convention")).one()
        numbers = dict(rows)
        assert {numbers[f"platform {n}"] for n in platform} == set(platform)
        assert [numbers[f"email {n}"] for n in email] == [26 + n for n in email]
        assert bool(featured[0]) and featured[1] is not None
        db.engine.dispose()
