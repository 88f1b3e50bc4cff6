"""The SQLAlchemy instance, the declarative base and the column types shared by all models."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model


def utcnow() -> dt.datetime:
    """The current time, timezone-aware, in UTC."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """A datetime stored naive in UTC and always read back timezone-aware.

    SQLite has no timezone support; storing naive UTC on both engines keeps
    comparisons identical.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


def str_enum(enum_cls: type, length: int = 32) -> sa.Enum:
    """A portable enum column: stored as its values in a VARCHAR, checked by a constraint."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        length=length,
        validate_strings=True,
        values_callable=lambda e: [m.value for m in e],
        create_constraint=True,
        name=enum_cls.__name__.lower(),
    )


def execute_core(statement: Any, parameters: Any = None) -> sa.CursorResult:
    """Run a Core statement (no ORM entity in it) on the session's connection, in its transaction, past
    the ORM's statement handling, which a Core statement does not need: about a third of what
    ``Session.execute`` costs in Python. For the vote day's hot path. Pending changes of the session are
    flushed first, as ``Session.execute`` would (a clean session returns at once)."""
    session = db.session()
    session.flush()
    return session.connection().execute(statement, parameters)


def savepoint(session: Any = None) -> Any:
    """``session.begin_nested()``, safe on SQLite: use it instead of ``begin_nested()``.

    pysqlite (Python 3.11) opens its transaction only before an INSERT/UPDATE/DELETE: a
    SAVEPOINT issued first would start a transaction of its own, and its RELEASE would commit
    at once, apart from the unit of work it belongs to. A BEGIN is issued first when needed
    (PostgreSQL needs nothing).
    """
    session = session if session is not None else db.session
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        dbapi_connection = connection.connection.dbapi_connection
        if dbapi_connection is not None and not dbapi_connection.in_transaction:
            connection.exec_driver_sql("BEGIN")
    return session.begin_nested()
