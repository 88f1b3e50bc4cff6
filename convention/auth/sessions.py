"""Revocable sessions: every session and remember cookie names the account's session generation.

Flask keeps the session in a signed cookie, so a copied cookie used to stay valid after a
logout or a password reset. The id Flask-Login stores (``User.get_id``) is now
``"<user id>:<generation>"``; ``end_all_sessions`` raises the generation, and the loader
refuses an id whose generation is not the current one, or an account that may no longer log in.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from convention.core.db import db
from convention.core.routing import MAX_ID
from convention.members.models import User

logger = logging.getLogger(__name__)


@functools.cache
def _user_with_roles() -> sa.Select:
    # Built on first use, once every model is mapped (``joinedload`` configures the mappers).
    return sa.select(User).options(joinedload(User.roles)).where(User.id == sa.bindparam("user_id"))


def load_session_user(session_id: str) -> User | None:
    """The account a session or remember cookie belongs to, if that session is still valid."""
    user_id, _, generation = (session_id or "").partition(":")
    if not (user_id.isdigit() and generation.isdigit()) or int(user_id) > MAX_ID:
        return None  # an id from before revocable sessions, or a forged one: log in again
    # The roles come in the same statement: the pages ask for them (the navigation, the permissions).
    # A statement built once (every request runs it): ``Session.get`` with options builds one each time.
    user = db.session.execute(_user_with_roles(), {"user_id": int(user_id)}).unique().scalar_one_or_none()
    if user is None or not user.is_active:
        return None
    if int(generation) != (user.session_generation or 0):
        return None
    return user


def end_all_sessions(actor: Any, user: User, reason: str) -> None:
    """End every session and remember cookie of ``user`` (flushes; never commits).

    The action that causes it (reset, role withdrawn…) is audited by its own operation.
    """
    user.session_generation = (user.session_generation or 0) + 1
    db.session.flush()
    logger.info("Sessions of user %s ended (%s)", user.id, reason)
