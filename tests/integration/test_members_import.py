"""``flask members import``: every bad line reported, nothing written then, idempotent re-import."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from convention.core.audit import AuditEntry
from convention.domain.memberfile import parse_member_file
from convention.members.importer import import_members
from convention.members.models import Federation, Member, Section

HEADER = "numero_adherent;prenom;nom;email;section;federation;cotisation_jusqu_au"
GOOD = [
    "1001;Camille;Lefèvre;camille.lefevre@exemple.fr;Grenoble;38;2027-12-31",
    "1002;Julien;Roux;Julien.Roux@Exemple.fr;Voiron;Isère;31/12/2024",
    "1003;Nadia;Girard;nadia.girard@exemple.fr;Lille;Fédération du Nord;",
]


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture()
def federations(database):
    isere = Federation(code="38", name="Isère", title="Fédération de l'Isère")
    nord = Federation(code="59", name="Nord", title="Fédération du Nord")
    database.session.add_all([isere, nord, Section(federation=isere, name="Grenoble")])
    database.session.commit()
    return isere, nord


@pytest.fixture()
def runner(app):
    return app.test_cli_runner()


def write(tmp_path: Path, lines: list[str] | bytes, name: str = "adherents.csv") -> str:
    path = tmp_path / name
    data = lines if isinstance(lines, bytes) else ("\n".join(lines) + "\n").encode("utf-8")
    path.write_bytes(data)
    return str(path)


def test_import_creates_members_and_missing_sections(database, federations, runner, tmp_path):
    result = runner.invoke(args=["members", "import", "--creer-sections", write(tmp_path, [HEADER, *GOOD])])
    assert result.exit_code == 0, result.output
    assert "3 créés, 0 mis à jour, 0 inchangé" in result.output
    assert "2 sections créées : Voiron, Lille" in result.output
    database.session.expire_all()
    members = {m.membership_number: m for m in database.session.scalars(sa.select(Member))}
    assert set(members) == {"1001", "1002", "1003"}
    julien = members["1002"]
    assert julien.email == "julien.roux@exemple.fr"  # normalised to lower case
    assert julien.dues_paid_until == dt.date(2024, 12, 31)
    assert (julien.section.name, julien.section.federation.code) == ("Voiron", "38")
    assert members["1001"].section.name == "Grenoble"  # existing section reused
    assert members["1003"].dues_paid_until is None
    assert members["1003"].section.federation.code == "59"
    assert count(database, Section) == 3
    (entry,) = database.session.scalars(sa.select(AuditEntry)).all()
    assert entry.action == "members.imported"
    assert entry.data["created"] == 3 and entry.data["sections_created"] == ["Voiron", "Lille"]


def test_reimport_is_idempotent_and_says_so(database, federations, runner, tmp_path):
    path = write(tmp_path, [HEADER, *GOOD])
    assert runner.invoke(args=["members", "import", "--creer-sections", path]).exit_code == 0
    result = runner.invoke(args=["members", "import", "--creer-sections", path])
    assert result.exit_code == 0, result.output
    assert "0 créé, 0 mis à jour, 3 inchangés" in result.output
    assert "Rien n'a changé" in result.output
    database.session.expire_all()
    assert count(database, Member) == 3
    assert count(database, AuditEntry) == 1  # the no-op import leaves no entry


def test_existing_members_are_updated(database, federations, runner, tmp_path):
    assert (
        runner.invoke(args=["members", "import", "--creer-sections", write(tmp_path, [HEADER, *GOOD])]).exit_code == 0
    )
    changed = [
        GOOD[0],
        "1002;Julien;Roux;julien.roux@exemple.fr;Grenoble;38;2028-01-15",
        GOOD[2],
        "1004;Léa;Morel;lea.morel@exemple.fr;Grenoble;38;2027-12-31",
    ]
    result = runner.invoke(
        args=["members", "import", "--creer-sections", write(tmp_path, [HEADER, *changed], "v2.csv")]
    )
    assert result.exit_code == 0, result.output
    assert "1 créé, 1 mis à jour, 2 inchangés" in result.output
    database.session.expire_all()
    julien = database.session.scalar(sa.select(Member).filter_by(membership_number="1002"))
    assert julien.section.name == "Grenoble" and julien.dues_paid_until == dt.date(2028, 1, 15)


def test_comma_delimiter_bom_and_french_headers(database, federations, runner, tmp_path):
    data = (
        "\ufeffNuméro adhérent,Prénom,Nom,E-mail,Section,Fédération,Cotisation jusqu'au\r\n"
        '2001,Élise,"Le Gall, dite Lili",elise@exemple.fr,Grenoble,38,2027-06-30\r\n'
    ).encode()
    result = runner.invoke(args=["members", "import", "--creer-sections", write(tmp_path, data)])
    assert result.exit_code == 0, result.output
    database.session.expire_all()
    member = database.session.scalar(sa.select(Member))
    assert (member.first_name, member.last_name) == ("Élise", "Le Gall, dite Lili")


def test_every_bad_line_is_reported_and_nothing_is_written(database, federations, runner, tmp_path):
    lines = [
        HEADER,
        GOOD[0],
        "1002;Julien;Roux;foo@;Voiron;38;2027-12-31",  # line 3
        "1003;;Girard;nadia@exemple.fr;Lille;59;",  # line 4: no first name
        "1001;Léa;Morel;lea@exemple.fr;Grenoble;38;2027-12-31",  # line 5: duplicate number
        "1005;Léa;Morel;CAMILLE.LEFEVRE@exemple.fr;Grenoble;38;",  # line 6: duplicate e-mail
        "1006;Marc;Petit;marc@exemple.fr;Ajaccio;Corse;",  # line 7: unknown federation
        "1007;Marc;Petit;marc2@exemple.fr;Grenoble;38;31/02/2027",  # line 8: no such day
        "1008;Marc;Petit;marc3@exemple.fr;Grenoble;38",  # line 9: a field missing
    ]
    result = runner.invoke(args=["members", "import", "--creer-sections", write(tmp_path, lines)])
    assert result.exit_code == 1
    output = result.output
    assert "aucun adhérent n'a été importé" in output
    assert "ligne 3 : adresse électronique invalide « foo@ »" in output
    assert "ligne 4 : prénom manquant(e)" in output
    assert "ligne 5 : numéro d'adhérent « 1001 » en double (déjà ligne 2)" in output
    assert "ligne 6 : adresse électronique « camille.lefevre@exemple.fr » en double (déjà ligne 2)" in output
    assert "ligne 7 : fédération inconnue « Corse »" in output  # checked along with the rest
    assert "ligne 8 : date de cotisation invalide « 31/02/2027 »" in output
    assert "ligne 9 : 6 champ(s) au lieu de 7" in output
    database.session.expire_all()
    assert count(database, Member) == 0
    assert count(database, Section) == 1  # Voiron and Lille not created
    assert count(database, AuditEntry) == 0


def test_database_checks_unknown_federation_and_taken_email(database, federations, tmp_path):
    isere, _nord = federations
    database.session.add(
        Member(membership_number="9", first_name="A", last_name="B", email="pris@exemple.fr",
               section=isere.sections[0])
    )  # fmt: skip
    database.session.commit()
    data = "\n".join(
        [
            HEADER,
            "1;Marc;Petit;marc@exemple.fr;Ajaccio;Corse-du-Sud;",
            "2;Marc;Petit;PRIS@exemple.fr;Grenoble;38;",
            "10;C;D;c@exemple.fr;Grenoble;38;",
        ]
    ).encode()
    report = import_members(None, parse_member_file(data), create_sections=True)
    assert [(e.line, e.message) for e in report.errors] == [
        (2, "fédération inconnue « Corse-du-Sud »."),
        (3, "adresse électronique « pris@exemple.fr » déjà utilisée par l'adhérent n° 9."),
    ]
    assert count(database, Member) == 1


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "le fichier est vide"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "le fichier est binaire"),
        (f"{HEADER}\n1;Andr".encode() + b"\x81\xe9;X;x@exemple.fr;Grenoble;38;\n", "octet 0x81"),
        (f"{HEADER}\n".encode(), "aucun adhérent"),
        (b"numero;prenom;nom;email;section\n1;a;b;c@d.fr;s\n", "colonne(s) manquante(s)"),
        (f"{HEADER};age\n".encode(), "colonne(s) inconnue(s) : « age »"),
    ],
    ids=["empty", "binary", "undecodable", "header-only", "missing-columns", "extra-column"],
)
def test_unreadable_files_are_refused(database, federations, runner, tmp_path, data, fragment):
    result = runner.invoke(args=["members", "import", "--creer-sections", write(tmp_path, data)])
    assert result.exit_code == 1
    assert fragment in result.output
    database.session.expire_all()
    assert count(database, Member) == 0


def test_dry_run_counts_without_writing(database, federations, runner, tmp_path):
    result = runner.invoke(
        args=["members", "import", "--creer-sections", write(tmp_path, [HEADER, *GOOD]), "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "3 créés" in result.output and "rien n'a été enregistré" in result.output
    database.session.expire_all()
    assert count(database, Member) == 0
    assert count(database, Section) == 1


def test_bulk_import_of_many_lines(database, federations):
    """5,000 lines in a handful of queries (the benchmark in bench/ goes to 100,000)."""
    lines = [HEADER] + [f"{n};Prénom{n};Nom{n};p{n}@exemple.fr;Section {n % 7};38;2027-12-31" for n in range(5000)]
    data = ("\n".join(lines)).encode()
    statements = []

    from sqlalchemy import event

    engine = database.engine

    def listener(*args):
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", listener)
    try:
        report = import_members(None, parse_member_file(data), create_sections=True)
        database.session.commit()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert report.created == 5000 and not report.errors
    assert count(database, Member) == 5000
    assert len(statements) < 30, len(statements)
    again = import_members(None, parse_member_file(data), create_sections=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5000)
