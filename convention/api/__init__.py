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
    from convention.api import conventions, polls, views
    from convention.core.routing import API_PREFIX, SCOPED_API_BLUEPRINTS

    for blp in [*views.BLUEPRINTS, polls.blp, conventions.blp]:
        api.register_blueprint(blp, url_prefix=API_PREFIX)
        csrf.exempt(blp)
    # Each convention's data again under /api/v1/conventions/<slug>/… (the rules are copied with
    # the site's by convention.core.routing.install_convention_routes).
    conventions.nest_in_conventions(api.spec, API_PREFIX, SCOPED_API_BLUEPRINTS)
