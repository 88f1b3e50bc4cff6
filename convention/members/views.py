"""Views of the members blueprint."""

from flask import Blueprint

bp = Blueprint("members", __name__, url_prefix="/adherents" or None)
