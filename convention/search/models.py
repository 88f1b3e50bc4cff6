"""The search index: one row per searchable object, maintained by ``indexing.py``.

The engine-specific parts are not declared here but created by ``ddl.create_search_ddl``:
on PostgreSQL a trigger fills ``search_vector`` (``tsvector``, French unaccented
configuration ``fr_unaccent``, GIN index); on SQLite an FTS5 table ``search_document_fts``
(external content, kept in sync by triggers) indexes ``search_title`` and ``body``.
"""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column

from convention.core.db import Model, UTCDateTime, str_enum, utcnow
from convention.search import ddl  # noqa: F401  (registers the after_create hook)


class SearchKind(enum.StrEnum):
    TEXT = "text"  # a block of the current version of the text
    CONTRIBUTION = "contribution"
    EVENT = "event"  # hearing, meeting, debate… of the calendar
    AMENDMENT = "amendment"


SEARCH_KIND_LABELS = {
    SearchKind.TEXT: "Texte",
    SearchKind.CONTRIBUTION: "Contribution",
    SearchKind.EVENT: "Rendez-vous",
    SearchKind.AMENDMENT: "Amendement",
}


class SearchDocument(Model):
    __tablename__ = "search_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    convention_id: Mapped[int] = mapped_column(sa.ForeignKey("convention.id"), index=True)
    kind: Mapped[SearchKind] = mapped_column(str_enum(SearchKind))
    object_id: Mapped[int]
    # Shown, not searched: the chapter of a block, the title of a contribution or event.
    title: Mapped[str] = mapped_column(sa.String(400))
    context: Mapped[str] = mapped_column(sa.String(400), default="")
    # Searched: ``search_title`` weighs more than ``body``; ``body`` also gives the excerpt.
    search_title: Mapped[str] = mapped_column(sa.Text, default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    url: Mapped[str] = mapped_column(sa.String(300))
    day: Mapped[dt.date | None]
    # Filters: the working groups as ",3,7," (an event may name several), a status or kind.
    working_group_ids: Mapped[str] = mapped_column(sa.String(300), default="")
    status: Mapped[str] = mapped_column(sa.String(40), default="")
    position: Mapped[int] = mapped_column(default=0)
    updated_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Filled by a trigger on PostgreSQL; unused (always NULL) on SQLite, which uses FTS5.
    search_vector: Mapped[str | None] = mapped_column(
        sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql"), deferred=True
    )

    __table_args__ = (
        sa.UniqueConstraint("kind", "object_id"),
        sa.Index("ix_search_document_search_vector", "search_vector", postgresql_using="gin"),
    )

    @property
    def kind_label(self) -> str:
        return SEARCH_KIND_LABELS[self.kind]

    def __repr__(self) -> str:
        return f"<SearchDocument {self.kind} {self.object_id}>"
