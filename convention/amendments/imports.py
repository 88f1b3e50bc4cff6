"""Amendments sent by federations in a spreadsheet: upload, validation, import job."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("amendment_imports", __name__, url_prefix="/amendements/import")
