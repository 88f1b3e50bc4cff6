"""A federation's spreadsheet of amendments: read, check against the text and the units, then file.

The rows are read and checked one by one by :mod:`convention.domain.amendment_rows`; here each
row's unit is found among the sections and federations, its paragraph in the current version
of the text (by line, or by the paragraph's stable id), its quoted words at that line, and its
change computed as the chapter page computes it (:func:`convention.amendments.operations.compute`).
Nothing is written unless every row passes. Then each amendment is filed on behalf of its unit
by the committee member who uploaded the file, as a secretary's amendment is (numbering,
cluster with the amendments on the same passage, history, audit, search index), all in the
caller's unit of work.

Idempotence without a fingerprint column: a row whose amendment is already there — same unit,
same paragraph of the same version, same span, same kind and same words — is not filed again,
so the same file imported twice files nothing the second time.
"""

from __future__ import annotations

import bisect
import datetime as dt
import difflib
import io
import logging
import re
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from convention.amendments import operations
from convention.amendments.models import Amendment, AmendmentCluster, StepKind, amendments_open
from convention.amendments.operations import AmendmentData
from convention.contributions.attachments import inflation_problem
from convention.core.audit import audit
from convention.core.db import db, savepoint
from convention.core.permissions import ensure
from convention.domain import amendments as domain
from convention.domain.amendment_rows import (
    AmendmentRow,
    AmendmentSheet,
    RowProblem,
    check_rows,
    locate_words,
    parse_csv,
    planned_edit,
)
from convention.domain.amendments import AmendmentStatus, Change, normalized_key
from convention.domain.errors import DomainError
from convention.domain.memberfile import XLSX, fold
from convention.domain.textimport import TextIssue, format_issue
from convention.members.files import MAX_XLSX_ENTRIES, MAX_XLSX_UNCOMPRESSED, ZIP_MAGIC, cell_text, is_xlsx
from convention.members.importer import federation_lookup
from convention.members.models import Federation, Section
from convention.texts.models import Block, TextVersion

logger = logging.getLogger(__name__)

ProgressFn = Callable[[float, str | None], None]
MAX_REPORTED = 1000
PROGRESS_EVERY_S = 1.0
# 2,000 amendments with their rationales are a few megabytes.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
EXTENSIONS = (".csv", ".txt", ".xlsx")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_SECTION_PREFIX = re.compile(r"^section (?:de la |de l |des |du |de |d )?")
_FEDERATION_PREFIX = re.compile(r"^(?:federation|fede|fd) (?:de la |de l |des |du |de |d )?")


def _no_progress(percent: float, step: str | None = None) -> None:
    return None


# --- reading the file ---------------------------------------------------------------------------


