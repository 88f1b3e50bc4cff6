"""Convention: the Flask application factory."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask, request

from config import CONFIGS, check_and_complete

ROOT = Path(__file__).resolve().parent.parent
BLUEPRINTS = (
    "convention.notifications.views",
    "convention.admin.views",
    "convention.conventions.views",
    "convention.conventions.setup_views",
    "convention.auth.views",
    "convention.groups.views",
    "convention.calendar.views",
    "convention.contributions.views",
    "convention.provenance.views",
    "convention.texts.views",
    "convention.members.views",
    "convention.search.views",
    "convention.jobs.views",
    "convention.votes.views",
    "convention.amendments.views",
    "convention.amendments.imports",
    "convention.versions.views",
    "convention.outputs.views",
)


def create_app(config_name: str | None = None, **overrides) -> Flask:
    """Build the application; ``config_name`` defaults to $CONVENTION_CONFIG or development."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder="static",
        instance_path=str(ROOT / "instance"),
    )
    name = config_name or os.environ.get("CONVENTION_CONFIG", "development")
    app.config.from_object(CONFIGS[name])
    app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    # Refuses an unsafe production configuration; development gets a random key kept in instance/.
    check_and_complete(app.config, name, app.instance_path)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # one line per plugin, every start
    if app.config.get("CELERY_TASK_ALWAYS_EAGER"):
        # Tasks run inline (no broker): one « Task … succeeded » line per notification would bury
        # what `flask seed` and the server say. A worker's own log keeps them.
        logging.getLogger("celery.app.trace").setLevel(logging.WARNING)

    if app.config["PROXY_FIX_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    _init_extensions(app)
    _register_blueprints(app)

    from convention.core.errors import register_error_handlers
    from convention.core.templating import init_templating

    register_error_handlers(app)
    from convention.core.security import no_store_for_signed_in_pages, refuse_nul_characters

    app.before_request(refuse_nul_characters)
    app.after_request(no_store_for_signed_in_pages)
    init_templating(app)

    from convention.cli import register_cli

    register_cli(app)
    return app


def _init_extensions(app: Flask) -> None:
    from flask_talisman import Talisman

    from convention import models  # noqa: F401  (every table on the metadata)
    from convention.core import after_commit
    from convention.extensions import babel, csrf, db, limiter, login_manager, mail, migrate

    db.init_app(app)
    after_commit.install(db.session)
    migrate.init_app(app, db, render_as_batch=True, directory=str(ROOT / "migrations"), compare_type=True)
    # The limiter goes before CSRF so that bad-token POSTs on the login form count too. A Redis
    # store goes through FallbackStorage: a Redis outage must not turn logins into errors.
    from convention.core.ratelimit import resilient_storage_uri

    app.config["RATELIMIT_STORAGE_URI"] = resilient_storage_uri(app.config["RATELIMIT_STORAGE_URI"])
    limiter.init_app(app)
    csrf.init_app(app)
    mail.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, default_translation_directories=str(ROOT / "translations"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Connectez-vous pour accéder à cette page."
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str):
        from convention.auth.sessions import load_session_user

        return load_session_user(user_id)

    Talisman(
        app,
        force_https=app.config["FORCE_HTTPS"],
        session_cookie_secure=app.config.get("SESSION_COOKIE_SECURE", False),
        strict_transport_security=app.config["FORCE_HTTPS"],
        content_security_policy={
            "default-src": "'self'",
            "script-src": "'self'",
            "style-src": "'self'",
            "img-src": "'self' data:",
            "font-src": "'self'",
            "object-src": "'none'",
            "base-uri": "'self'",
            "form-action": "'self'",
            "frame-ancestors": "'none'",
        },
        referrer_policy="strict-origin-when-cross-origin",
    )

    from convention.workers_app import init_celery

    init_celery(app)


def _select_locale() -> str:
    lang = request.args.get("lang") or request.cookies.get("lang")
    if lang in ("fr", "en"):
        return lang
    return "fr"


def _register_blueprints(app: Flask) -> None:
    import importlib

    from convention.core.routing import IdConverter

    app.url_map.converters["int"] = IdConverter  # before any rule is added
    for module_name in BLUEPRINTS:
        module = importlib.import_module(module_name)
        app.register_blueprint(module.bp)
    from convention.api import init_api

    init_api(app)
    from convention.core.routing import install_convention_routes

    install_convention_routes(app)  # after every blueprint: copies their rules under /c/<slug>
