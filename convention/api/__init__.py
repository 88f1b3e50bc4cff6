"""The public read API under /api/v1 (flask-smorest), documented by OpenAPI."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api


class ConventionApi(Api):
    """flask-smorest would turn every HTTP error of the site into JSON: keep ours."""

    def _register_error_handlers(self) -> None:
        pass


api = ConventionApi()


def init_api(app: Flask) -> None:
    from convention.extensions import csrf

    api.init_app(app)
    from convention.api import polls, views

    for blp in [*views.BLUEPRINTS, polls.blp]:
        api.register_blueprint(blp, url_prefix="/api/v1")
        csrf.exempt(blp)
