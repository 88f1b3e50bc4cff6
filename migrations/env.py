"""Alembic environment for Flask-Migrate (``flask db …``).

The same revisions run on SQLite (development, tests) and PostgreSQL (production, CI):

- batch mode (``render_as_batch=True``, passed by ``migrate.init_app``) so that ALTER
  operations are rendered as ``with op.batch_alter_table(...)``: SQLite recreates the
  table, PostgreSQL runs plain ALTERs;
- ``compare_type=True`` so that autogenerate sees column type changes;
- the project's column types (``TypeDecorator`` subclasses such as ``UTCDateTime``) are
  rendered as their SQLAlchemy implementation type, so that a revision never imports
  application code that may move later;
- tables that no model declares but that the database creates by itself (SQLite FTS5
  shadow tables, ``sqlite_*``) are ignored by autogenerate, so that it never proposes
  to drop them.
"""

from __future__ import annotations

import logging
from logging.config import fileConfig

import sqlalchemy as sa
from alembic import context
from flask import current_app

config = context.config

# Configure logging from alembic.ini, unless the caller (a test) already did.
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

#: Reflected tables that no model declares and that autogenerate must leave alone.
IGNORED_TABLE_PREFIXES = ("sqlite_",)
IGNORED_TABLE_MARKERS = ("_fts",)


def get_engine() -> sa.engine.Engine:
    return current_app.extensions["migrate"].db.engine


def get_engine_url() -> str:
    return get_engine().url.render_as_string(hide_password=False).replace("%", "%%")


config.set_main_option("sqlalchemy.url", get_engine_url())
target_db = current_app.extensions["migrate"].db


def get_metadata() -> sa.MetaData:
    if hasattr(target_db, "metadatas"):
        return target_db.metadatas[None]
    return target_db.metadata


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Leave out database-managed tables that the models do not declare."""
    if type_ == "table" and name:
        if name.startswith(IGNORED_TABLE_PREFIXES):
            return False
        if any(marker in name for marker in IGNORED_TABLE_MARKERS) and name not in get_metadata().tables:
            return False
    return True


def render_item(type_: str, obj: object, autogen_context) -> str | bool:
    """Render project TypeDecorators as their SQLAlchemy implementation (``sa.DateTime()``…)."""
    if type_ == "type" and isinstance(obj, sa.types.TypeDecorator):
        impl = obj.impl_instance
        if type(impl).__module__.startswith("sqlalchemy."):
            return f"sa.{impl!r}"
    return False


def _configure_args() -> dict:
    args = dict(current_app.extensions["migrate"].configure_args)
    args.setdefault("render_as_batch", True)
    args.setdefault("compare_type", True)
    args.setdefault("include_name", include_name)
    args.setdefault("render_item", render_item)
    return args


def run_migrations_offline() -> None:
    """Emit the SQL to stdout (``flask db upgrade --sql``) instead of running it."""
    url = config.get_main_option("sqlalchemy.url")
    context.configure(url=url, target_metadata=get_metadata(), literal_binds=True, **_configure_args())
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on a connection of the application's engine."""

    # Do not write an empty revision when autogenerate finds no change.
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = _configure_args()
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    connectable = get_engine()
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
