"""Views of the calendar blueprint."""

from flask import Blueprint

bp = Blueprint("calendar", __name__, url_prefix="/calendrier" or None)
