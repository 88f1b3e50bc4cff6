"""A federation's spreadsheet of amendments: checked whole, all or nothing, idempotent; job and command line."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
import sqlalchemy as sa

from convention.amendments import spreadsheet
from convention.amendments.imports import start_amendment_import
from convention.amendments.models import Amendment, AmendmentStep
from convention.amendments.operations import as_change
from convention.core.audit import AuditEntry
from convention.core.permissions import PermissionDenied
from convention.domain.amendments import AmendmentKind, AmendmentStatus, apply_change
from convention.domain.errors import DomainError
from convention.domain.phases import PhaseKind
from convention.domain.textstructure import line_of_offset, line_spans, normalize_space
from convention.extensions import db
from convention.jobs.models import Job, JobState
from convention.search.models import SearchDocument
from tests.amendment_fixtures import P1, P3, Q1, TODAY, amendment_count, build_world, edit, submit

HEADER = "Unité;Ligne;Type;Mots visés;Nouveaux mots;Exposé des motifs;Date de la réunion"
MEETING = (TODAY - dt.timedelta(days=5)).strftime("%d/%m/%Y")


@pytest.fixture()
def world(database):
    return build_world()


def line_of(world, anchor: str, words: str, occurrence: int = 0) -> int:
    """The text's line where ``words`` (its ``occurrence``-th time) start in the paragraph."""
    block = world.block(anchor)
    text = normalize_space(block.text)
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(words, start + 1)
    return block.line_start + line_of_offset(text, world.version.line_length, start)


def good_rows(world) -> list[str]:
    return [
        f"Isère / Grenoble;{line_of(world, 'I-1-1', 'éducateurs')};modifier;« éducateurs de rue »;"
        f"éducateurs spécialisés;La rue n'est pas un métier.;{MEETING}",
        f"Rhône / Lyon;{line_of(world, 'I-1-3', 'sous')};supprimer;, sous l'autorité du maire;;"
        f"Le maire n'a pas d'autorité sur la police nationale.;{MEETING}",
        f"38;{world.block('I-2-1').line_start};insérer;;La justice des mineurs a ses juges.;"
        f"Rappeler la spécialisation.;{TODAY.isoformat()}",
        f"Fédération du Rhône;{world.block('I-1-2').line_start};supprimer;;;Hors sujet.;{MEETING}",
    ]


def as_csv(rows: list[str], encoding: str = "cp1252") -> bytes:
    return ("\r\n".join([HEADER, *rows]) + "\r\n").encode(encoding)


def run_import(world, data: bytes, *, actor="committee", dry_run=False) -> spreadsheet.ImportReport:
    return spreadsheet.import_amendments(
        world.users[actor] if actor else None,
        world.convention,
        data,
        today=TODAY,
        source="tableau.csv",
        dry_run=dry_run,
    )


def test_a_file_with_one_bad_row_files_nothing_then_the_corrected_file_is_imported(world):
    rows = good_rows(world)
    bad = rows[:2] + [f"Isère / Grenoble;{world.block('I-1-1').line_start};modifier;la gendarmerie;"
                      f"les gendarmes;Motifs.;{MEETING}"] + rows[2:]  # fmt: skip
    report = run_import(world, as_csv(bad))
    assert [(issue.line, issue.message) for issue in report.errors] == [
        (4, f"les mots « la gendarmerie » ne figurent pas à la ligne {world.block('I-1-1').line_start} "
            "du texte en vigueur."),
    ]  # fmt: skip
    db.session.rollback()
    assert amendment_count() == 0

    report = run_import(world, as_csv(rows))
    db.session.commit()
    assert report.errors == [] and report.filed == [1, 2, 3, 4]
    amendments = {a.number: a for a in db.session.scalars(sa.select(Amendment))}
    committee = world.users["committee"]
    first = amendments[1]
    assert (first.kind, first.original, first.replacement) == (AmendmentKind.MODIFY, "de rue", "spécialisés")
    assert first.section_id == world.section.id and first.federation_id == world.federation.id
    assert first.adopted_on == TODAY - dt.timedelta(days=5)
    assert first.submitted_by_id == committee.id and first.status == AmendmentStatus.SUBMITTED
    assert first.citation.startswith(f"À la ligne {first.line_start}, remplacer les mots « de rue »")
    assert first.signed_by == "Section Grenoble"
    second = amendments[2]
    assert second.kind == AmendmentKind.DELETE  # the span as the chapter page computes it
    assert apply_change(P3, as_change(second)) == [edit(P3, ", sous l'autorité du maire", "")]
    assert second.section_id == world.other_section.id
    third = amendments[3]
    assert (third.kind, third.replacement, third.block_anchor) == (
        AmendmentKind.INSERT, "La justice des mineurs a ses juges.", "I-2-1"
    )  # fmt: skip
    assert third.section_id is None and third.federation_id == world.federation.id
    assert third.adopted_on == TODAY
    fourth = amendments[4]
    assert fourth.is_whole_block and fourth.federation_id == world.other_federation.id
    steps = db.session.scalars(sa.select(AmendmentStep).order_by(AmendmentStep.id)).all()
    assert [s.actor_label for s in steps] == ["Section Grenoble", "Section Lyon", "Fédération de Isère",
                                              "Fédération de Rhône"]  # fmt: skip
    indexed = db.session.scalar(sa.select(sa.func.count()).select_from(SearchDocument).where(
        SearchDocument.kind == "amendment"))  # fmt: skip
    assert indexed == 4
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.action.like("amendment.%"))
                                 .order_by(AuditEntry.id)).all()  # fmt: skip
    assert actions == ["amendment.submit"] * 4 + ["amendment.import"]


