"""``flask members …`` commands."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

members_cli = AppGroup("members", help="Adhérents : import du fichier des adhérents.")

MAX_REPORTED = 1000


@members_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Vérifie et compte sans rien enregistrer.")
@click.option(
    "--creer-sections",
    "create_sections",
    is_flag=True,
    help="Crée les sections absentes (sinon une section inconnue est une erreur).",
)
def import_command(file: Path, dry_run: bool, create_sections: bool) -> None:
    """Importe le fichier des adhérents : CSV (UTF-8, Windows-1252 d'Excel ou UTF-16 ;
    séparateur « ; », « , » ou tabulation) ou classeur XLSX.

    Colonnes : numero_adherent, prenom, nom, email, section, federation,
    cotisation_jusqu_au (AAAA-MM-JJ ou JJ/MM/AAAA, facultative). Tout le fichier est
    vérifié d'abord : au moindre problème, chaque ligne fautive est signalée et rien
    n'est enregistré. Les adhérents déjà connus (même numéro) sont mis à jour.
    """
    from convention.domain.textimport import format_issue
    from convention.extensions import db
    from convention.members.files import read_member_file
    from convention.members.importer import import_members

    member_file = read_member_file(file.read_bytes())
    report = import_members(
        None, member_file, source=file.name, dry_run=dry_run, create_sections=create_sections
    )
    if report.errors:
        db.session.rollback()
        click.echo(
            f"{file.name} : {len(report.errors)} problème(s), aucun adhérent n'a été importé.",
            err=True,
        )
        for issue in report.errors[:MAX_REPORTED]:
            click.echo(f"  {format_issue(issue)}", err=True)
        if len(report.errors) > MAX_REPORTED:
            click.echo(f"  … et {len(report.errors) - MAX_REPORTED} autre(s).", err=True)
        raise click.exceptions.Exit(1)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    for line in report.lines():
        click.echo(line)


def _register_invite_command() -> None:
    from convention.members.invite_cli import invite_command

    members_cli.add_command(invite_command)


_register_invite_command()
