"""Endpoints of the read API."""

BLUEPRINTS: list = []