def test_the_same_file_twice_imports_nothing_the_second_time(world):
    data = as_csv(good_rows(world))
    assert run_import(world, data).filed == [1, 2, 3, 4]
    db.session.commit()
    report = run_import(world, data)
    db.session.commit()
    assert report.errors == [] and report.filed == []
    assert [number for _row, number in report.already] == [1, 2, 3, 4]
    assert "Aucun nouvel amendement : le fichier était déjà importé." in report.lines()
    assert amendment_count() == 4


def test_a_file_with_one_new_row_files_only_that_one(world):
    rows = good_rows(world)
    run_import(world, as_csv(rows[:2]))
    db.session.commit()
    report = run_import(world, as_csv(rows))
    assert report.filed == [3, 4] and [n for _r, n in report.already] == [1, 2]


def test_the_units_amendments_join_the_cluster_of_the_same_passage(world):
    by_member = submit(world, edited=edit(P1, "éducateurs de rue", "éducateurs de quartier"))
    report = run_import(world, as_csv(good_rows(world)[:1]))
    db.session.commit()
    imported = db.session.scalar(sa.select(Amendment).where(Amendment.number == report.filed[0]))
    db.session.refresh(by_member)
    assert imported.cluster_id is not None and imported.cluster_id == by_member.cluster_id
    assert report.filed == [2]  # numbered after the member's


def test_the_occurrence_on_the_given_line_is_amended(world):
    # « les » is twice on the paragraph's first line and twice on its second: the row's line decides.
    text = normalize_space(P1)
    block = world.block("I-1-1")
    second_line_start = line_spans(text, world.version.line_length)[1][0]
    expected = text.index(" les ", second_line_start) + 1
    assert text.index(" les ") + 1 < second_line_start
    rows = [f"Isère;{block.line_start + 1};modifier;les;tous les;Tous.;{MEETING}"]
    report = run_import(world, as_csv(rows))
    assert report.errors == [], report.errors
    amendment = db.session.scalar(sa.select(Amendment))
    assert amendment.line_start == block.line_start + 1
    assert apply_change(P1, as_change(amendment)) == [text[:expected] + "tous " + text[expected:]]


def test_every_kind_of_bad_row_is_reported(world):
    p3_line = world.block("I-1-3").line_start
    rows = [
        f"Savoie / Chambéry;{p3_line};supprimer;;;Motifs.;{MEETING}",  # 2: unknown federation
        f"Isère / Grenobl;{p3_line};supprimer;;;Motifs.;{MEETING}",  # 3: unknown section, close names
        f"Isère;9999;supprimer;;;Motifs.;{MEETING}",  # 4: no such line
        f"Isère;{p3_line};modifier;la gendarmerie;la gendarmerie nationale;Motifs.;{MEETING}",  # 5: next line
        f"Isère;{p3_line};supprimer;;;Motifs.;{MEETING}",  # 6: good
        f"Isère;{p3_line};supprimer;;;Autres motifs.;{MEETING}",  # 7: the same as row 6
    ]
    report = run_import(world, as_csv(rows))
    messages = {issue.line: issue.message for issue in report.errors}
    assert sorted(messages) == [2, 3, 4, 5, 7], messages
    assert messages[2].startswith("fédération inconnue « Savoie »")
    assert messages[3] == "section inconnue « Grenobl » dans la Fédération de Isère ; nom(s) proche(s) : « Grenoble »."
    assert messages[4].startswith("la ligne 9999 n'est pas une ligne numérotée de la version 1 du texte")
    gendarmerie = line_of(world, "I-1-3", "la gendarmerie")
    if gendarmerie != p3_line:
        assert messages[5] == (f"les mots « la gendarmerie » ne figurent pas à la ligne {p3_line} "
                               f"(ils figurent à la ligne {gendarmerie} du même alinéa).")  # fmt: skip
    assert messages[7] == "même amendement, pour la même unité, que la ligne 6."
    db.session.rollback()
    assert amendment_count() == 0


