"""Account operations: log in, invitation and activation, password reset.

Each function flushes, writes an audit entry and never commits; e-mails are queued with
``after_commit`` so that nothing is sent for a unit of work that rolls back. Token secrets
are only ever held in memory and in the e-mail: the database keeps their SHA-256.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import sqlalchemy as sa
from flask import current_app

from convention.auth import emails
from convention.auth.passwords import password_problem
from convention.auth.sessions import end_all_sessions
from convention.core.after_commit import after_commit
from convention.core.audit import audit
from convention.core.db import db, utcnow
from convention.core.security import hash_password, needs_rehash, verify_password
from convention.domain.errors import DomainError
from convention.members.models import TokenPurpose, User, UserToken

logger = logging.getLogger(__name__)


# Verified when the e-mail is unknown, so that both answers take the same time.
_DUMMY_HASH: str | None = None


class TokenError(DomainError):
    """A one-time link that cannot be used (unknown, already used or expired)."""


class TokenUnknown(TokenError):
    def __init__(self) -> None:
        super().__init__("Ce lien n'est pas valide. Vérifiez qu'il a été copié en entier.")


class TokenUsed(TokenError):
    def __init__(self) -> None:
        super().__init__("Ce lien a déjà été utilisé : il ne peut servir qu'une fois.")


class TokenExpired(TokenError):
    def __init__(self) -> None:
        super().__init__("Ce lien a expiré ou a été remplacé par un lien plus récent.")


class AccountDisabled(TokenError):
    def __init__(self) -> None:
        super().__init__("Ce compte est désactivé. Contactez votre fédération.")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def get_user_by_email(email: str) -> User | None:
    """The account with this e-mail address, whatever its case."""
    return db.session.scalars(
        sa.select(User).where(sa.func.lower(User.email) == normalise_email(email))
    ).first()


def _check_password(password: str) -> None:
    problem = password_problem(password)
    if problem:
        raise DomainError(problem)


def authenticate_user(email: str, password: str, *, now: dt.datetime | None = None) -> User | None:
    """The active account matching ``email`` and ``password``, or None.

    On success the hash is upgraded if the argon2 parameters changed, ``last_login_dt``
    is set and the login is audited.
    """
    global _DUMMY_HASH
    user = get_user_by_email(email)
    if user is None or not user.password_hash:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_password("not-a-real-password")
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if not user.is_active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        logger.info("Password hash of user %s upgraded", user.id)
    user.last_login_dt = now or utcnow()
    audit(user, "user.login", user)
    db.session.flush()
    return user


def _new_token(user: User, purpose: TokenPurpose, hours: int, now: dt.datetime) -> str:
    """Create a token for ``user`` and return its secret; older unused ones expire now."""
    for token in db.session.scalars(
        sa.select(UserToken).where(
            UserToken.user_id == user.id,
            UserToken.purpose == purpose,
            UserToken.used_dt.is_(None),
        )
    ):
        if token.expires_dt > now:
            token.expires_dt = now
    secret = UserToken.new_secret()
    db.session.add(
        UserToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=UserToken.hash(secret),
            created_dt=now,
            expires_dt=now + dt.timedelta(hours=hours),
        )
    )
    db.session.flush()
    return secret


def invite_user(actor: Any, user: User, *, now: dt.datetime | None = None) -> str:
    """Create a one-time invitation for ``user``, mail it after commit and return its secret."""
    now = now or utcnow()
    if user.activated_dt is not None or user.password_hash:
        raise DomainError("Ce compte est déjà activé : utilisez « Mot de passe oublié ».")
    if not user.is_enabled:
        raise DomainError("Ce compte est désactivé : il ne peut pas être invité.")
    if user.id is None:
        db.session.flush()
    hours = int(current_app.config["INVITATION_TOKEN_HOURS"])
    secret = _new_token(user, TokenPurpose.INVITATION, hours, now)
    audit(actor, "user.invite", user, email=user.email, expires_in_hours=hours)
    after_commit(db.session, emails.send_invitation, user.email, user.display_name, secret, hours)
    return secret


def get_usable_token(
    secret: str, purpose: TokenPurpose, *, now: dt.datetime | None = None
) -> UserToken:
    """The token behind ``secret`` if it can still be used, else a ``TokenError``."""
    now = now or utcnow()
    token = db.session.scalars(
        sa.select(UserToken).where(
            UserToken.token_hash == UserToken.hash(secret), UserToken.purpose == purpose
        )
    ).first()
    if token is None:
        raise TokenUnknown()
    if token.used_dt is not None:
        raise TokenUsed()
    if not token.is_usable(now):
        raise TokenExpired()
    if not token.user.is_enabled:
        raise AccountDisabled()
    return token


def activate_account(token_secret: str, password: str, *, now: dt.datetime | None = None) -> User:
    """Set the first password of an invited account and use up its invitation."""
    now = now or utcnow()
    token = get_usable_token(token_secret, TokenPurpose.INVITATION, now=now)
    _check_password(password)
    user = token.user
    user.password_hash = hash_password(password)
    if user.activated_dt is None:
        user.activated_dt = now
    token.used_dt = now
    audit(user, "user.activate", user)
    end_all_sessions(user, user, "activation")
    return user


def request_password_reset(email: str, *, now: dt.datetime | None = None) -> None:
    """Mail a reset link if ``email`` belongs to an active account; silent otherwise."""
    now = now or utcnow()
    user = get_user_by_email(email)
    if user is None or not user.is_active:
        logger.info("Password reset requested for an unknown or inactive address")
        return
    hours = int(current_app.config["PASSWORD_RESET_TOKEN_HOURS"])
    secret = _new_token(user, TokenPurpose.PASSWORD_RESET, hours, now)
    audit(None, "user.password_reset_request", user, expires_in_hours=hours)
    after_commit(
        db.session, emails.send_password_reset, user.email, user.display_name, secret, hours
    )


def reset_password(token_secret: str, password: str, *, now: dt.datetime | None = None) -> User:
    """Set a new password from a reset link and use up the link."""
    now = now or utcnow()
    token = get_usable_token(token_secret, TokenPurpose.PASSWORD_RESET, now=now)
    _check_password(password)
    user = token.user
    user.password_hash = hash_password(password)
    token.used_dt = now
    audit(user, "user.password_reset", user)
    end_all_sessions(user, user, "password_reset")
    return user


def log_out(user: User, *, everywhere: bool = False) -> None:
    """End ``user``'s sessions: a logout ends them all, a copied cookie included."""
    end_all_sessions(user, user, "logout_everywhere" if everywhere else "logout")
    if everywhere:
        audit(user, "user.sessions_ended", user)
