"""``flask members invite``: create the accounts of imported members and mail their invitations.

Wired into ``members_cli`` by ``convention/members/cli.py``
(``members_cli.add_command(invite_command)``).
"""

from __future__ import annotations

import click
import sqlalchemy as sa

from convention.core.db import db
from convention.members.models import Federation, Member, Section
from convention.members.operations import invite_members


@click.command("invite")
@click.option("--section", "section_id", type=int, help="Identifiant de la section.")
@click.option("--federation", "federation_code", help="Code de la fédération (ex. 38, 2A, FFE).")
@click.option("--all", "everyone", is_flag=True, help="Tous les adhérent·es.")
@click.option(
    "--resend", is_flag=True, help="Renvoyer un lien à qui n'a pas encore activé son compte."
)
def invite_command(
    section_id: int | None, federation_code: str | None, everyone: bool, resend: bool
) -> None:
    """Crée les comptes des adhérent·es qui n'en ont pas et leur envoie l'invitation."""
    if sum(bool(x) for x in (section_id, federation_code, everyone)) != 1:
        raise click.UsageError(
            "Choisissez exactement une option : --section, --federation ou --all."
        )
    query = sa.select(Member).order_by(Member.id)
    if section_id:
        if db.session.get(Section, section_id) is None:
            raise click.BadParameter(f"aucune section n° {section_id}", param_hint="--section")
        query = query.where(Member.section_id == section_id)
    elif federation_code:
        federation = db.session.scalars(
            sa.select(Federation).where(Federation.code == federation_code)
        ).first()
        if federation is None:
            raise click.BadParameter(
                f"aucune fédération {federation_code}", param_hint="--federation"
            )
        query = query.join(Member.section).where(Section.federation_id == federation.id)
    if not resend:
        query = query.where(~Member.user.has())
    members = list(db.session.scalars(query))
    report = invite_members(None, members, resend=resend)
    db.session.commit()
    click.echo(
        f"{len(report.created)} compte(s) créé(s), {len(report.invited)} invitation(s) envoyée(s), "
        f"{len(report.skipped)} adhérent·e(s) ignoré·e(s)."
    )


__all__ = ["invite_command"]
