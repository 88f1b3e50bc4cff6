"""The search DDL that Alembic cannot autogenerate, in one idempotent function per direction.

PostgreSQL: the ``unaccent`` extension (postgresql-contrib), the text search configuration
``fr_unaccent`` (a copy of ``french`` whose word mappings go through ``unaccent`` then
``french_stem``), and the trigger that fills ``search_document.search_vector``.
SQLite: the FTS5 table ``search_document_fts`` (external content ``search_document``,
``unicode61 remove_diacritics 2``) and the triggers that keep it in sync.

``create_search_ddl(connection)`` is called by the migration (after ``search_document``
is created) and, through the ``after_create`` hook below, by ``db.create_all()``.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from convention.core.db import Model

logger = logging.getLogger(__name__)

CONFIG = "fr_unaccent"
FTS_TABLE = "search_document_fts"

_POSTGRES = (
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    f"""
    DO $$
    BEGIN
      IF NOT EXISTS (
        SELECT 1 FROM pg_ts_config c JOIN pg_namespace n ON n.oid = c.cfgnamespace
        WHERE c.cfgname = '{CONFIG}' AND n.nspname = current_schema()
      ) THEN
        CREATE TEXT SEARCH CONFIGURATION {CONFIG} (COPY = french);
        ALTER TEXT SEARCH CONFIGURATION {CONFIG}
          ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
          WITH unaccent, french_stem;
      END IF;
    END
    $$
    """,
    f"""
    CREATE OR REPLACE FUNCTION search_document_vector() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      NEW.search_vector :=
        setweight(to_tsvector('{CONFIG}', coalesce(NEW.search_title, '')), 'A')
        || setweight(to_tsvector('{CONFIG}', coalesce(NEW.body, '')), 'B');
      RETURN NEW;
    END
    $$
    """,
    """
    CREATE OR REPLACE TRIGGER search_document_vector
    BEFORE INSERT OR UPDATE OF search_title, body ON search_document
    FOR EACH ROW EXECUTE FUNCTION search_document_vector()
    """,
)

_SQLITE = (
    f"""
    CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(
      search_title, body,
      content='search_document', content_rowid='id',
      tokenize='unicode61 remove_diacritics 2', prefix='2 3'
    )
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_insert AFTER INSERT ON search_document BEGIN
      INSERT INTO {FTS_TABLE}(rowid, search_title, body)
      VALUES (new.id, new.search_title, new.body);
    END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_delete AFTER DELETE ON search_document BEGIN
      INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_title, body)
      VALUES ('delete', old.id, old.search_title, old.body);
    END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_update AFTER UPDATE ON search_document BEGIN
      INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_title, body)
      VALUES ('delete', old.id, old.search_title, old.body);
      INSERT INTO {FTS_TABLE}(rowid, search_title, body)
      VALUES (new.id, new.search_title, new.body);
    END
    """,
    # Re-read the content table: the FTS index matches it whatever happened before.
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
)


def create_search_ddl(connection: sa.Connection) -> None:
    """Create the engine-specific search objects if they are missing (idempotent)."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        statements = _POSTGRES
    elif dialect == "sqlite":
        statements = _SQLITE
    else:  # pragma: no cover - only the two supported engines
        logger.warning("no full-text search DDL for dialect %s", dialect)
        return
    for statement in statements:
        connection.exec_driver_sql(statement)


def drop_search_ddl(connection: sa.Connection) -> None:
    """Remove what ``create_search_ddl`` made for the table (for a migration's downgrade).

    The PostgreSQL extension and configuration stay: other objects may use them.
    """
    dialect = connection.dialect.name
    if dialect == "sqlite":
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {FTS_TABLE}")
        for suffix in ("insert", "delete", "update"):
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{suffix}")
    elif dialect == "postgresql":
        inspector = sa.inspect(connection)
        if inspector.has_table("search_document"):
            connection.exec_driver_sql(
                "DROP TRIGGER IF EXISTS search_document_vector ON search_document"
            )
        connection.exec_driver_sql("DROP FUNCTION IF EXISTS search_document_vector()")


def _after_create(target, connection: sa.Connection, **kw) -> None:
    if "search_document" in target.tables and sa.inspect(connection).has_table("search_document"):
        create_search_ddl(connection)


def _before_drop(target, connection: sa.Connection, **kw) -> None:
    if connection.dialect.name == "sqlite":
        drop_search_ddl(connection)


sa.event.listen(Model.metadata, "after_create", _after_create)
sa.event.listen(Model.metadata, "before_drop", _before_drop)
