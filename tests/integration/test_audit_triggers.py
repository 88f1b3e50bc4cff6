"""The migrated database itself refuses to change or delete audit entries (both engines)."""

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from config import normalise_database_url
from convention import create_app
from convention.extensions import db
from tests.integration.test_migrations import MIGRATIONS, empty_database  # noqa: F401


def test_audit_log_is_append_only_in_the_database(empty_database):  # noqa: F811
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=normalise_database_url(empty_database))
    try:
        with app.app_context():
            upgrade(directory=str(MIGRATIONS))
            with db.engine.begin() as conn:
                conn.execute(
                    sa.text(
                        "INSERT INTO audit_entry (created_dt, action, object_type, data) "
                        "VALUES (CURRENT_TIMESTAMP, 'test.insert', '', '{}')"
                    )
                )
            for statement in (
                "UPDATE audit_entry SET action = 'forged'",
                "DELETE FROM audit_entry",
            ):
                with pytest.raises(sa.exc.DatabaseError, match="append-only"):
                    with db.engine.begin() as conn:
                        conn.execute(sa.text(statement))
            with db.engine.connect() as conn:
                rows = conn.execute(sa.text("SELECT action FROM audit_entry")).scalars().all()
            assert rows == ["test.insert"]
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
