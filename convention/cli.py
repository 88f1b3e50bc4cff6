"""Command-line entry points: ``flask seed``, ``flask demo shift``, ``flask texts import``, ``flask members import``."""

from __future__ import annotations

from flask import Flask


def register_cli(app: Flask) -> None:
    from convention.amendments.cli import amendments_cli
    from convention.members.cli import members_cli
    from convention.texts.cli import texts_cli
    from convention.votes.cli import polls_cli
    from seed.cli import demo_accounts_command, demo_cli, seed_command

    app.cli.add_command(seed_command)
    app.cli.add_command(demo_accounts_command)
    app.cli.add_command(demo_cli)
    app.cli.add_command(texts_cli)
    app.cli.add_command(members_cli)
    app.cli.add_command(amendments_cli)
    app.cli.add_command(polls_cli)
