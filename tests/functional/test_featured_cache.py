"""The featured convention kept per process (convention/conventions/featured.py).

The tests run with ``FEATURED_CONVENTION_CACHE_SECONDS = 0``; here it is set, and a query counter
shows when the featured convention is read from the database and when it comes from the copy."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from convention.conventions import featured
from convention.conventions.models import Convention
from convention.conventions.setup import feature_convention
from convention.extensions import db
from tests.amendment_fixtures import build_world
from tests.convention_fixtures import add_convention


@pytest.fixture()
def cached(app, database, monkeypatch):
    monkeypatch.setitem(app.config, "FEATURED_CONVENTION_CACHE_SECONDS", 30.0)
    featured.forget()
    world = build_world()
    other = add_convention("logement", archived=False).convention
    db.session.commit()
    yield world, other.id
    featured.forget()


@pytest.fixture()
def convention_reads(app):
    """How many statements read the convention table (a list, appended to by each)."""
    reads: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if "FROM convention" in statement:
            reads.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    yield reads
    event.remove(engine, "before_cursor_execute", count)


FEATURED_QUERY = "ORDER BY convention.is_featured"  # get_featured_convention's statement


def home_title(client) -> str:
    page = client.get("/texte/").get_data(as_text=True)
    return page


def test_the_copy_saves_the_query_and_a_commit_that_features_another_drops_it(cached, convention_reads, client, app):
    world, other_id = cached
    assert "Sécurité et prévention" in home_title(client)
    reads_after_first = len(convention_reads)
    assert [s for s in convention_reads if FEATURED_QUERY in s]
    # The next pages come from the copy: no statement reads the featured convention again.
    for _ in range(3):
        assert "Sécurité et prévention" in home_title(client)
    featured_reads = [s for s in convention_reads[reads_after_first:] if FEATURED_QUERY in s]
    assert featured_reads == []
    # The Bureau national features the other convention: the commit drops the copy at once.
    with app.app_context():
        feature_convention(world.users["national_bureau"], db.session.get(Convention, other_id))
        db.session.commit()
    assert "Logement" in home_title(client)


def test_a_change_made_by_another_process_is_seen_once_the_copy_expires(cached, client, app, monkeypatch):
    world, other_id = cached
    assert "Sécurité et prévention" in home_title(client)
    # Another process renames the convention: this one does not see that commit (no event here).
    with db.engine.begin() as conn:
        conn.execute(sa.update(Convention).where(Convention.slug == "securite").values(short_title="Renommée"))
    assert "Renommée" not in home_title(client)  # the copy, still fresh
    later = time.monotonic() + 31
    monkeypatch.setattr(featured.time, "monotonic", lambda: later)
    assert "Renommée" in home_title(client)


def test_a_rolled_back_change_keeps_the_copy(cached, convention_reads, client, app):
    assert "Sécurité et prévention" in home_title(client)
    before = len(convention_reads)
    with app.app_context():
        convention = db.session.scalar(sa.select(Convention).where(Convention.slug == "securite"))
        convention.short_title = "Jamais enregistrée"
        db.session.flush()
        db.session.rollback()
    home_title(client)
    assert not [s for s in convention_reads[before:] if FEATURED_QUERY in s]


def test_every_request_has_its_own_instance_in_its_own_session(cached, app):
    with app.test_request_context("/"):
        from convention.core.templating import featured_convention

        first = featured_convention()
        assert first in db.session and first.short_title == "Sécurité et prévention"
        assert first.phases  # lazy loads work: the instance is the session's
    db.session.remove()
    with app.test_request_context("/"):
        second = featured_convention()
        assert second is not first and second in db.session
