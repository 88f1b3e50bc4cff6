"""Configuration classes, read from the environment.

``CONVENTION_CONFIG`` picks the class: ``development`` (default), ``testing`` or
``production``. Every setting that differs between machines comes from an
environment variable; production refuses to start without a real SECRET_KEY.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
DEFAULT_SECRET_KEY = "dev-only-not-secret"


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
    SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
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
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")

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
    FORCE_HTTPS = False
    # Number of reverse proxies in front of the app (X-Forwarded-For/-Proto trusted that deep).
    PROXY_FIX_HOPS = int(os.environ.get("PROXY_FIX_HOPS", "0"))
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024

    # The site's address, for links in e-mails sent outside a request (CLI, workers).
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")

    # Domain part of the stable UIDs of the iCalendar feeds (never change it once published).
    ICS_UID_DOMAIN = os.environ.get("ICS_UID_DOMAIN", "convention.parti-socialiste.fr")

    INVITATION_TOKEN_HOURS = 24 * 14
    PASSWORD_RESET_TOKEN_HOURS = 2
    # Contributions' attachments: stored outside the static files, served by the application.
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(BASE_DIR / "instance" / "uploads"))
    CONTRIBUTION_MAX_ATTACHMENT_BYTES = int(
        os.environ.get("CONTRIBUTION_MAX_ATTACHMENT_BYTES", str(10 * 1024 * 1024))
    )
    # A running job that has not reported progress for this long lost its worker: it is run again.
    JOB_STALE_SECONDS = int(os.environ.get("JOB_STALE_SECONDS", "600"))
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
    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        os.environ.get("TEST_DATABASE_URL", "sqlite://")
    )
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = True
    MAIL_SUPPRESS_SEND = True
    CELERY_TASK_ALWAYS_EAGER = True
    UPLOAD_FOLDER = os.environ.get(
        "TEST_UPLOAD_FOLDER", os.path.join(tempfile.gettempdir(), "convention-test-uploads")
    )


class ProductionConfig(Config):
    PROXY_FIX_HOPS = int(os.environ.get("PROXY_FIX_HOPS", "1"))
    FORCE_HTTPS = _bool("FORCE_HTTPS", default=True)
    SESSION_COOKIE_SECURE = FORCE_HTTPS
    REMEMBER_COOKIE_SECURE = FORCE_HTTPS
    MAIL_SUPPRESS_SEND = _bool("MAIL_SUPPRESS_SEND", default=False)


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
