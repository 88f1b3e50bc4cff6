"""``flask polls …`` commands: ``count`` recounts a vote from a JSON file, without the platform's database."""

from __future__ import annotations

import json
import sys
from fractions import Fraction
from typing import Any, NoReturn

import click
from flask.cli import AppGroup

from convention.domain.counting import CountError, count_spec

polls_cli = AppGroup("polls", help="Scrutins : vérification du dépouillement.")


class SpecError(ValueError):
    """The file cannot be read as JSON (French message)."""


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise SpecError(f"la clé « {key} » figure deux fois dans le même objet.")
        data[key] = value
    return data


def _no_constant(name: str) -> Any:
    raise SpecError(f"« {name} » n'est pas un nombre exact.")


def read_spec(text: str) -> Any:
    """The JSON of a count file; decimals are read exactly (``1.5`` → 3/2), never as floats."""
    try:
        return json.loads(text, parse_float=Fraction, parse_constant=_no_constant, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as error:
        raise SpecError(f"JSON invalide à la ligne {error.lineno}, colonne {error.colno} ({error.msg}).") from None


@polls_cli.command("count", with_appcontext=False)
@click.argument("file")
def count_command(file: str) -> None:
    """Recompte un scrutin à partir d'un fichier JSON (« - » : l'entrée standard) et affiche le résultat en JSON.

    \b
    Entrée :
      {"method": "yes_no_abstain" | "single" | "approval" | "majority_judgment" | "schulze",
       "options": [...],              (facultatif pour yes_no_abstain : ["yes", "no", "abstain"])
       "ballots": [...] et/ou "tallies": {...},
       "grades": [meilleure … pire],  (jugement majoritaire ; par défaut Très bien … À rejeter)
       "seats": k,                    (approbation, facultatif)
       "status_quo": "option",        (Schulze, facultatif : le gagnant doit le battre en duel)
       "registered": n,               (inscrits, facultatif)
       "rule": {"base": "yes_no" | "yes_no_abstain" | "ballots" | "registered",
                "threshold": "1/2", "strict": true, "quorum": "1/4"}}
    Bulletins : {"count": n, "choice": "yes" | "no" | "abstain" | "blank" | "void" | option},
    {"count": n, "approves": [...]}, {"count": n, "ranking": [...]} (du meilleur au moins bon ; un
    rang peut être une liste d'ex aequo ; les options non classées viennent après),
    {"count": n, "grades": {"A": "Bien", ...}} ; "weight" facultatif (1 par défaut : un entier ou
    une fraction "3/2"). Dépouillements agrégés ("tallies") : {"yes": n, "no": n, "abstain": n,
    "blank": n, "void": n} ; {option: n, …} (choix unique) ; {option: approbations, …, "ballots": n}
    (approbation) ; {option: [n par mention, de la meilleure à la pire], …} (jugement majoritaire).
    Le quorum est atteint quand les bulletins déposés, blancs et nuls compris, atteignent cette
    fraction des inscrits.

    \b
    Sortie : ballots (nombre de bulletins), weight (poids total), valid, blank, void, registered,
    scores (par option : voix ou approbations ; jugement majoritaire : voix par mention ; Schulze :
    la matrice des duels {"A>B": n}, et paths, la force des chemins les plus forts), ranking (groupes
    d'ex aequo, du meilleur au moins bon), winner (null en cas d'égalité), tied (les options à égalité
    pour la première place ou pour le dernier siège), quorum_met, quorum (votants nécessaires) ;
    yes_no_abstain : adopted (false si le quorum n'est pas atteint ou à égalité avec le seuil),
    rule, rule_text, base_votes, needed ; jugement majoritaire : majority_grades ; approbation avec
    sièges : elected ; Schulze avec statu quo : status_quo, beats_status_quo ; decision : la décision
    en toutes lettres. Les nombres sont exacts : des entiers, ou des fractions écrites "a/b".

    Code de sortie 0 si le fichier a été dépouillé, 1 (avec un message d'erreur) s'il est mal formé.
    """
    name = "(entrée standard)" if file == "-" else file
    try:
        if file == "-":
            text = sys.stdin.read()
        else:
            with open(file, encoding="utf-8") as handle:
                text = handle.read()
    except FileNotFoundError:
        _fail(f"{file} : fichier introuvable.")
    except IsADirectoryError:
        _fail(f"{file} : c'est un dossier, pas un fichier.")
    except UnicodeDecodeError:
        _fail(f"{file} : le fichier n'est pas encodé en UTF-8.")
    except OSError as error:
        _fail(f"{file} : lecture impossible ({error.strerror}).")
    try:
        result = count_spec(read_spec(text.removeprefix("\ufeff")))
    except (SpecError, CountError) as error:
        _fail(f"{name} : {error}")
    click.echo(to_text(result))


def _is_flat(value: Any) -> bool:
    """A list printed on one line: scalars, or lists of scalars (a ranking's tie groups)."""
    return all(not isinstance(v, dict | list) or (isinstance(v, list) and _is_flat(v)) for v in value)


def to_text(value: Any, indent: int = 0) -> str:
    """The result as indented JSON, with short lists (scores per grade, tie groups) kept on one line."""
    if isinstance(value, dict) and value:
        inner = " " * (indent + 2)
        items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {to_text(v, indent + 2)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    if isinstance(value, list) and value and not _is_flat(value):
        inner = " " * (indent + 2)
        items = [f"{inner}{to_text(v, indent + 2)}" for v in value]
        return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"
    return json.dumps(value, ensure_ascii=False)


def _fail(message: str) -> NoReturn:
    click.echo(f"Erreur : {message}", err=True)
    raise click.exceptions.Exit(1)


# --- the verification export (« flask polls export », « flask polls verify ») ------------------------------


@polls_cli.command("export")
@click.argument("poll_id", type=int)
@click.option("--output", "-o", default=None, metavar="FICHIER", help="Écrire l'export dans ce fichier.")
def export_command(poll_id: int, output: str | None) -> None:
    """Écrit l'export de vérification du scrutin POLL_ID (par défaut sur la sortie standard).

    \b
    Le JSON canonique (clés triées, sans espaces, UTF-8) des bulletins anonymisés, des
    procès-verbaux validés, de l'empreinte et des effectifs de la liste électorale, de la
    règle et du résultat de chaque question : les mêmes octets que le fichier téléchargé sur
    la page des résultats, dont l'empreinte SHA-256 y est publiée. L'empreinte est rappelée
    sur la sortie d'erreur. Code de sortie 1 si le scrutin n'est pas dépouillé, ou si l'export
    ne correspond plus à l'empreinte enregistrée (relancez alors le dépouillement).
    """
    from convention.extensions import db
    from convention.votes import export
    from convention.votes.models import Poll

    poll = db.session.get(Poll, poll_id)
    if poll is None:
        _fail(f"le scrutin n° {poll_id} n'existe pas.")
    if not poll.export_hash or poll.state.value not in ("tallied", "proclaimed"):
        _fail(f"le scrutin n° {poll_id} n'est pas dépouillé : son export de vérification n'existe pas encore.")
    content = export.export_bytes(poll)
    digest = export.sha256(content)
    try:
        if output:
            with open(output, "wb") as handle:
                handle.write(content)
        else:
            sys.stdout.buffer.write(content)
            sys.stdout.buffer.flush()
    except OSError as error:
        _fail(f"{output} : écriture impossible ({error.strerror}).")
    click.echo(f"Empreinte SHA-256 de l'export : {digest}", err=True)
    if digest != poll.export_hash:
        _fail(
            f"cette empreinte diffère de celle enregistrée au dépouillement ({poll.export_hash}) : les données du "
            "scrutin ont changé depuis (un procès-verbal validé ?). Relancez le dépouillement."
        )


@polls_cli.command("verify", with_appcontext=False)
@click.argument("file")
@click.option(
    "--hash", "expected_hash", default=None, metavar="SHA256", help="L'empreinte publiée : le fichier doit l'avoir."
)
def verify_command(file: str, expected_hash: str | None) -> None:
    """Recompte un scrutin à partir de son export de vérification seul (sans base de données).

    \b
    Chaque question est recomptée à partir des bulletins en ligne et des procès-verbaux
    validés de l'export, avec le code de dépouillement de « flask polls count », puis comparée
    au résultat enregistré dans l'export. Affiche le résultat de chaque question et l'empreinte
    SHA-256 du fichier (à comparer avec celle publiée sur la page des résultats, ou donnée
    avec --hash). Code de sortie 0 si tout concorde ; 1, avec la question et la différence,
    sinon (ou si le fichier est illisible).
    """
    from convention.votes.export import ExportError, sha256, verify_export

    try:
        with open(file, "rb") as handle:
            content = handle.read()
    except FileNotFoundError:
        _fail(f"{file} : fichier introuvable.")
    except IsADirectoryError:
        _fail(f"{file} : c'est un dossier, pas un fichier.")
    except OSError as error:
        _fail(f"{file} : lecture impossible ({error.strerror}).")
    digest = sha256(content)
    try:
        data = read_spec(content.decode("utf-8").removeprefix("\ufeff"))
        verification = verify_export(data)
    except UnicodeDecodeError:
        _fail(f"{file} : le fichier n'est pas encodé en UTF-8.")
    except (SpecError, ExportError) as error:
        _fail(f"{file} : {error}")
    click.echo(f"Scrutin : {verification.poll_title}")
    click.echo(f"Empreinte SHA-256 du fichier : {digest}")
    click.echo(
        f"Bulletins en ligne : {verification.ballots} ; procès-verbaux validés : {verification.minutes} "
        f"({verification.paper_voters} votant(s) sur papier)."
    )
    failures = []
    if expected_hash is not None and expected_hash.strip().lower() != digest:
        failures.append(f"l'empreinte du fichier ({digest}) n'est pas celle attendue ({expected_hash.strip()}).")
    for check in verification.questions:
        result = check.recount
        click.echo("")
        click.echo(f"Question « {check.title} » ({check.method})")
        click.echo(f"  {result['decision']}")
        click.echo(
            f"  bulletins : {result['ballots']} ; valables : {result['valid']} ; blancs : {result['blank']} ; "
            f"nuls : {result['void']}"
        )
        click.echo(f"  scores : {json.dumps(result['scores'], ensure_ascii=False)}")
        if check.matches:
            click.echo("  Recomptage conforme au résultat enregistré dans l'export.")
        else:
            click.echo("  DIFFÉRENCE avec le résultat enregistré dans l'export.")
            failures.append(f"question « {check.title} » : " + " ; ".join(check.differences) + ".")
    failures.extend(verification.problems)
    click.echo("")
    if failures:
        click.echo("Erreur : la vérification a échoué.", err=True)
        for failure in failures:
            click.echo(f"  - {failure}", err=True)
        raise click.exceptions.Exit(1)
    click.echo(
        f"Vérification réussie : le recomptage des {len(verification.questions)} question(s) correspond au résultat "
        "enregistré dans l'export."
    )
