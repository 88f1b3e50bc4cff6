"""``flask amendments …`` commands."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask.cli import AppGroup

amendments_cli = AppGroup("amendments", help="Amendements : import d'un tableau des sections et fédérations.")


@amendments_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--convention", "convention_slug", required=True, help="Identifiant (slug) de la convention.")
@click.option("--dry-run", is_flag=True, help="Vérifie tout le tableau sans rien déposer.")
@click.option(
    "--par",
    "by_email",
    default="",
    help="Adresse du membre du comité de pilotage qui dépose (sinon : le comité de pilotage, sans compte).",
)
def import_command(file: Path, convention_slug: str, dry_run: bool, by_email: str) -> None:
    """Importe un tableau d'amendements (CSV ou XLSX), une ligne par amendement.

    Colonnes : Unité (« Fédération / Section » ou une fédération), Ligne (ou Alinéa), Type
    (modifier, supprimer, insérer), Mots visés, Nouveaux mots, Exposé des motifs, Date de la
    réunion. Tout le tableau est vérifié d'abord : au moindre problème, chaque ligne fautive est
    signalée et rien n'est déposé. Un amendement déjà déposé n'est pas déposé à nouveau. Seulement
    pendant la phase des amendements.
    """
    import sqlalchemy as sa

    from convention.amendments.spreadsheet import DEFAULT_MAX_BYTES, import_amendments
    from convention.conventions.models import Convention
    from convention.domain.errors import DomainError
    from convention.extensions import db
    from convention.members.models import User

    convention = db.session.scalar(sa.select(Convention).where(Convention.slug == convention_slug))
    if convention is None:
        raise click.ClickException(f"Convention inconnue : « {convention_slug} ».")
    actor = None
    if by_email:
        actor = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == by_email.strip().lower()))
        if actor is None:
            raise click.ClickException(f"Aucun compte n'a l'adresse « {by_email} ».")
        if not convention.is_steering(actor):
            raise click.ClickException(f"{actor.display_name} n'est pas membre du comité de pilotage.")
    if file.stat().st_size > DEFAULT_MAX_BYTES:
        raise click.ClickException(
            f"{file.name} : le fichier dépasse la taille autorisée ({DEFAULT_MAX_BYTES // (1024 * 1024)} Mo)."
        )
    try:
        report = import_amendments(
            actor, convention, file.read_bytes(), today=dt.date.today(), source=file.name, dry_run=dry_run
        )
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(f"{file.name} : {error}") from None
    if report.errors:
        db.session.rollback()
        click.echo(f"{file.name} : {len(report.errors)} problème(s), aucun amendement n'a été déposé.", err=True)
        for detail in report.error_details():
            click.echo(f"  {detail}", err=True)
        raise click.exceptions.Exit(1)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    for line in report.lines():
        click.echo(line)
