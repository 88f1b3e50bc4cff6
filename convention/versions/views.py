"""Pages of the text's versions (statuses, a new version from a file, differences between versions)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("versions", __name__, url_prefix="/texte/versions")
