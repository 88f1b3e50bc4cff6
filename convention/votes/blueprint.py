"""The vote's blueprint (« /vote »), shared by its view modules."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("votes", __name__, url_prefix="/vote")
