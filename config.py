"""Configuration classes, read from the environment.

``CONVENTION_CONFIG`` picks the class: ``development`` (default), ``testing`` or
``production``. Every setting that differs between machines comes from an
environment variable. ``check_and_complete`` runs in ``create_app`` once the class is loaded:
production refuses to start without a strong SECRET_KEY and a PUBLIC_BASE_URL, and only
answers requests for the hosts it serves; development keeps a random key under ``instance/``.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent
# Keys that were published (in this repository or its history): never accepted in production.
PUBLISHED_SECRET_KEYS = frozenset({"dev-only-not-secret", "testing-secret-key"})
MIN_SECRET_KEY_LENGTH = 32
MIN_SECRET_KEY_DISTINCT_CHARACTERS = 10
SECRET_KEY_FILE = "secret_key"


def normalise_database_url(url: str) -> str:
    """Map ``postgres://`` and ``postgresql://`` URLs to the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    # None: development reads or creates instance/secret_key; production refuses to start.
    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'convention.db'}")
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
    CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", "")
    CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")
    # Seconds before Redis hands the task of a worker that died to another one: longer than the
    # longest task (a tally, an export), or a slow task would be run twice.
    CELERY_VISIBILITY_TIMEOUT = int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600"))
    # Without a broker, tasks run inline in the process that queues them.
    CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL

    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = "Europe/Paris"
    LANGUAGES = ("fr", "en")

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Account forms other than the login (activation, reset, forgotten password): per address.
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
    # The login counts failed attempts only: per address (high: a whole section may share one
    # address on vote day) and per account (an attacker rotating addresses still meets it).
    LOGIN_ADDRESS_RATE_LIMIT = os.environ.get("LOGIN_ADDRESS_RATE_LIMIT", "30 per minute;200 per hour")
    LOGIN_ACCOUNT_RATE_LIMIT = os.environ.get("LOGIN_ACCOUNT_RATE_LIMIT", "10 per 15 minutes;30 per day")

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Convention <convention@localhost>")
    # In development no SMTP server is assumed: mails are written to the log.
    MAIL_SUPPRESS_SEND = _bool("MAIL_SUPPRESS_SEND", default=True)

    WTF_CSRF_TIME_LIMIT = 3600 * 8
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # « Se souvenir de moi »: not sent on cross-site requests, not readable by scripts.
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    FORCE_HTTPS = False
    # Number of reverse proxies in front of the app (X-Forwarded-For/-Proto trusted that deep).
    PROXY_FIX_HOPS = int(os.environ.get("PROXY_FIX_HOPS", "0"))
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024

    # The site's address: every absolute link (e-mails, feeds) is built on it, never on the
    # request's Host. Development defaults it to the address `flask run` serves.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")
    # Host names the site answers for (comma-separated in $TRUSTED_HOSTS); production defaults
    # to PUBLIC_BASE_URL's host and refuses the others with 400.
    TRUSTED_HOSTS: list[str] | None = [
        h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h.strip()
    ] or None

    # Domain part of the stable UIDs of the iCalendar feeds (never change it once published).
    ICS_UID_DOMAIN = os.environ.get("ICS_UID_DOMAIN", "convention.parti-socialiste.fr")

    INVITATION_TOKEN_HOURS = 24 * 14
    # The « ne plus recevoir ces courriels » link of each e-mail works for a year.
    UNSUBSCRIBE_TOKEN_DAYS = int(os.environ.get("UNSUBSCRIBE_TOKEN_DAYS", "365"))
    PASSWORD_RESET_TOKEN_HOURS = 2
    # Contributions' attachments: stored outside the static files, served by the application.
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(BASE_DIR / "instance" / "uploads"))
    CONTRIBUTION_MAX_ATTACHMENT_BYTES = int(
        os.environ.get("CONTRIBUTION_MAX_ATTACHMENT_BYTES", str(10 * 1024 * 1024))
    )
    # Long jobs (convention/jobs): a running job's worker writes a heartbeat every
    # JOB_HEARTBEAT_SECONDS (a thread, so a long step without progress still beats); one silent for
    # JOB_STALE_SECONDS lost its worker, and beat's sweep, every JOB_SWEEP_SECONDS, queues it again
    # for another worker to take over: a dead worker's tally resumes within stale + sweep seconds.
    JOB_STALE_SECONDS = int(os.environ.get("JOB_STALE_SECONDS", "30"))
    JOB_HEARTBEAT_SECONDS = float(os.environ.get("JOB_HEARTBEAT_SECONDS", "5"))
    JOB_SWEEP_SECONDS = float(os.environ.get("JOB_SWEEP_SECONDS", "15"))
    # Password hashing: argon2id at OWASP's minimum (Password Storage Cheat Sheet): 19 MiB of memory,
    # 2 passes, 1 lane; about 20 ms per login on one core of the 2-core development machine. A hash
    # made with other parameters is upgraded at its owner's next login.
    ARGON2_MEMORY_KIB = int(os.environ.get("ARGON2_MEMORY_KIB", "19456"))
    ARGON2_TIME_COST = int(os.environ.get("ARGON2_TIME_COST", "2"))
    ARGON2_PARALLELISM = int(os.environ.get("ARGON2_PARALLELISM", "1"))
    # The featured convention (every page under the short paths reads it) is kept per process for these
    # seconds (convention/conventions/featured.py): another process sees a forced phase or a newly
    # featured convention within them. 0: read it on every request.
    FEATURED_CONVENTION_CACHE_SECONDS = float(os.environ.get("FEATURED_CONVENTION_CACHE_SECONDS", "2"))
    # Line length used to number the lines of a text (as printed conventions do).
    TEXT_LINE_LENGTH = 80

    API_TITLE = "Convention — données ouvertes"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    API_SPEC_OPTIONS = {
        "info": {
            "description": "API publique en lecture des conventions nationales : phases, groupes de "
            "travail, calendrier, contributions et textes.",
        }
    }