def test_a_paragraph_by_its_stable_id(world):
    rows = [
        "Unité;Alinéa;Type;Mots visés;Nouveaux mots;Exposé des motifs;Date de la réunion",
        f"Isère / Grenoble;I-2-1;modifier;éducative;éducative et protectrice;Protéger.;{MEETING}",
        f"Isère / Grenoble;I-9-9;supprimer;;;Motifs.;{MEETING}",
    ]
    report = run_import(world, ("\n".join(rows)).encode())
    assert [(i.line, i.message) for i in report.errors] == [(3, "alinéa inconnu « I-9-9 » dans la version 1 du texte.")]
    report = run_import(world, ("\n".join(rows[:2])).encode())
    assert report.filed == [1]
    assert db.session.scalar(sa.select(Amendment.replacement)) == "et protectrice"


def test_the_import_needs_the_committee_and_the_amendment_phase(world):
    data = as_csv(good_rows(world))
    with pytest.raises(PermissionDenied):
        run_import(world, data, actor="section_secretary")
    with pytest.raises(PermissionDenied):
        run_import(world, data, actor="pilot_this_group")
    assert run_import(world, data, actor="national_bureau", dry_run=True).to_file == 4
    world.convention.phase_override = PhaseKind.NATIONAL_BUREAU
    with pytest.raises(DomainError, match="n'est pas ouvert"):
        run_import(world, data)
    db.session.rollback()
    assert amendment_count() == 0


# --- XLSX ----------------------------------------------------------------------------------------------------


