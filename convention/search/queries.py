"""Run a search: PostgreSQL ``tsvector`` (``fr_unaccent``) or SQLite FTS5, same results shape."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from markupsafe import Markup

from convention.core.pagination import clamp_page
from convention.extensions import db
from convention.search.ddl import CONFIG, FTS_TABLE
from convention.search.models import SEARCH_KIND_LABELS, SearchDocument, SearchKind
from convention.search.syntax import (
    MARK_START,
    MARK_STOP,
    fts5_query,
    highlight,
    normalise_query,
)

PER_PAGE = 20
EXCERPT_WORDS = 30

_KIND_ORDER = sa.case(
    (SearchDocument.kind == SearchKind.TEXT, 0),
    (SearchDocument.kind == SearchKind.CONTRIBUTION, 1),
    (SearchDocument.kind == SearchKind.AMENDMENT, 2),
    else_=3,
)


@dataclass(frozen=True)
class SearchHit:
    """One result: what it is, where it goes, and an excerpt with the matched words marked."""

    kind: SearchKind
    id: int
    title: str
    context: str
    excerpt: Markup
    url: str
    day: dt.date | None

    @property
    def kind_label(self) -> str:
        return SEARCH_KIND_LABELS[self.kind]


class SearchPagination(Pagination):
    """Pagination over the hits of a search (works with the ``pagination`` macro)."""

    def _query_items(self) -> list[Any]:
        fetch: Callable[[int, int], list[SearchHit]] = self._query_args["fetch_items"]
        return fetch(self._query_offset, self.per_page)

    def _query_count(self) -> int:
        return self._query_args["count_items"]()


def _filters(
    convention_id: int, kind: SearchKind | None, working_group_id: int | None
) -> list[sa.ColumnElement[bool]]:
    conditions = [SearchDocument.convention_id == convention_id]
    if kind is not None:
        conditions.append(SearchDocument.kind == kind)
    if working_group_id is not None:
        conditions.append(SearchDocument.working_group_ids.contains(f",{working_group_id},"))
    return conditions


def _hit(document: SearchDocument, excerpt: str | None, title_excerpt: str | None) -> SearchHit:
    """The body's excerpt if a word matched there, else the title's, else the body's start."""
    if excerpt and MARK_START in excerpt:
        text = excerpt
    elif title_excerpt and MARK_START in title_excerpt:
        text = title_excerpt
    else:
        text = excerpt if excerpt and excerpt.strip() else document.body[:240]
    return SearchHit(
        kind=document.kind,
        id=document.object_id,
        title=document.title,
        context=document.context,
        excerpt=highlight(text),
        url=document.url,
        day=document.day,
    )


def _postgres(query: str, conditions: list) -> tuple[Callable, Callable]:
    config = sa.literal_column(f"'{CONFIG}'::regconfig")
    tsquery = sa.func.websearch_to_tsquery(config, query)
    match = SearchDocument.search_vector.op("@@", return_type=sa.Boolean)(tsquery)
    where = [match, *conditions]
    options = (
        f'StartSel="{MARK_START}", StopSel="{MARK_STOP}", MaxWords={EXCERPT_WORDS}, MinWords=12, '
        'MaxFragments=2, FragmentDelimiter=" … "'
    )
    rank = sa.func.ts_rank(SearchDocument.search_vector, tsquery)
    excerpt = sa.func.ts_headline(config, SearchDocument.body, tsquery, options)
    title_excerpt = sa.func.ts_headline(config, SearchDocument.search_title, tsquery, options)

    def fetch(offset: int, limit: int) -> list[SearchHit]:
        rows = db.session.execute(
            sa.select(
                SearchDocument, excerpt.label("excerpt"), title_excerpt.label("title_excerpt")
            )
            .where(*where)
            .order_by(rank.desc(), _KIND_ORDER, SearchDocument.position, SearchDocument.id)
            .offset(offset)
            .limit(limit)
        ).all()
        return [_hit(document, text, title) for document, text, title in rows]

    def count() -> int:
        return db.session.scalar(sa.select(sa.func.count(SearchDocument.id)).where(*where)) or 0

    return fetch, count


def _sqlite(query: str, conditions: list) -> tuple[Callable, Callable]:
    expression = fts5_query(query)
    if expression is None:
        return (lambda offset, limit: []), (lambda: 0)
    fts = sa.table(FTS_TABLE, sa.column("rowid"))
    fts_name = sa.literal_column(FTS_TABLE)
    where = [fts_name.op("MATCH", return_type=sa.Boolean)(expression), *conditions]
    excerpt = sa.func.snippet(fts_name, 1, MARK_START, MARK_STOP, "…", EXCERPT_WORDS)
    title_excerpt = sa.func.snippet(fts_name, 0, MARK_START, MARK_STOP, "…", EXCERPT_WORDS)
    rank = sa.func.bm25(fts_name, 4.0, 1.0)

    def fetch(offset: int, limit: int) -> list[SearchHit]:
        rows = db.session.execute(
            sa.select(
                SearchDocument, excerpt.label("excerpt"), title_excerpt.label("title_excerpt")
            )
            .select_from(fts)
            .join(SearchDocument, SearchDocument.id == fts.c.rowid)
            .where(*where)
            .order_by(rank, _KIND_ORDER, SearchDocument.position, SearchDocument.id)
            .offset(offset)
            .limit(limit)
        ).all()
        return [_hit(document, text, title) for document, text, title in rows]

    def count() -> int:
        return (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(fts)
                .join(SearchDocument, SearchDocument.id == fts.c.rowid)
                .where(*where)
            )
            or 0
        )

    return fetch, count


def search(
    convention_id: int,
    query: str | None,
    *,
    kind: SearchKind | None = None,
    working_group_id: int | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> SearchPagination:
    """One page of the documents matching ``query`` (web-search syntax), best first."""
    text = normalise_query(query)
    conditions = _filters(convention_id, kind, working_group_id)
    if not text:
        fetch, count = (lambda offset, limit: []), (lambda: 0)
    elif db.engine.dialect.name == "postgresql":
        fetch, count = _postgres(text, conditions)
    else:
        fetch, count = _sqlite(text, conditions)
    return SearchPagination(
        page=clamp_page(page),
        per_page=per_page,
        max_per_page=None,
        error_out=False,
        fetch_items=fetch,
        count_items=count,
    )
