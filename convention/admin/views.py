"""Views of the Bureau national's administration (phases…)."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/administration")
