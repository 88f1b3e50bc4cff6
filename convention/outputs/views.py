"""Pages that start the printed outputs (each is a job with its progress page)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("outputs", __name__, url_prefix="/documents")
