"""Views of the auth blueprint."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/compte" or None)
