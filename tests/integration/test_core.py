"""The audit log is append-only; side effects run only after commit."""

import pytest
import sqlalchemy as sa

from convention.conventions.models import Convention
from convention.core.after_commit import after_commit
from convention.core.audit import AuditEntry, AuditLogIsAppendOnly, audit


@pytest.fixture()
def convention(database):
    convention = Convention(slug="c", title="Convention", short_title="C")
    database.session.add(convention)
    database.session.flush()
    return convention


def test_audit_entry_records_actor_object_and_data(database, convention):
    entry = audit(None, "convention.test", convention, before="a", after=["b", 1])
    database.session.commit()
    stored = database.session.get(AuditEntry, entry.id)
    assert (stored.object_type, stored.object_id) == ("Convention", convention.id)
    assert stored.data == {"before": "a", "after": ["b", 1]}
    assert stored.created_dt.tzinfo is not None


def test_audit_entries_cannot_be_changed_or_deleted(database, convention):
    entry = audit(None, "convention.test", convention)
    database.session.commit()
    entry.action = "forged"
    with pytest.raises(AuditLogIsAppendOnly):
        database.session.flush()
    database.session.rollback()
    database.session.delete(database.session.get(AuditEntry, entry.id))
    with pytest.raises(AuditLogIsAppendOnly):
        database.session.flush()
    database.session.rollback()
    assert database.session.get(AuditEntry, entry.id).action == "convention.test"


def test_after_commit_runs_only_once_committed(database, convention):
    calls = []
    after_commit(database.session, calls.append, "sent")
    database.session.flush()
    assert calls == []
    database.session.commit()
    assert calls == ["sent"]
    database.session.commit()
    assert calls == ["sent"]


def test_after_commit_dropped_on_rollback(database, convention):
    calls = []
    after_commit(database.session, calls.append, "never")
    database.session.rollback()
    database.session.commit()
    assert calls == []


def test_after_commit_and_savepoints(database, convention):
    """A released savepoint runs nothing yet; a rolled-back one drops only what it queued."""
    calls = []
    session = database.session
    session.execute(sa.select(1))
    after_commit(session, calls.append, "before")
    with session.begin_nested():
        after_commit(session, calls.append, "kept")
    assert calls == []  # the savepoint's release is not the commit
    with pytest.raises(ValueError), session.begin_nested():
        after_commit(session, calls.append, "dropped")
        raise ValueError
    after_commit(session, calls.append, "after")
    session.commit()
    assert calls == ["before", "kept", "after"]


def test_naive_datetimes_are_refused(database):
    import datetime as dt

    convention = Convention(slug="n", title="N", short_title="N", created_dt=dt.datetime(2024, 1, 1))
    database.session.add(convention)
    with pytest.raises(sa.exc.StatementError):
        database.session.flush()
    database.session.rollback()


@pytest.mark.parametrize(
    ("day", "expected"),
    [(1, "1er septembre 2023"), (2, "2 septembre 2023"), (21, "21 septembre 2023")],
)
def test_french_dates_use_the_ordinal_for_the_first(app, day, expected):
    import datetime as dt

    with app.test_request_context("/"):
        render = app.jinja_env.filters["date_fr"]
        assert render(dt.date(2023, 9, day)) == expected


def test_proxy_fix_trusts_the_configured_proxy_only(app):
    from convention import create_app

    behind = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://", PROXY_FIX_HOPS=1)
    direct = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://")
    seen = {}
    for name, application in (("behind", behind), ("direct", direct)):

        @application.get("/_addr")
        def addr():
            from flask import request

            return request.remote_addr or ""

        response = application.test_client().get(
            "/_addr", headers={"X-Forwarded-For": "203.0.113.7"}, environ_base={"REMOTE_ADDR": "10.0.0.1"}
        )
        seen[name] = response.get_data(as_text=True)
        with application.app_context():
            from convention.extensions import db

            db.engine.dispose()
    assert seen == {"behind": "203.0.113.7", "direct": "10.0.0.1"}
