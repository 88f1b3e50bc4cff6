"""Password hashing with argon2id, and small request guards.

The argon2id parameters are OWASP's minimum (Password Storage Cheat Sheet: m = 19 MiB, t = 2,
p = 1), set explicitly rather than left to argon2-cffi's defaults (64 MiB, t = 3, p = 4, which
cost about 140 ms per login here): one verification takes about 20 ms of one core, so the
2-core machine checks some 40–60 logins per second on vote day (``bench/vote_load.py``). The
``ARGON2_*`` settings of ``config.py`` may raise them; a hash made with other parameters
(older defaults included) is upgraded at its owner's next login (``needs_rehash``).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import urlsplit

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's minimum for argon2id (also the defaults of config.py's ARGON2_* settings).
ARGON2_MEMORY_KIB = 19 * 1024  # 19 MiB
ARGON2_TIME_COST = 2
ARGON2_PARALLELISM = 1


@lru_cache(maxsize=8)
def _hasher_for(memory_kib: int, time_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(
        time_cost=time_cost,
        memory_cost=memory_kib,
        parallelism=parallelism,
        hash_len=32,
        salt_len=16,
        type=Type.ID,
    )


def password_hasher() -> PasswordHasher:
    """The hasher of the application's ``ARGON2_*`` settings (OWASP's minimum outside an application)."""
    from flask import current_app, has_app_context

    if has_app_context():
        config = current_app.config
        return _hasher_for(
            int(config.get("ARGON2_MEMORY_KIB", ARGON2_MEMORY_KIB)),
            int(config.get("ARGON2_TIME_COST", ARGON2_TIME_COST)),
            int(config.get("ARGON2_PARALLELISM", ARGON2_PARALLELISM)),
        )
    return _hasher_for(ARGON2_MEMORY_KIB, ARGON2_TIME_COST, ARGON2_PARALLELISM)


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return password_hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if ``password`` matches ``password_hash`` (whatever argon2 parameters made it)."""
    if not password_hash:
        return False
    try:
        return password_hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True if ``password_hash`` was made with other parameters than the current ones (or is no argon2id hash)."""
    try:
        return password_hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def safe_next_url(target: str | None) -> str | None:
    """``target`` if it is a relative path on this site, else None (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _has_nul(values: Iterable[str]) -> bool:
    return any("\x00" in value for value in values)


def refuse_nul_characters() -> None:
    """``before_request``: a NUL in the path, the query or a form is a 400 for every page.

    PostgreSQL cannot store or even compare a NUL in a text value, so one that reached a
    query was a server error (on that engine only); no legitimate input contains one.
    """
    from flask import abort, request

    if request.path.startswith("/api/"):
        return  # the API validates its parameters itself, with documented answers (OpenAPI)
    if "\x00" in request.path:  # the decoded path, so the path parameters too
        abort(400)
    args = request.args
    if _has_nul(args.keys()) or _has_nul(args.values()):
        abort(400)
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        form = request.form
        if _has_nul(form.keys()) or _has_nul(form.values()):
            abort(400)


def no_store_for_signed_in_pages(response):
    """``after_request``: pages built for a signed-in account are never stored by any cache.

    Member lists, rolls, the account page and notifications carry personal data: a shared
    computer's back button or a proxy must not keep them. Static files are left alone.
    """
    from flask import g, request

    user = g.get("_login_user")  # set only when the request looked at current_user
    if user is not None and user.is_authenticated and request.endpoint != "static":
        chosen = response.headers.get("Cache-Control", "")
        if not any(word in chosen for word in ("no-store", "no-cache", "private")):
            response.headers["Cache-Control"] = "no-store"  # unless the view chose for itself
        response.vary.add("Cookie")
    return response
