"""The printed outputs, opened and checked by parsing them back: the amendment book (pdftotext), the
consolidated text with tracked changes (DOCX XML, ODT through odfpy, both converted by LibreOffice),
and the amendments as CSV and XLSX (formulas neutralised, every amendment present)."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import zipfile
from collections import Counter

import pytest
import sqlalchemy as sa

from convention.amendments import consolidation
from convention.amendments import operations as ops
from convention.amendments.models import Amendment
from convention.domain.amendments import AmendmentStatus
from convention.domain.phases import PhaseKind
from convention.domain.textstructure import normalize_space
from convention.extensions import db
from convention.jobs import operations as job_operations
from convention.jobs.models import Job, JobFileRole, JobKind, JobState
from convention.outputs import book, common, spreadsheet, tracked
from convention.texts.models import Block, TextVersion
from tests.amendment_fixtures import P1, Q1, Q2, TODAY, build_world, edit, load_world, submit

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
FORMULAS = ('=HYPERLINK("http://exemple.invalid")', "+33 6 12 34 56 78", "-1+2", "@SOMME(A1:A2)")


def decide(world, amendment: Amendment, status: AmendmentStatus = AmendmentStatus.ADOPTED, wording: str = ""):
    committee = world.users["committee"]
    ops.declare_admissibility(committee, amendment, True, "Recevable.", today=TODAY)
    if status != AmendmentStatus.ADMISSIBLE:
        ops.decide_amendment(committee, amendment, status, "Décision du comité.", wording, today=TODAY)
    db.session.commit()
    return amendment


@pytest.fixture()
def world(database, app):
    world = build_world(PhaseKind.AMENDMENTS)
    world.convention.amendment_cosignatures_required = 0
    db.session.commit()
    return world


@pytest.fixture()
def consolidated(world):
    """Five adopted amendments (two in one paragraph, a deletion, an insertion), others pending; version 2."""
    adopted = {
        "grenoble": submit(world, "section_secretary", "I-1-1", unit=world.section,
                           edited=edit(P1, "dès l'école", "dès la petite enfance, à la crèche comme à l'école")),
        "rue": submit(world, "author", "I-1-1", edited=edit(P1, "éducateurs de rue", "éducateurs spécialisés")),
        "deletion": submit(world, "member_paid", "I-1-3", requested=ops.RequestedKind.DELETE,
                           rationale="**Inutile** : la police municipale relève du maire."),
        "insertion": submit(world, "author", "I-2-1", requested=ops.RequestedKind.INSERT,
                            edited="Un juge des enfants sera nommé dans chaque tribunal judiciaire."),
        "wording": submit(world, "member_paid", "I-1-2",
                          edited=edit(world.block("I-1-2").text, "d'ici à la fin du mandat", "avant 2030")),
    }  # fmt: skip
    pending = [
        submit(world, "member_paid", "I-2-2", edited=edit(Q2, "greffiers et de magistrats", "juges"),
               rationale=FORMULAS[0]),
        submit(world, "author", "I-2-2", edited=edit(Q2, "greffiers et de magistrats", "personnels de justice"),
               rationale=FORMULAS[1]),
        submit(world, "member_paid", "I-2-1", edited=edit(Q1, "éducative", "d'abord éducative"),
               rationale=FORMULAS[2]),
        submit(world, "author", "I-1-1", edited=edit(P1, "associations de quartier", "associations"),
               rationale=FORMULAS[3]),
    ]  # fmt: skip
    for key, amendment in adopted.items():
        if key == "insertion":
            decide(world, amendment, AmendmentStatus.ADOPTED_MODIFIED,
                   "Un juge des enfants siégera dans chaque tribunal judiciaire.")  # fmt: skip
        else:
            decide(world, amendment)
    decide(world, pending[3], AmendmentStatus.REJECTED)
    world = load_world()
    job, _ = consolidation.start_consolidation(world.users["committee"], world.convention, world.text)
    db.session.commit()
    assert db.session.get(Job, job.id).state == JobState.SUCCEEDED
    db.session.expire_all()
    return {key: a.id for key, a in adopted.items()}, [a.id for a in pending]


def versions() -> list[TextVersion]:
    return list(db.session.scalars(sa.select(TextVersion).order_by(TextVersion.number)))


def run_output(start, *args) -> tuple[Job, bytes]:
    """Start an output as a member, let the (eager) task run, and return the job and its file."""
    member = load_world().users["member_paid"]
    job, started = start(member, *args)
    db.session.commit()
    assert started
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.state == JobState.SUCCEEDED, (job.error, job.error_details)
    output = job_operations.file_of(job.id, JobFileRole.OUTPUT)
    assert output is not None and output.size == len(output.data) > 0
    return job, output.data


def all_amendments() -> list[Amendment]:
    return list(db.session.scalars(sa.select(Amendment).order_by(Amendment.number)))


def block_texts(version: TextVersion) -> list[str]:
    return [
        normalize_space(text)
        for text in db.session.scalars(
            sa.select(Block.text).where(Block.version_id == version.id).order_by(Block.line_start)
        )
    ]


# --- the amendment book ------------------------------------------------------------------------


def pdf_text(data: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler-utils) is required: .ci/run installs it")
    path = tmp_path / "cahier.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout  # fmt: skip


def test_the_book_lists_every_amendment_of_the_version_in_line_order(world, consolidated, tmp_path):
    adopted, pending = consolidated
    one, two = versions()
    on_one = list(db.session.scalars(sa.select(Amendment).where(Amendment.version_id == one.id)))
    job, data = run_output(book.start_amendment_book, one)
    assert data.startswith(b"%PDF")
    text = pdf_text(data, tmp_path)
    assert "Cahier des amendements" in text and "Sommaire" in text
    assert job.result["amendments"] == len(on_one) and job.params["version_number"] == 1
    for amendment in on_one:
        assert f"Amendement n° {amendment.number}" in text
    # Line order: the deletion of I-1-3 comes after the amendments of I-1-1 and I-1-2.
    positions = {a.number: text.index(f"Amendement n° {a.number} ") for a in on_one}
    ordered = sorted(on_one, key=lambda a: (a.line_start, a.number))
    body = {n: p for n, p in positions.items()}
    assert [a.number for a in sorted(on_one, key=lambda a: body[a.number])] == [a.number for a in ordered]
    # Rationale rendered from Markdown, reasons and who filed it.
    assert "**Inutile**" not in text and "Inutile : la police municipale" in text
    assert "Décision du comité." in text and "Section Grenoble" in text and "Cosignatures : 0" in text
    # The pending ones moved to version 2: that version's book has them, clusters together.
    job, data = run_output(book.start_amendment_book, two)
    text = pdf_text(data, tmp_path)
    on_two = list(db.session.scalars(sa.select(Amendment).where(Amendment.version_id == two.id)))
    assert on_two and all(f"Amendement n° {a.number}" in text for a in on_two)
    clustered = sorted(a.number for a in on_two if a.cluster_id is not None)
    assert len(clustered) == 2
    assert f"discussion commune : amendements n° {clustered[0]}, n° {clustered[1]}" in text.lower()


def test_the_book_is_reused_until_an_amendment_changes(world, consolidated):
    one = versions()[0]
    member = load_world().users["member_paid"]
    first, started = book.start_amendment_book(member, one)
    db.session.commit()
    again, started_again = book.start_amendment_book(member, one)
    assert started and not started_again and again.id == first.id
    # A new step (here a co-signature count) makes a new book.
    amendment = db.session.scalars(sa.select(Amendment).where(Amendment.version_id == one.id)).first()
    amendment.cosignature_count += 1
    db.session.commit()
    third, started_third = book.start_amendment_book(member, one)
    db.session.commit()
    assert started_third and third.id != first.id


def test_an_anonymous_visitor_cannot_start_an_output(world):
    from flask_login import AnonymousUserMixin

    from convention.core.permissions import PermissionDenied

    with pytest.raises(PermissionDenied):
        book.start_amendment_book(AnonymousUserMixin(), versions()[0])


# --- the consolidated text with tracked changes --------------------------------------------------


def docx_paragraphs(data: bytes):
    """Each body paragraph as (accepted text, rejected text, mark inserted, mark deleted, revisions)."""
    from lxml import etree

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = etree.fromstring(archive.read("word/document.xml"))
    found = []
    for p in root.iter(f"{W}p"):
        accepted = "".join(t.text or "" for t in p.iter(f"{W}t"))
        rejected = "".join(
            (t.text or "") for t in p.iter(f"{W}t", f"{W}delText") if t.getparent().getparent().tag != f"{W}ins"
        )
        mark_ins = p.find(f"{W}pPr/{W}rPr/{W}ins") is not None
        mark_del = p.find(f"{W}pPr/{W}rPr/{W}del") is not None
        revisions = [child for child in p if child.tag in (f"{W}ins", f"{W}del")]
        found.append((accepted, rejected, mark_ins, mark_del, revisions))
    return root, found


def test_the_docx_has_one_revision_per_adopted_change_with_its_author_and_date(world, consolidated):
    adopted, _ = consolidated
    one, two = versions()
    job, data = run_output(tracked.start_tracked_export, two, JobKind.TEXT_DOCX)
    root, paragraphs = docx_paragraphs(data)
    ids = [r.get(f"{W}id") for r in root.iter(f"{W}ins", f"{W}del")]
    assert len(ids) == len(set(ids))  # unique w:id, paragraph marks included
    # A change is a w:del followed by its w:ins (same author and date), or a single element.
    changes: list[tuple[str, str]] = []
    for *_, revisions in paragraphs:
        previous = None
        for revision in revisions:
            key = (revision.get(f"{W}author"), revision.get(f"{W}date"))
            if (
                previous is not None
                and previous.tag == f"{W}del"
                and revision.tag == f"{W}ins"
                and previous.getnext() is revision
                and key == (previous.get(f"{W}author"), previous.get(f"{W}date"))
            ):
                previous = None  # the second half of a pair
                continue
            changes.append(key)
            previous = revision
    amendments = [db.session.get(Amendment, id_) for id_ in adopted.values()]
    expected = Counter((a.signed_by, common.iso_utc(a.decided_dt)) for a in amendments)
    assert Counter(changes) == expected
    assert len(changes) == len(amendments) == job.result["revisions"]
    assert "Section Grenoble" in {author for author, _ in changes}
    # Accepting every change gives version 2, rejecting them gives version 1.
    body = paragraphs[2:]  # the title and the subtitle
    accepted = [a for a, _r, _i, deleted, _ in body if not deleted]
    rejected = [r for _a, r, inserted, _d, _ in body if not inserted]
    assert [t for t in accepted if t in block_texts(two)] == block_texts(two)
    assert [t for t in rejected if t in block_texts(one)] == block_texts(one)


def test_the_odt_tracked_changes_parse_back_with_odfpy(world, consolidated):
    from odf import dc, office, opendocument
    from odf import text as odftext
    from odf.namespaces import TEXTNS, XMLNS

    adopted, _ = consolidated
    two = versions()[1]
    job, data = run_output(tracked.start_tracked_export, two, JobKind.TEXT_ODT)
    document = opendocument.load(io.BytesIO(data))
    (changes,) = document.getElementsByType(odftext.TrackedChanges)
    assert document.text.childNodes[0] is changes
    regions = document.getElementsByType(odftext.ChangedRegion)
    region_ids = [r.getAttrNS(TEXTNS, "id") for r in regions]
    assert region_ids == [r.getAttrNS(XMLNS, "id") for r in regions]
    assert len(region_ids) == len(set(region_ids)) > 0
    marks = [m.getAttribute("changeid") for kind in (odftext.ChangeStart, odftext.Change)
             for m in document.getElementsByType(kind)]  # fmt: skip
    assert sorted(marks) == sorted(region_ids)  # every region is marked once in the text
    ends = [m.getAttribute("changeid") for m in document.getElementsByType(odftext.ChangeEnd)]
    assert sorted(ends) == sorted(m.getAttribute("changeid") for m in document.getElementsByType(odftext.ChangeStart))
    amendments = [db.session.get(Amendment, id_) for id_ in adopted.values()]
    creators = [str(info.getElementsByType(dc.Creator)[0]) for info in document.getElementsByType(office.ChangeInfo)]
    dates = {str(info.getElementsByType(dc.Date)[0]) for info in document.getElementsByType(office.ChangeInfo)}
    assert set(creators) == {a.signed_by for a in amendments}
    assert {common.iso_utc(a.decided_dt).rstrip("Z") for a in amendments} == dates
    deletions = document.getElementsByType(odftext.Deletion)
    assert any("sous l'autorité du maire" in str(d) for d in deletions)  # the deleted paragraph, kept


def libreoffice() -> str | None:
    found = shutil.which("libreoffice") or shutil.which("soffice")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice is missing: .ci/run installs libreoffice-writer-nogui")
        pytest.skip("LibreOffice is not installed here (apt-get install libreoffice-writer-nogui)")
    return found


def test_libreoffice_converts_the_docx_and_the_odt_to_pdf(world, consolidated, tmp_path):
    program = libreoffice()
    two = versions()[1]
    _, docx = run_output(tracked.start_tracked_export, two, JobKind.TEXT_DOCX)
    _, odt = run_output(tracked.start_tracked_export, two, JobKind.TEXT_ODT)
    (tmp_path / "texte.docx").write_bytes(docx)
    (tmp_path / "texte.odt").write_bytes(odt)
    profile = tmp_path / "profile"
    for name in ("texte.docx", "texte.odt"):
        result = subprocess.run(
            [program, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
             "--outdir", str(tmp_path / name.replace(".", "-")), str(tmp_path / name)],
            capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        produced = tmp_path / name.replace(".", "-") / "texte.pdf"
        assert result.returncode == 0 and produced.exists(), (result.stdout, result.stderr)
        assert produced.read_bytes().startswith(b"%PDF")
        if shutil.which("pdftotext"):
            shown = subprocess.run(["pdftotext", str(produced), "-"], capture_output=True, text=True).stdout
            assert "avant 2030" in shown  # the inserted words are in the document
    # LibreOffice reads the DOCX's revisions as its own tracked changes: converted to ODT, they are there.
    result = subprocess.run(
        [program, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "odt",
         "--outdir", str(tmp_path / "relu"), str(tmp_path / "texte.docx")],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    from odf import dc, office, opendocument

    reread = opendocument.load(str(tmp_path / "relu" / "texte.odt"))
    creators = {str(info.getElementsByType(dc.Creator)[0]) for info in reread.getElementsByType(office.ChangeInfo)}
    assert "Section Grenoble" in creators and "Camille Martin" in creators
    # And the ODT's regions, converted to DOCX, come out as Word revisions by the same authors.
    result = subprocess.run(
        [program, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "docx",
         "--outdir", str(tmp_path / "relu"), str(tmp_path / "texte.odt")],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    root, _ = docx_paragraphs((tmp_path / "relu" / "texte.docx").read_bytes())
    authors = {r.get(f"{W}author") for r in root.iter(f"{W}ins", f"{W}del")}
    assert {"Section Grenoble", "Camille Martin", "Aurore Autrice"} <= authors


def test_a_version_that_is_not_consolidated_has_no_tracked_export(world):
    one = versions()[0]
    member = world.users["member_paid"]
    job, _ = tracked.start_tracked_export(member, one, JobKind.TEXT_DOCX)
    db.session.commit()
    job = db.session.get(Job, job.id)
    assert job.state == JobState.FAILED and "pas issue d'une consolidation" in job.error


def test_the_docx_and_odt_are_reused_for_the_same_version(world, consolidated):
    two = versions()[1]
    member = world.users["member_paid"]
    for kind in (JobKind.TEXT_DOCX, JobKind.TEXT_ODT):
        first, started = tracked.start_tracked_export(member, two, kind)
        db.session.commit()
        again, started_again = tracked.start_tracked_export(member, two, kind)
        assert started and not started_again and again.id == first.id


def test_attribution_joins_one_amendments_passages_and_splits_two_amendments():
    from types import SimpleNamespace

    def amendment(number, start, end, author):
        return SimpleNamespace(id=number, number=number, span_start=start, span_end=end, is_whole_block=False,
                               signed_by=author, decided_dt=None, updated_dt=None, submitted_dt=None)  # fmt: skip

    before = "Les élus de la République et les associations du quartier agissent ensemble."
    after = "Les adhérentes et adhérents du parti et les associations du quartier agissent seuls."
    first = amendment(1, 4, 28, "Section Grenoble")
    second = amendment(2, 62, 70, "Camille Martin")
    fallback = tracked.Reviser("Comité", "")
    pieces = tracked.attributed_pieces(before, after, [first, second], fallback)
    revisions = [p for p in pieces if isinstance(p, tracked.Revision)]
    assert [r.reviser.author for r in revisions] == ["Section Grenoble", "Camille Martin"]
    accepted = "".join(p if isinstance(p, str) else p.inserted for p in pieces)
    rejected = "".join(p if isinstance(p, str) else p.deleted for p in pieces)
    assert (accepted, rejected) == (after, before)


# --- the amendments as CSV and XLSX --------------------------------------------------------------


def test_the_csv_holds_every_amendment_and_neutralises_formulas(world, consolidated):
    text = load_world().text
    job, data = run_output(spreadsheet.start_amendment_export, text, "csv")
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    header, body = rows[0], rows[1:]
    assert header[:4] == ["Numéro", "Version", "Lignes", "Type"] and "Fédération" in header
    assert sorted(int(r[0]) for r in body) == [a.number for a in all_amendments()]
    rationales = [r[header.index("Exposé des motifs")] for r in body]
    for formula in FORMULAS:
        assert f"'{formula}" in rationales and formula not in rationales
    assert not any(cell[:1] in "=+-@" for row in body for cell in row if cell)
    grenoble = next(r for r in body if r[header.index("Auteur ou unité")] == "Section Grenoble")
    assert grenoble[header.index("Fédération")] == "Fédération de l'Isère" or grenoble[header.index("Fédération")]
    assert grenoble[header.index("Décision")] == "Adopté" and grenoble[header.index("Décidé le")]


def test_the_xlsx_holds_every_amendment_and_no_formula(world, consolidated):
    from openpyxl import load_workbook

    text = load_world().text
    job, data = run_output(spreadsheet.start_amendment_export, text, "xlsx")
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert sorted(int(r[0]) for r in body) == [a.number for a in all_amendments()]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    rationales = [r[header.index("Exposé des motifs")] for r in body]
    for formula in FORMULAS:
        assert f"'{formula}" in rationales
    # Asked again with nothing changed: the same job; the CSV is another one.
    member = world.users["member_paid"]
    again, started = spreadsheet.start_amendment_export(member, load_world().text, "xlsx")
    assert not started and again.id == job.id
    other, started = spreadsheet.start_amendment_export(member, load_world().text, "csv")
    assert started and other.id != job.id


def test_the_book_keeps_the_words_around_a_change_and_cuts_the_rest():
    long = " ".join(f"mot{i}" for i in range(200))
    segments = [("equal", long), ("delete", "ancien"), ("insert", "nouveau"), ("equal", " " + long)]
    cut = book.trimmed(segments, size=40)
    assert cut[1:3] == segments[1:3]  # the change itself is never cut
    assert cut[0][1].startswith("… ") and cut[0][1].endswith("mot199") and len(cut[0][1]) <= 50
    assert cut[3][1].startswith(" mot0") and cut[3][1].endswith(" …") and len(cut[3][1]) <= 50
    assert book.trimmed([("equal", "court")]) == [("equal", "court")]
