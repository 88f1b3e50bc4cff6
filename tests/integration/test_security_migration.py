"""Revision c9d8e7f6a5b4 (issue 9): feed secrets hashed in place, sessions generation, on both engines."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from config import normalise_database_url
from convention import create_app
from convention.extensions import db
from tests.integration.test_migrations import MIGRATIONS, empty_database  # noqa: F401

REVISION = "c9d8e7f6a5b4"


def test_feed_secrets_are_hashed_in_place_and_keep_working(empty_database):  # noqa: F811
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=normalise_database_url(empty_database))
    try:
        with app.app_context():
            engine = db.engine
            upgrade(directory=str(MIGRATIONS), revision=f"{REVISION}-1")
            with engine.begin() as conn:
                user_id = conn.execute(
                    sa.text(
                        "INSERT INTO users (email, display_name, is_enabled, created_dt) "
                        "VALUES ('f@exemple.fr', 'F', true, CURRENT_TIMESTAMP) RETURNING id"
                    )
                ).scalar_one()
                conn.execute(
                    sa.text("INSERT INTO calendar_feed_token (user_id, token, created_dt) "
                            "VALUES (:u, 'un-secret-deja-abonne', CURRENT_TIMESTAMP)"),
                    {"u": user_id},
                )  # fmt: skip
            upgrade(directory=str(MIGRATIONS), revision=REVISION)
            with engine.connect() as conn:
                stored = conn.execute(sa.text("SELECT token_hash FROM calendar_feed_token")).scalar_one()
                generation = conn.execute(sa.text("SELECT session_generation FROM users")).scalar_one()
            assert stored == hashlib.sha256(b"un-secret-deja-abonne").hexdigest()
            assert generation == 0
            from convention.calendar.queries import find_feed_token

            assert find_feed_token("un-secret-deja-abonne").user_id == user_id  # the old address works
            db.session.remove()
            downgrade(directory=str(MIGRATIONS), revision=f"{REVISION}-1")
            columns = {c["name"] for c in sa.inspect(engine).get_columns("calendar_feed_token")}
            assert "token" in columns and "token_hash" not in columns
            downgrade(directory=str(MIGRATIONS), revision="base")
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
