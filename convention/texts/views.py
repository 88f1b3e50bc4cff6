"""Views of the texts blueprint."""

from flask import Blueprint

bp = Blueprint("texts", __name__, url_prefix="/texte" or None)
