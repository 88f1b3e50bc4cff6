"""Views of the groups blueprint."""

from flask import Blueprint

bp = Blueprint("groups", __name__, url_prefix="/groupes" or None)
