"""``flask texts …`` commands."""

from flask.cli import AppGroup

texts_cli = AppGroup("texts", help="Textes : import d'une nouvelle version.")
