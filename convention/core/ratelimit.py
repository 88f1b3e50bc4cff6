"""Rate limits that survive a Redis outage, and the login limit that counts failures only.

``FallbackStorage`` (``fallback+redis://…``, chosen by ``create_app`` when
``RATELIMIT_STORAGE_URI`` is a Redis address) counts in Redis and, while Redis cannot be
reached, in this process's memory: members keep logging in and checking their receipts
instead of meeting a server error. It says so in the log, tries Redis again every
``RETRY_SECONDS`` and goes back to it by itself.

The login form has two limits that count failed attempts only (a successful login is free):
one per address (high, so that a crowd behind one address is not turned away on vote day)
and one per account (so that rotating ``X-Forwarded-For`` does not help an attacker).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from flask import current_app, request
from limits.storage import MemoryStorage, Storage, storage_from_string

logger = logging.getLogger(__name__)

SCHEME_PREFIX = "fallback+"
# Without these, an unreachable (not refusing) Redis would hold every login for minutes.
DEFAULT_REDIS_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


class FallbackStorage(Storage):
    """A Redis storage that falls back to memory while Redis is down (fixed-window strategy)."""

    STORAGE_SCHEME = ["fallback+redis", "fallback+rediss", "fallback+redis+unix"]
    RETRY_SECONDS = 15.0

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options: Any) -> None:
        inner_uri = uri[len(SCHEME_PREFIX) :] if uri.startswith(SCHEME_PREFIX) else uri
        self.primary = storage_from_string(inner_uri, **{**DEFAULT_REDIS_OPTIONS, **options})
        self.memory = MemoryStorage()
        self._lock = threading.Lock()
        self._down_until = 0.0  # while time.monotonic() is below it, Redis is not tried
        self.is_down = False
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return ()  # never raises: an outage is handled here

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if self.is_down and time.monotonic() < self._down_until:
            return getattr(self.memory, name)(*args, **kwargs)
        try:
            result = getattr(self.primary, name)(*args, **kwargs)
        except self.primary.base_exceptions as error:
            with self._lock:
                if not self.is_down:
                    logger.warning(
                        "Rate-limit store unreachable (%s): counting in this process's memory "
                        "until it is back (retried every %g s)",
                        error, self.RETRY_SECONDS,
                    )  # fmt: skip
                self.is_down = True
                self._down_until = time.monotonic() + self.RETRY_SECONDS
            return getattr(self.memory, name)(*args, **kwargs)
        if self.is_down:
            with self._lock:
                if self.is_down:
                    logger.warning("Rate-limit store reachable again: counting in Redis")
                self.is_down = False
        return result

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return self._call("incr", key, expiry, amount=amount)

    def get(self, key: str) -> int:
        return self._call("get", key)

    def get_expiry(self, key: str) -> float:
        return self._call("get_expiry", key)

    def check(self) -> bool:
        return True  # the limiter always has somewhere to count

    def reset(self) -> int | None:
        self.memory.reset()
        return self._call("reset")

    def clear(self, key: str) -> None:
        self.memory.clear(key)
        self._call("clear", key)


def resilient_storage_uri(uri: str) -> str:
    """``uri`` routed through ``FallbackStorage`` when it is a Redis address."""
    if uri.startswith(("redis://", "rediss://", "redis+unix://")):
        return SCHEME_PREFIX + uri
    return uri


# --- the login limits -------------------------------------------------------------------------


def login_address_limit() -> str:
    return current_app.config["LOGIN_ADDRESS_RATE_LIMIT"]


def login_account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def login_account_key() -> str:
    """The account a login attempt is about (its e-mail, normalised), whatever the address."""
    email = (request.form.get("email") or "").strip().lower()[:254]
    return f"compte:{email}"


def login_failed(response: Any) -> bool:
    """Deduct only failed attempts: a successful login redirects."""
    return response.status_code != 302


def retry_message() -> str | None:
    """« Réessayez dans 12 minutes. » for the limit the current request exceeded, if known."""
    from convention.extensions import limiter

    try:
        current = limiter.current_limit
        reset_at = current.reset_at if current is not None else None
    except Exception:  # noqa: BLE001 (the store may be what failed)
        return None
    if not reset_at:
        return None
    seconds = max(1, int(reset_at - time.time()))
    if seconds < 60:
        when = f"{seconds} seconde{'s' if seconds > 1 else ''}"
    else:
        minutes = -(-seconds // 60)
        when = f"{minutes} minute{'s' if minutes > 1 else ''}"
    return f"Trop de tentatives en peu de temps. Réessayez dans {when}."
