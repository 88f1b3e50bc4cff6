"""``flask seed``: import the convention from its document (idempotent), optionally the demo;
``flask demo shift``: move the demo convention's dates so that a phase is open today."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import with_appcontext

from convention.domain.phases import PhaseKind

_TODAY_HELP = "Jour de référence (AAAA-MM-JJ ; par défaut aujourd'hui), pour les essais."


@click.command("seed")
@click.option("--demo", is_flag=True, help="Ajoute la convention de démonstration et ses données reproductibles.")
@click.option("--members", default=2000, show_default=True, help="Nombre d'adhérents de démonstration.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, hidden=True, help=_TODAY_HELP)
@with_appcontext
def seed_command(demo: bool, members: int, today: dt.datetime | None) -> None:
    """Importe la convention depuis son document (une seconde exécution ne change rien).

    Avec --demo, ajoute une convention de démonstration construite sur le même texte, dont la
    phase des amendements est ouverte le jour du premier import (un nouvel import ne la déplace pas).
    """
    from convention.extensions import db
    from seed.load import link_units, seed_convention

    day = today.date() if today else dt.date.today()
    report = seed_convention()
    for line in report.lines():
        click.echo(line)
    demo_convention = None
    if demo:
        from seed.demo import seed_demo
        from seed.demo_contributions import seed_demo_contributions
        from seed.demo_convention import seed_demo_convention

        made = seed_demo_convention(report.convention, today=day)
        demo_convention = made.convention
        for line in made.lines():
            click.echo(line)
        for line in seed_demo(members=members, today=day).lines():
            click.echo(line)
        link_units(report.convention)
        link_units(demo_convention)
        for line in seed_demo_contributions(demo_convention):
            click.echo(line)
    db.session.commit()
    if demo_convention is not None:
        # The demo's polls, events and amendments go into the demo convention, never the archive.
        from seed.demo_amendments import seed_demo_amendments
        from seed.demo_events import seed_demo_event
        from seed.demo_vote import seed_demo_vote

        for line in seed_demo_vote(demo_convention, today=day).lines():
            click.echo(line)
        for line in seed_demo_event(demo_convention, today=day):
            click.echo(line)
        for line in seed_demo_amendments(demo_convention, today=day).lines():
            click.echo(line)
        from convention.search.indexing import rebuild_index

        rebuild_index(demo_convention.id)  # its text, events and contributions found by search
        db.session.commit()


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


@click.group("demo")
def demo_cli() -> None:
    """La convention de démonstration."""


@demo_cli.command("shift")
@click.option(
    "--phase",
    "phase",
    type=click.Choice([kind.value for kind in PhaseKind]),
    default=PhaseKind.AMENDMENTS.value,
    show_default=True,
    help="La phase à ouvrir aujourd'hui.",
)
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, hidden=True, help=_TODAY_HELP)
@with_appcontext
def demo_shift_command(phase: str, today: dt.datetime | None) -> None:
    """Décale toutes les dates de la démonstration pour que la phase choisie soit ouverte aujourd'hui.

    Phases, rendez-vous, contributions, amendements, fenêtres des scrutins, émargements… sont
    déplacés du même nombre de jours ; la convention d'origine (l'archive) n'est pas touchée.
    """
    from convention.extensions import db
    from seed.demo_convention import DEMO_SLUG, shift_demo

    try:
        report = shift_demo(PhaseKind(phase), today=today.date() if today else None)
    except LookupError:
        db.session.rollback()
        raise click.ClickException(
            f"Aucune convention de démonstration (« {DEMO_SLUG} ») : lancez d'abord « flask seed --demo »."
        ) from None
    db.session.commit()
    for line in report.lines():
        click.echo(line)
    from seed.demo_convention import find_demo_convention
    from seed.demo_vote import refresh_open_vote

    refreshed = refresh_open_vote(find_demo_convention(), today.date() if today else dt.date.today())
    if refreshed:
        click.echo(refreshed)
