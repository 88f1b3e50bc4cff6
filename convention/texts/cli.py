"""``flask texts …`` commands."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

texts_cli = AppGroup("texts", help="Textes : import d'une nouvelle version.")


@texts_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--convention",
    "convention_slug",
    default=None,
    help="Identifiant (slug) de la convention ; par défaut la première.",
)
@click.option("--title", default="", help="Titre du texte s'il faut le créer.")
@click.option("--label", default="", help="Libellé de la nouvelle version (« Texte amendé »…).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", "markdown", "plain"]),
    default="auto",
    show_default=True,
    help="Syntaxe d'un fichier texte (devinée d'après l'extension ou le contenu) ; "
    "DOCX, ODT et PDF sont reconnus d'après leur contenu.",
)
@click.option(
    "--status",
    type=click.Choice(["draft", "amended", "adopted_by_bn", "adopted"]),
    default="draft",
    show_default=True,
    help="Statut de la nouvelle version.",
)
def import_command(
    file: Path, convention_slug: str | None, title: str, label: str, fmt: str, status: str
) -> None:
    """Importe FILE (DOCX, ODT, PDF, texte brut ou Markdown en UTF-8) comme nouvelle version du texte.

    Tout le fichier est vérifié d'abord : au moindre problème, chaque ligne fautive
    est signalée et rien n'est enregistré. Le rapport dit ce qui a été reconnu et
    ce qui n'a pas pu l'être (avec son emplacement dans le fichier).
    """
    import sqlalchemy as sa

    from convention.conventions.models import Convention
    from convention.domain.documents import import_document
    from convention.domain.textimport import format_issue
    from convention.extensions import db
    from convention.texts.models import VERSION_STATUS_LABELS, Text, VersionStatus
    from convention.texts.operations import import_text_version, model_limit_issues

    query = sa.select(Convention).order_by(Convention.id).limit(1)
    if convention_slug:
        query = sa.select(Convention).where(Convention.slug == convention_slug)
    convention = db.session.scalars(query).first()
    if convention is None:
        what = f"« {convention_slug} »" if convention_slug else "aucune convention en base"
        raise click.ClickException(
            f"Convention introuvable : {what} (lancez d'abord « flask seed »)."
        )

    parsed = import_document(file.name, file.read_bytes(), fmt=fmt)
    # The document's own title names the text when it is created (if it fits; --title wins).
    title = title or (parsed.title if len(parsed.title) <= Text.__table__.c.title.type.length else "")
    # The parser's problems, then every value longer than its column (reported, never cut).
    issues = list(parsed.errors) or model_limit_issues(parsed, label=label, title=title)
    if issues:
        click.echo(f"{file.name} : {len(issues)} problème(s), rien n'a été importé.", err=True)
        for issue in issues:
            click.echo(f"  {format_issue(issue)}", err=True)
        raise click.exceptions.Exit(1)

    version_status = VersionStatus(status)
    version = import_text_version(
        None,
        convention,
        parsed,
        label=label or f"{VERSION_STATUS_LABELS[version_status]} (import de {file.name})",
        source=file.name,
        title=title,
        status=version_status,
        notify=True,
    )
    blocks = parsed.blocks
    last_line = max(b.line_end for p in version.parts for c in p.chapters for b in c.blocks)
    db.session.commit()
    click.echo(
        f"Version {version.number} du texte « {version.text.title} » importée "
        f"({parsed.format}) : {len(version.parts)} partie(s), "
        f"{sum(len(p.chapters) for p in version.parts)} chapitre(s), {len(blocks)} bloc(s) "
        f"sur {last_line} ligne(s), {parsed.count('proposal')} proposition(s), "
        f"{parsed.count('recommendation')} recommandation(s)."
    )
    for line in parsed.report_lines():
        click.echo(f"  {line}")
