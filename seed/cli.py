"""``flask seed``: import the convention from its document (idempotent), optionally demo data."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.command("seed")
@click.option("--demo", is_flag=True, help="Ajoute les données de démonstration reproductibles.")
@click.option("--members", default=2000, show_default=True, help="Nombre d'adhérents de démonstration.")
@with_appcontext
def seed_command(demo: bool, members: int) -> None:
    """Importe la convention depuis son document (une seconde exécution ne change rien)."""
    from convention.extensions import db
    from seed.load import seed_convention

    report = seed_convention()
    for line in report.lines():
        click.echo(line)
    if demo:
        from seed.demo import seed_demo

        demo_report = seed_demo(members=members)
        for line in demo_report.lines():
            click.echo(line)
        from seed.load import link_units

        link_units(report.convention)
    db.session.commit()
    if demo:
        from seed.demo_vote import seed_demo_vote

        for line in seed_demo_vote(report.convention).lines():
            click.echo(line)
        from seed.demo_events import seed_demo_event

        for line in seed_demo_event(report.convention):
            click.echo(line)
        from seed.demo_amendments import seed_demo_amendments

        for line in seed_demo_amendments(report.convention).lines():
            click.echo(line)


@click.command("demo-accounts")
@with_appcontext
def demo_accounts_command() -> None:
    """Affiche les comptes de démonstration (adresse, mot de passe, rôle)."""
    from seed.demo import demo_accounts

    accounts = demo_accounts()
    if not accounts:
        click.echo("Aucun compte de démonstration : lancez « flask seed --demo ».")
        return
    click.echo("Comptes de démonstration (mot de passe commun indiqué) :")
    for account in accounts:
        click.echo(f"  {account.role_label:<38} {account.email:<40} {account.password}")
