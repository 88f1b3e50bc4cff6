"""Logging in finds the account by its address through an index, whatever the address's case.

With 100,000 accounts, a lookup on ``lower(email)`` without an index on that expression read the
whole table at every login (60 ms of PostgreSQL each: vote day's logins were capped by it)."""

from __future__ import annotations

import sqlalchemy as sa

from convention.auth.operations import get_user_by_email
from convention.extensions import db
from convention.members.models import User
from tests.auth_fixtures import make_user


def plan_of(statement) -> str:
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))  # a tiny table would be scanned anyway
        rows = db.session.execute(sa.text(f"EXPLAIN {compiled}")).scalars().all()
    else:
        rows = [row[-1] for row in db.session.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}")).all()]
    return "\n".join(rows)


def test_the_lookup_by_address_uses_the_index_on_lower_email(database):
    make_user(email="Camille.Martin@Exemple.fr")
    db.session.commit()
    assert get_user_by_email("camille.martin@exemple.FR").email == "Camille.Martin@Exemple.fr"
    statement = sa.select(User).where(sa.func.lower(User.email) == "camille.martin@exemple.fr")
    plan = plan_of(statement)
    assert "ix_users_email_lower" in plan, plan
    db.session.rollback()