class DevelopmentConfig(Config):
    DEBUG = False


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret-key"
    PUBLIC_BASE_URL = "http://localhost"
    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        os.environ.get("TEST_DATABASE_URL", "sqlite://")
    )
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = True
    MAIL_SUPPRESS_SEND = True
    CELERY_TASK_ALWAYS_EAGER = True
    FEATURED_CONVENTION_CACHE_SECONDS = 0.0  # tests change conventions under running apps
    UPLOAD_FOLDER = os.environ.get(
        "TEST_UPLOAD_FOLDER", os.path.join(tempfile.gettempdir(), "convention-test-uploads")
    )


class ProductionConfig(Config):
    PROXY_FIX_HOPS = int(os.environ.get("PROXY_FIX_HOPS", "1"))
    FORCE_HTTPS = _bool("FORCE_HTTPS", default=True)
    SESSION_COOKIE_SECURE = FORCE_HTTPS
    REMEMBER_COOKIE_SECURE = FORCE_HTTPS
    MAIL_SUPPRESS_SEND = _bool("MAIL_SUPPRESS_SEND", default=False)


def secret_key_problem(key: str | None) -> str | None:
    """Why ``key`` is too weak for production, or None if it will do."""
    if not key:
        return "SECRET_KEY must be set in production (export SECRET_KEY=… with a long random value)."
    if key in PUBLISHED_SECRET_KEYS:
        return "SECRET_KEY must be set in production: the development or testing key is published."
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters long in production."
    if len(set(key)) < MIN_SECRET_KEY_DISTINCT_CHARACTERS:
        return "SECRET_KEY has too little variety: use a random value (secrets.token_hex(32))."
    return None


def development_secret_key(instance_path: str | os.PathLike) -> str:
    """The key kept in ``instance/secret_key``, created (random, mode 0600) on first run."""
    path = Path(instance_path) / SECRET_KEY_FILE
    try:
        key = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        key = ""
    if len(key) >= MIN_SECRET_KEY_LENGTH:
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # O_EXCL when there is no file: a web process and a worker starting together agree on one key.
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if path.exists() else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        return development_secret_key(instance_path)  # the other process has just written it
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key


def served_address() -> str:
    """The address `flask run` serves (``FLASK_RUN_HOST``/``FLASK_RUN_PORT``, as `make run` sets)."""
    host = os.environ.get("FLASK_RUN_HOST") or "127.0.0.1"
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"
    port = os.environ.get("FLASK_RUN_PORT") or "5000"
    return f"http://{host}:{port}"


def check_and_complete(config: dict, name: str, instance_path: str | os.PathLike) -> None:
    """Refuse a production configuration that is unsafe; fill in the development defaults.

    Raises ``RuntimeError`` with the operator's fix (the process must not start).
    """
    from convention.core.links import validate_public_base_url

    if name == "production":
        problem = secret_key_problem(config.get("SECRET_KEY"))
        problem = problem or validate_public_base_url(config.get("PUBLIC_BASE_URL"))
        if problem:
            raise RuntimeError(problem)
        if not config.get("TRUSTED_HOSTS"):
            config["TRUSTED_HOSTS"] = [urlsplit(config["PUBLIC_BASE_URL"].strip()).hostname]
        return
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = development_secret_key(instance_path)
    if not config.get("PUBLIC_BASE_URL"):
        config["PUBLIC_BASE_URL"] = served_address()
    problem = validate_public_base_url(config["PUBLIC_BASE_URL"])
    if problem:
        raise RuntimeError(problem)


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
