"""Views of the contributions blueprint."""

from flask import Blueprint

bp = Blueprint("contributions", __name__, url_prefix="/contributions" or None)
