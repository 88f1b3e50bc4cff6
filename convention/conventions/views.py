"""Views of the conventions blueprint."""

from flask import Blueprint

bp = Blueprint("conventions", __name__, url_prefix="" or None)
