"""``flask members …`` commands."""

from flask.cli import AppGroup

members_cli = AppGroup("members", help="Adhérents : import du fichier des adhérents.")