def _xlsx_records(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """The first sheet's rows: the values Excel computed, or the formula where none was saved."""
    from openpyxl import load_workbook

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it ignores
        values = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        formulas = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        computed_rows = values.worksheets[0].iter_rows(values_only=True)
        written_rows = formulas.worksheets[0].iter_rows(values_only=True)
        for number, (computed, written) in enumerate(zip(computed_rows, written_rows, strict=False), start=1):
            cells = []
            for index, value in enumerate(computed):
                if value is None and index < len(written) and isinstance(written[index], str):
                    value = written[index] if written[index].startswith("=") else None
                cells.append(cell_text(value))
            while cells and cells[-1] == "":
                cells.pop()  # trailing empty cells (formatting past the last column)
            yield number, cells
    finally:
        values.close()
        formulas.close()


def read_xlsx(data: bytes, *, today: dt.date) -> AmendmentSheet:
    """Check the first sheet of a workbook, row by row like a CSV file."""
    problem = inflation_problem(data, max_uncompressed=MAX_XLSX_UNCOMPRESSED, max_entries=MAX_XLSX_ENTRIES)
    if problem:
        return AmendmentSheet((), (TextIssue(0, problem),), XLSX)
    try:
        records = list(_xlsx_records(data))
    except Exception as error:  # noqa: BLE001 (openpyxl raises many kinds on a broken file)
        return AmendmentSheet(
            (), (TextIssue(0, f"le classeur XLSX ne peut pas être lu ({type(error).__name__})."),), XLSX
        )
    return check_rows(records, today=today, encoding=XLSX)


def read_sheet(data: bytes, *, today: dt.date) -> AmendmentSheet:
    """The checked rows of a CSV (any of Excel's encodings) or XLSX file of amendments."""
    if is_xlsx(data):
        return read_xlsx(data, today=today)
    if data.startswith(ZIP_MAGIC):
        return AmendmentSheet(
            (),
            (
                TextIssue(
                    0,
                    "le fichier est binaire et n'est pas un classeur XLSX : enregistrez-le en CSV ou en XLSX "
                    "(Excel, LibreOffice).",
                ),
            ),
        )
    return parse_csv(data, today=today)


# --- the units ------------------------------------------------------------------------------------


class UnitFinder:
    """Sections and federations by their folded names, loaded once for the whole file."""

    def __init__(self) -> None:
        self.federations = federation_lookup()
        self.federation_objects = {f.id: f for f in db.session.scalars(sa.select(Federation))}
        self.sections: dict[tuple[int, str], Section] = {}
        self.sections_by_name: dict[str, list[Section]] = {}
        for section in db.session.scalars(sa.select(Section)):
            key = fold(section.name)
            self.sections[(section.federation_id, key)] = section
            self.sections_by_name.setdefault(key, []).append(section)

    def _federation(self, name: str) -> Federation | None:
        key = fold(name)
        fed_id = self.federations.get(key) or self.federations.get(_FEDERATION_PREFIX.sub("", key))
        return self.federation_objects.get(fed_id) if fed_id is not None else None

    def _section_keys(self, name: str) -> list[str]:
        key = fold(name)
        stripped = _SECTION_PREFIX.sub("", key)
        return [key] if stripped == key else [key, stripped]

    def find(self, row: AmendmentRow) -> Section | Federation:
        """The row's unit (raise RowProblem with the close names when there is none)."""
        federation = self._federation(row.federation)
        if row.section:
            if federation is None:
                raise RowProblem(
                    f"fédération inconnue « {row.federation} » dans l'unité « {row.unit} »"
                    + self._close(row.federation, [f.name for f in self.federation_objects.values()])
                )
            for key in self._section_keys(row.section):
                section = self.sections.get((federation.id, key))
                if section is not None:
                    return section
            names = [s.name for s in federation.sections]
            raise RowProblem(
                f"section inconnue « {row.section} » dans la {federation.title}" + self._close(row.section, names)
            )
        if federation is not None:
            return federation
        for key in self._section_keys(row.federation):
            found = self.sections_by_name.get(key, [])
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                raise RowProblem(
                    f"il y a plusieurs sections « {row.federation} » : écrivez « Fédération / Section » "
                    f"(par exemple « {found[0].federation.name} / {found[0].name} »)."
                )
        names = [f.name for f in self.federation_objects.values()] + [
            s.name for sections in self.sections_by_name.values() for s in sections
        ]
        raise RowProblem(
            f"unité inconnue « {row.unit} » : écrivez « Fédération / Section » (« Isère / Grenoble ») ou le nom "
            "ou le numéro d'une fédération" + self._close(row.federation, names)
        )

    @staticmethod
    def _close(name: str, known: list[str]) -> str:
        by_key = {fold(k): k for k in known}
        close = difflib.get_close_matches(fold(name), list(by_key), n=3, cutoff=0.6)
        if not close:
            return "."
        return " ; nom(s) proche(s) : " + ", ".join(f"« {by_key[c]} »" for c in close) + "."


# --- checking every row against the text -----------------------------------------------------------


@dataclass
class Planned:
    """A row ready to be filed: its paragraph, unit, change, lines and citation."""

    row: AmendmentRow
    block: Block
    unit: Section | Federation
    data: AmendmentData
    change: Change
    first: int
    last: int
    citation: str


@dataclass
class ImportReport:
    rows: int = 0
    filed: list[int] = field(default_factory=list)  # the numbers of the amendments filed
    already: list[tuple[int, int]] = field(default_factory=list)  # (row, number of the amendment already there)
    errors: list[TextIssue] = field(default_factory=list)
    encoding: str = ""
    dry_run: bool = False
    to_file: int = 0  # what a dry run would file

    @property
    def ok(self) -> bool:
        return not self.errors

    def error_details(self) -> list[str]:
        details = [format_issue(issue) for issue in self.errors[:MAX_REPORTED]]
        if len(self.errors) > MAX_REPORTED:
            details.append(f"… et {len(self.errors) - MAX_REPORTED} autre(s).")
        return details

    def lines(self) -> list[str]:
        out = [f"{self.rows} ligne(s) lue(s)."]
        if self.encoding:
            out.append(f"Fichier lu comme : {self.encoding}.")
        if self.dry_run:
            out.append(f"Simulation : {self.to_file} amendement(s) seraient déposés ; rien n'a été enregistré.")
        elif self.filed:
            numbers = f"n° {self.filed[0]}" if len(self.filed) == 1 else f"n° {self.filed[0]} à {self.filed[-1]}"
            out.append(f"{len(self.filed)} amendement(s) déposé(s) ({numbers}).")
        else:
            out.append("Aucun nouvel amendement : le fichier était déjà importé.")
        if self.already:
            shown = ", ".join(f"ligne {row} (n° {number})" for row, number in self.already[:20])
            more = f" et {len(self.already) - 20} autre(s)" if len(self.already) > 20 else ""
            out.append(f"{len(self.already)} déjà déposé(s), non déposé(s) à nouveau : {shown}{more}.")
        return out


class TextIndex:
    """The current version's paragraphs by stable id and by line."""

    def __init__(self, version: TextVersion) -> None:
        blocks = db.session.scalars(
            sa.select(Block).where(Block.version_id == version.id).order_by(Block.line_start)
        ).all()
        self.version = version
        self.by_anchor = {b.anchor: b for b in blocks}
        self.blocks = list(blocks)
        self.starts = [b.line_start for b in blocks]

    def at_line(self, line: int) -> Block | None:
        index = bisect.bisect_right(self.starts, line) - 1
        if index < 0:
            return None
        block = self.blocks[index]
        return block if block.line_start <= line <= block.line_end else None

    def find(self, row: AmendmentRow) -> Block:
        block = None
        if row.block:
            block = self.by_anchor.get(row.block) or self.by_anchor.get(row.block.upper())
            if block is None:
                raise RowProblem(f"alinéa inconnu « {row.block} » dans la version {self.version.number} du texte.")
        if row.first_line is not None:
            at_line = self.at_line(row.first_line)
            if at_line is None:
                last = self.blocks[-1].line_end if self.blocks else 0
                raise RowProblem(
                    f"la ligne {row.first_line} n'est pas une ligne numérotée de la version "
                    f"{self.version.number} du texte (lignes 1 à {last} ; les titres ne sont pas numérotés)."
                )
            if block is not None and at_line.id != block.id:
                raise RowProblem(
                    f"la ligne {row.first_line} n'est pas dans l'alinéa {block.anchor} "
                    f"(lignes {block.line_start} à {block.line_end})."
                )
            block = at_line
        assert block is not None
        return block


def _existing_key(unit: Section | Federation, anchor: str, change: Change) -> tuple:
    kind = "s" if isinstance(unit, Section) else "f"
    return (
        kind,
        unit.id,
        anchor,
        str(change.kind),
        change.start,
        change.end,
        bool(change.whole_block),
        normalized_key(change.original),
        normalized_key(change.replacement),
    )


def _amendment_key(amendment: Amendment) -> tuple:
    if amendment.section_id is not None:
        kind, unit_id = "s", amendment.section_id
    else:
        kind, unit_id = "f", amendment.federation_id
    return (
        kind,
        unit_id,
        amendment.block_anchor,
        str(amendment.kind),
        amendment.span_start,
        amendment.span_end,
        bool(amendment.is_whole_block),
        normalized_key(amendment.original),
        normalized_key(amendment.replacement),
    )


def _existing_unit_amendments(version: TextVersion) -> dict[tuple, int]:
    """The units' amendments already on ``version``, by what makes two of them the same."""
    amendments = db.session.scalars(
        sa.select(Amendment).where(
            Amendment.version_id == version.id,
            sa.or_(Amendment.section_id.is_not(None), Amendment.federation_id.is_not(None)),
        )
    )
    return {_amendment_key(a): a.number for a in amendments}


def plan_rows(
    version: TextVersion, sheet: AmendmentSheet, progress: ProgressFn = _no_progress
) -> tuple[list[Planned], list[tuple[int, int]], list[TextIssue]]:
    """Check every row against the units and the text: (to file, already filed, problems). Writes nothing."""
    units = UnitFinder()
    text = TextIndex(version)
    existing = _existing_unit_amendments(version)
    planned: list[Planned] = []
    already: list[tuple[int, int]] = []
    errors: list[TextIssue] = list(sheet.errors)
    in_file: dict[tuple, int] = {}
    total = max(1, len(sheet.rows))
    reported = time.monotonic()
    for index, row in enumerate(sheet.rows, start=1):
        # A report commits (the job's page polls it): about once a second, not once a row.
        if time.monotonic() - reported >= PROGRESS_EVERY_S:
            progress(100 * index / total, f"Vérification des lignes… ({index} sur {total})")
            reported = time.monotonic()
        try:
            unit = units.find(row)
            block = text.find(row)
            start = end = None
            if row.words:
                start, end = locate_words(
                    block.text, version.line_length, block.line_start, row.words, row.first_line, row.last_line
                )
            requested, edited = planned_edit(block.text, row.kind, start, end, row.new_words)
            data = AmendmentData(
                requested=requested, edited=edited, rationale=row.rationale, unit=unit, adopted_on=row.adopted_on
            )
            change, first, last, citation = operations.compute(version, block, data)
        except (RowProblem, DomainError) as problem:
            errors.append(TextIssue(row.line, str(problem)))
            continue
        key = _existing_key(unit, block.anchor, change)
        if key in in_file:
            errors.append(TextIssue(row.line, f"même amendement, pour la même unité, que la ligne {in_file[key]}."))
            continue
        in_file[key] = row.line
        if key in existing:
            already.append((row.line, existing[key]))
            continue
        planned.append(Planned(row, block, unit, data, change, first, last, citation))
    errors.sort(key=lambda issue: issue.line)
    return planned, already, errors


# --- filing --------------------------------------------------------------------------------------------


def _new_amendment(actor: Any, convention: Any, version: TextVersion, plan: Planned) -> Amendment:
    """The amendment of one checked row, on behalf of its unit, as ``submit_amendment`` builds it."""
    change = plan.change
    amendment = operations.new_amendment(
        convention, version, plan.block, change, plan.first, plan.last, plan.citation,
        rationale=plan.row.rationale,
        status=AmendmentStatus.SUBMITTED,
        submitted_by_id=getattr(actor, "id", None),
        author_name=getattr(actor, "display_name", "") or operations.COMMITTEE_LABEL,
        adopted_on=plan.row.adopted_on,
    )  # fmt: skip
    if isinstance(plan.unit, Section):
        amendment.section = plan.unit
        amendment.federation_id = plan.unit.federation_id
    else:
        amendment.federation = plan.unit
    return amendment


def _insert_numbered(amendments: list[Amendment], text_id: int) -> None:
    """Number the amendments in the file's order after the text's last one, and insert them together.

    A number taken meanwhile by a member's submission makes the insert fail: it is tried again
    after that number (as ``operations._insert_numbered`` does for one amendment).
    """
    for _attempt in range(operations.NUMBERING_ATTEMPTS):
        first = operations._next_number(text_id)
        for offset, amendment in enumerate(amendments):
            amendment.number = first + offset
        try:
            with savepoint():
                db.session.add_all(amendments)
                db.session.flush()
            return
        except sa.exc.IntegrityError:
            logger.info("amendment numbers from %s taken meanwhile, retrying", first)
    raise DomainError("Le dépôt n'a pas pu être numéroté : relancez l'import dans un instant.")


def _related(amendment: Amendment, on_block: list[Amendment]) -> list[operations.Related]:
    """The amendments already filed on the same passage (``operations.related_amendments``, in memory)."""
    candidates = [a for a in on_block if a.status != AmendmentStatus.WITHDRAWN]
    by_id = {a.id: a for a in candidates}
    return [
        operations.Related(by_id[anchor.id], relation)
        for anchor, relation in domain.find_related(amendment.anchor(), [a.anchor() for a in candidates])
    ]


def _join_cluster(amendment: Amendment, related: list[operations.Related], loaded: list[Amendment]) -> None:
    """``operations._join_cluster`` without a flush: the cluster is set through the relationship.

    ``amendment`` and the amendments on the same passage go in one cluster: the oldest of
    theirs (the new one of the file, if none had one); a second cluster bridged by the new
    amendment is merged into it (in the database for a stored one, as ``_join_cluster`` does;
    ``loaded`` are the paragraph's amendments in memory).
    """
    if not related:
        return
    members = [amendment, *(r.amendment for r in related)]
    clusters: list[AmendmentCluster] = []
    for member in members:
        if member.cluster is not None and all(member.cluster is not c for c in clusters):
            clusters.append(member.cluster)
    stored = sorted((c for c in clusters if c.id is not None), key=lambda c: c.id)
    if stored:
        keep = stored[0]
    elif clusters:
        keep = clusters[0]
    else:
        keep = AmendmentCluster(text_id=amendment.text_id, block_anchor=amendment.block_anchor)
        db.session.add(keep)
    for other in clusters:
        if other is keep:
            continue
        for member in loaded:
            if member.cluster is other:
                member.cluster = keep
        if other.id is not None:  # stored: its amendments not in memory (another version) move too
            db.session.execute(
                sa.update(Amendment).where(Amendment.cluster_id == other.id).values(cluster_id=keep.id),
                execution_options={"synchronize_session": False},
            )
            db.session.execute(sa.delete(AmendmentCluster).where(AmendmentCluster.id == other.id))
        else:
            db.session.expunge(other)
    for member in members:
        member.cluster = keep


def file_planned(actor: Any, convention: Any, version: TextVersion, planned: list[Planned]) -> list[Amendment]:
    """File the checked rows in the file's order, as ``submit_amendment`` files a secretary's amendment.

    The same steps for each (numbered in order of submission, put in one cluster with the
    amendments already on the same passage, its « Déposé » step, its audit entry, its search
    document), with the database round trips made once for the whole file: the amendments
    are inserted together, the neighbours on each paragraph are looked for and clustered in
    memory (the paragraph's amendments are loaded once), the rest is written by one flush.
    """
    from convention.search.indexing import _amendment_values
    from convention.search.models import SearchDocument, SearchKind

    anchors = sorted({plan.block.anchor for plan in planned})
    existing: dict[str, list[Amendment]] = {anchor: [] for anchor in anchors}
    for chunk_start in range(0, len(anchors), 500):
        for amendment in db.session.scalars(
            sa.select(Amendment)
            .where(
                Amendment.text_id == version.text_id,
                Amendment.version_id == version.id,
                Amendment.block_anchor.in_(anchors[chunk_start : chunk_start + 500]),
            )
            .options(selectinload(Amendment.cluster))
            .order_by(Amendment.number)
        ):
            existing[amendment.block_anchor].append(amendment)
    amendments = [_new_amendment(actor, convention, version, plan) for plan in planned]
    _insert_numbered(amendments, version.text_id)
    with db.session.no_autoflush:
        for plan, amendment in zip(planned, amendments, strict=True):
            on_block = existing[plan.block.anchor]
            related = _related(amendment, on_block)
            on_block.append(amendment)
            operations._step(amendment, StepKind.SUBMITTED, actor, actor_label=amendment.signed_by)
            _join_cluster(amendment, related, on_block)
            audit(
                actor,
                "amendment.submit",
                amendment,
                number=amendment.number,
                block=plan.block.anchor,
                kind=amendment.kind,
                section_id=amendment.section_id,
                federation_id=amendment.federation_id,
                related=[r.amendment.number for r in related],
                imported_row=plan.row.line,
            )
        db.session.add_all(
            SearchDocument(kind=SearchKind.AMENDMENT, object_id=a.id, **_amendment_values(a)) for a in amendments
        )
    db.session.flush()
    return amendments


def import_amendments(
    actor: Any,
    convention: Any,
    data: bytes,
    *,
    today: dt.date,
    source: str = "",
    dry_run: bool = False,
    progress: ProgressFn = _no_progress,
) -> ImportReport:
    """Check the whole file, then file its new amendments (flushes; the caller commits).

    ``actor`` is the committee member who files them (None from the command line). Nothing is
    written when one row is bad: the report lists every problem with its row number.
    """
    if actor is not None:
        ensure(convention.is_steering(actor), "Seul le comité de pilotage importe un tableau d'amendements.")
    if not amendments_open(convention, today):
        raise DomainError(
            "Le dépôt des amendements n'est pas ouvert : un tableau d'amendements s'importe pendant la phase "
            "des amendements, comme un amendement se dépose."
        )
    from convention.texts import queries as text_queries

    text = text_queries.get_main_text(convention.id)
    if text is None or text.current_version is None:
        raise DomainError("Cette convention n'a pas encore de texte à amender.")
    version = text.current_version
    progress(2, "Lecture du fichier…")
    sheet = read_sheet(data, today=today)
    report = ImportReport(rows=len(sheet.rows) + len({i.line for i in sheet.errors if i.line > 1}))
    report.encoding = sheet.encoding
    report.dry_run = dry_run
    if any(issue.line <= 1 for issue in sheet.errors):  # the file or its header: no row to check
        report.errors = list(sheet.errors)
        return report
    progress(10, "Vérification des lignes…")
    planned, already, errors = plan_rows(version, sheet, _share(progress, 10, 60))
    report.already = already
    if errors:
        report.errors = errors
        return report
    report.to_file = len(planned)
    if dry_run or not planned:
        return report
    progress(60, f"Enregistrement de {len(planned)} amendement(s)…")
    _reload(version)
    report.filed = [amendment.number for amendment in file_planned(actor, convention, version, planned)]
    audit(
        actor,
        "amendment.import",
        convention,
        source=source,
        filed=len(report.filed),
        already=len(already),
        first=report.filed[0],
        last=report.filed[-1],
    )
    logger.info("%s: %d amendment(s) filed, %d already there", source, len(report.filed), len(already))
    return report


def _reload(version: TextVersion) -> None:
    """Load again, in a few queries, what a progress report's commit expired (not one query per row)."""
    db.session.scalars(
        sa.select(Block).where(Block.version_id == version.id).options(selectinload(Block.chapter))
    ).all()
    db.session.scalars(sa.select(Section)).all()
    db.session.scalars(sa.select(Federation)).all()


def _share(progress: ProgressFn, start: float, end: float) -> ProgressFn:
    def sub(percent: float, step: str | None = None) -> None:
        progress(start + (end - start) * max(0.0, min(100.0, percent)) / 100, step)

    return sub