def workbook(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_workbook_with_date_and_number_cells(world):
    meeting = dt.datetime.combine(TODAY - dt.timedelta(days=2), dt.time())
    data = workbook([
        ["UNITÉ", "ligne", "Type", "Mots visés", "Nouveaux mots", "Exposé des motifs", "Date de la réunion"],
        ["Isère / Grenoble", line_of(world, "I-2-1", "éducative"), "Remplacer", "éducative", "éducative d'abord",
         "La rééducation.", meeting],
        [None, None, None, None, None, None, None],
        ["Rhône / Lyon", float(world.block("I-2-2").line_start), "supprimer", None, None, "Motifs.", meeting],
    ])  # fmt: skip
    report = run_import(world, data)
    assert report.errors == [] and report.encoding == "classeur XLSX" and report.filed == [1, 2]
    first = db.session.scalar(sa.select(Amendment).where(Amendment.number == 1))
    assert first.adopted_on == meeting.date() and first.replacement == "d'abord"
    assert Q1.startswith("La justice")


def test_a_formula_without_its_computed_value_is_reported(world):
    data = workbook([
        ["Unité", "Ligne", "Type", "Mots visés", "Nouveaux mots", "Exposé des motifs", "Date de la réunion"],
        ["Isère", "=2+3", "supprimer", None, None, "Motifs.", MEETING],
        ["Isère", world.block("I-2-2").line_start, "supprimer", None, None, '=CONCAT("Mo";"tifs")', MEETING],
    ])  # fmt: skip
    report = run_import(world, data)
    messages = {issue.line: issue.message for issue in report.errors}
    assert sorted(messages) == [2, 3]
    assert messages[2].startswith("la cellule « Ligne » contient une formule (« =2+3 »)")
    assert "« Exposé des motifs » contient une formule" in messages[3]


def with_computed_values(data: bytes, values: dict[str, str]) -> bytes:
    """The workbook as Excel saves it: each formula cell also holds the value it computed."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = content.decode()
                for cell, value in values.items():
                    head = f'<c r="{cell}">'
                    start = text.index(head)
                    end = text.index("<v></v>", start)
                    text = text[:end] + f"<v>{value}</v>" + text[end + len("<v></v>") :]
                content = text.encode()
            target.writestr(item, content)
    return out.getvalue()


def test_a_formula_counts_for_the_value_it_computed(world):
    line = world.block("I-2-2").line_start
    data = workbook([
        ["Unité", "Ligne", "Type", "Mots visés", "Nouveaux mots", "Exposé des motifs", "Date de la réunion"],
        ["Isère", f"={line - 1}+1", "supprimer", None, None, "Motifs.", MEETING],
    ])  # fmt: skip
    report = run_import(world, with_computed_values(data, {"B2": str(line)}))
    assert report.errors == [] and report.filed == [1]
    assert db.session.scalar(sa.select(Amendment.block_anchor)) == "I-2-2"


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize(
    "data, message",
    [
        (b"PK\x03\x04" + b"\x00" * 100, "le fichier est binaire et n'est pas un classeur XLSX"),
        (_zip({"xl/workbook.xml": b"<not a workbook", "[Content_Types].xml": b"<x/>"}),
         "le classeur XLSX ne peut pas être lu"),
        (_zip({"xl/workbook.xml": b"<w/>", "xl/worksheets/sheet1.xml": b" " * (201 * 1024 * 1024)}),
         "Le document occuperait"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "le fichier est binaire"),
    ],
)  # fmt: skip
def test_corrupt_and_inflating_files_are_refused(world, data, message):
    report = run_import(world, data)
    assert len(report.errors) == 1 and report.errors[0].line == 0
    assert report.errors[0].message.startswith(message), report.errors


# --- the job -------------------------------------------------------------------------------------------------


def reload(job_id: int) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def test_the_job_files_the_amendments_and_reports(world):
    data = as_csv(good_rows(world))
    job = start_amendment_import(world.users["committee"], world.convention, "tableau.csv", data, today=TODAY)
    db.session.commit()  # inline: the task ran after the commit
    job = reload(job.id)
    assert job.state == JobState.SUCCEEDED, (job.error, job.error_details)
    assert job.result["filed"] == 4 and job.result["numbers"] == [1, 2, 3, 4]
    assert job.result["lines"][2] == "4 amendement(s) déposé(s) (n° 1 à 4)."
    assert amendment_count() == 4
    again = start_amendment_import(world.users["committee"], world.convention, "tableau.csv", data, today=TODAY)
    db.session.commit()
    again = reload(again.id)
    assert again.state == JobState.SUCCEEDED and again.result["filed"] == 0
    assert again.result["already"] == [1, 2, 3, 4]
    assert amendment_count() == 4


def test_the_job_with_a_bad_row_lists_it_and_files_nothing(world):
    rows = [*good_rows(world), f"Isère / Nulle part;{world.block('I-1-3').line_start};supprimer;;;M.;{MEETING}"]
    job = start_amendment_import(world.users["committee"], world.convention, "tableau.csv", as_csv(rows), today=TODAY)
    db.session.commit()
    job = reload(job.id)
    assert job.state == JobState.FAILED
    assert job.error == ("tableau.csv : 1 problème(s), aucun amendement n'a été déposé. Corrigez le tableau puis "
                         "déposez-le à nouveau.")  # fmt: skip
    assert job.error_details == ["ligne 6 : section inconnue « Nulle part » dans la Fédération de Isère."]
    assert amendment_count() == 0


def test_the_job_is_only_the_committees_while_amendments_are_open(world):
    data = as_csv(good_rows(world))
    with pytest.raises(PermissionDenied):
        start_amendment_import(world.users["member_paid"], world.convention, "t.csv", data, today=TODAY)
    world.convention.phase_override = PhaseKind.CONTRIBUTIONS
    with pytest.raises(DomainError, match="n'est pas ouvert"):
        start_amendment_import(world.users["committee"], world.convention, "t.csv", data, today=TODAY)


def test_a_job_whose_phase_closed_meanwhile_files_nothing(world, monkeypatch):
    from convention.jobs.operations import dispatch  # noqa: F401 (the task runs inline at commit)

    data = as_csv(good_rows(world))
    monkeypatch.setattr("convention.jobs.operations.dispatch", lambda job_id: None)
    job = start_amendment_import(world.users["committee"], world.convention, "t.csv", data, today=TODAY)
    world.convention.phase_override = PhaseKind.NATIONAL_BUREAU
    db.session.commit()
    from convention.jobs import runner

    assert runner.run(job.id) == "failed"
    job = reload(job.id)
    assert "Le dépôt des amendements n'est pas ouvert" in job.error and amendment_count() == 0


# --- the command line ----------------------------------------------------------------------------------------


@pytest.fixture()
def cli(app):
    return app.test_cli_runner()


def test_the_command_line_checks_then_imports(world, cli, tmp_path):
    path = tmp_path / "tableau.csv"
    rows = good_rows(world)
    path.write_bytes(as_csv([*rows, f"Isère;{world.block('I-1-3').line_start};voter;;;M.;{MEETING}"]))
    result = cli.invoke(args=["amendments", "import", str(path), "--convention", "securite"])
    assert result.exit_code == 1
    assert "tableau.csv : 1 problème(s), aucun amendement n'a été déposé." in result.output
    assert "ligne 6 : type inconnu « voter »" in result.output
    path.write_bytes(as_csv(rows))
    result = cli.invoke(args=["amendments", "import", str(path), "--convention", "securite", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Simulation : 4 amendement(s) seraient déposés ; rien n'a été enregistré." in result.output
    db.session.expire_all()
    assert amendment_count() == 0
    email = world.users["committee"].email
    result = cli.invoke(args=["amendments", "import", str(path), "--convention", "securite", "--par", email])
    assert result.exit_code == 0, result.output
    assert "4 amendement(s) déposé(s) (n° 1 à 4)." in result.output
    db.session.expire_all()
    assert set(db.session.scalars(sa.select(Amendment.submitted_by_id))) == {world.users["committee"].id}
    result = cli.invoke(args=["amendments", "import", str(path), "--convention", "securite"])
    assert result.exit_code == 0 and "Aucun nouvel amendement" in result.output
    assert amendment_count() == 4


def test_the_command_line_refuses_an_unknown_convention_or_account(world, cli, tmp_path):
    path = tmp_path / "tableau.csv"
    path.write_bytes(as_csv(good_rows(world)))
    result = cli.invoke(args=["amendments", "import", str(path), "--convention", "autre"])
    assert result.exit_code == 1 and "Convention inconnue : « autre »." in result.output
    result = cli.invoke(args=["amendments", "import", str(path), "--convention", "securite",
                              "--par", world.users["member_paid"].email])  # fmt: skip
    assert result.exit_code == 1 and "n'est pas membre du comité de pilotage" in result.output
    assert P3  # the world's text is the fixtures'


def test_rows_on_the_same_passage_are_clustered_and_a_bridge_merges_two_clusters(world):
    line = world.block("I-1-3").line_start
    rows = [
        f"Isère / Grenoble;{line};modifier;polices municipales;polices de proximité;A.;{MEETING}",
        f"Rhône / Lyon;{line};modifier;municipales;communales;B.;{MEETING}",
        f"Isère / Grenoble;{line};modifier;travaillent avec les habitants;agissent avec les habitants;C.;{MEETING}",
        f"Rhône;{line};insérer;;Un alinéa nouveau.;D.;{MEETING}",
    ]
    report = run_import(world, as_csv(rows))
    db.session.commit()
    assert report.filed == [1, 2, 3, 4]
    by_number = {a.number: a for a in db.session.scalars(sa.select(Amendment))}
    assert by_number[1].cluster_id is not None and by_number[1].cluster_id == by_number[2].cluster_id
    assert by_number[3].cluster_id is None and by_number[4].cluster_id is None
    bridge = [f"Rhône / Lyon;{line};modifier;municipales travaillent;communales agissent;E.;{MEETING}"]
    first_cluster = by_number[1].cluster_id
    # A member's amendment on « travaillent avec les habitants » gives row 3 a cluster of its own first.
    submit(world, anchor="I-1-3", edited=edit(P3, "travaillent avec", "travaillent main dans la main avec"))
    db.session.refresh(by_number[3])
    assert by_number[3].cluster_id not in (None, first_cluster)
    report = run_import(world, as_csv(bridge))
    db.session.commit()
    db.session.expire_all()
    clusters = {a.number: a.cluster_id for a in db.session.scalars(sa.select(Amendment))}
    assert clusters[6] == clusters[1] == clusters[2] == clusters[3] == clusters[5] == first_cluster
    from convention.amendments.models import AmendmentCluster

    assert db.session.scalar(sa.select(sa.func.count()).select_from(AmendmentCluster)) == 1
