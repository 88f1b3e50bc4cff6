"""Import the membership file: check everything against the database, then write in bulk.

Nothing is written if a single line is bad. Members are matched on their
membership number: new ones are created, changed ones updated, the others left
alone, so importing the same file twice changes nothing the second time.
An unknown section is an error listing the federation's sections with a close name (a typo
must not create a section), unless the import is asked to create the missing sections
(``create_sections``) inside their (existing) federation; unknown federations are refused.
Existing rows are preloaded in dictionaries, so the import makes a handful of queries
whatever the size of the file.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from convention.core.audit import audit
from convention.core.db import db, utcnow
from convention.domain.memberfile import MemberFile, MemberRow, fold
from convention.domain.textimport import TextIssue
from convention.members.models import Federation, Member, Section

logger = logging.getLogger(__name__)

CHUNK = 5000


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count <= 1 else plural}"


@dataclass
class MemberImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    sections_created: list[str] = field(default_factory=list)
    errors: list[TextIssue] = field(default_factory=list)
    dry_run: bool = False
    encoding: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.sections_created)

    def summary(self) -> str:
        """« 3 créés, 1 mis à jour, 120 inchangés »."""
        return ", ".join(
            [
                _plural(self.created, "créé", "créés"),
                f"{self.updated} mis à jour",
                _plural(self.unchanged, "inchangé", "inchangés"),
            ]
        )

    def lines(self) -> list[str]:
        out = [f"Adhérents : {self.summary()}."]
        if self.encoding:
            out.append(f"Fichier lu comme : {self.encoding}.")
        if self.sections_created:
            out.append(
                f"{_plural(len(self.sections_created), 'section créée', 'sections créées')} : "
                + ", ".join(self.sections_created)
            )
        if self.dry_run:
            out.append("Simulation (--dry-run) : rien n'a été enregistré.")
        elif not self.changed:
            out.append("Rien n'a changé : le fichier était déjà importé.")
        return out


def _chunks(
    items: Sequence[dict[str, Any]], size: int = CHUNK
) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def federation_lookup() -> dict[str, int]:
    """Federation ids by folded code, name and title: « 38 », « isere »…."""
    lookup: dict[str, int] = {}
    for fed_id, code, name, title in db.session.execute(
        sa.select(Federation.id, Federation.code, Federation.name, Federation.title)
    ):
        for key in (code, name, title):
            lookup[fold(key)] = fed_id
        if code.isdigit():
            lookup[str(int(code))] = fed_id  # « 1 » for « 01 »
    return lookup


def _unknown_section(row: MemberRow, known: dict[str, str]) -> str:
    """« section inconnue « Grenobl » dans la fédération 38 ; sections proches : Grenoble »."""
    close = difflib.get_close_matches(fold(row.section), list(known), n=3, cutoff=0.6)
    message = f"section inconnue « {row.section} » dans la fédération « {row.federation} »"
    if close:
        message += " ; section(s) proche(s) : " + ", ".join(f"« {known[c]} »" for c in close)
    return message + " (pour créer les sections absentes, demandez-le à l'import)."


ProgressFn = Callable[[float, str | None], None]


def _no_progress(percent: float, step: str | None = None) -> None:
    return None


def import_members(
    actor: Any,
    member_file: MemberFile,
    *,
    source: str = "",
    dry_run: bool = False,
    create_sections: bool = False,
    progress: ProgressFn | None = None,
) -> MemberImportReport:
    """Create or update the members of a checked file; report each bad line, write nothing then.

    Flushes and audits (when something changed); never commits itself. ``progress(percent,
    step)`` is told how far it is; the job runner's commits, so with it the writing is done
    in committed chunks (the import is idempotent: run again, it completes what is missing).
    """
    progress = progress or _no_progress
    total = max(1, len(member_file.rows))
    progress(2, "Lecture des adhérents déjà enregistrés…")
    # The file's own errors come with those found against the database, line by line.
    report = MemberImportReport(
        dry_run=dry_run, errors=list(member_file.errors), encoding=member_file.encoding
    )

    federations = federation_lookup()
    sections: dict[tuple[int, str], int] = {}
    section_names: dict[int, dict[str, str]] = {}  # federation id → folded name → name
    for section_id, fed_id, name in db.session.execute(
        sa.select(Section.id, Section.federation_id, Section.name)
    ):
        sections[(fed_id, fold(name))] = section_id
        section_names.setdefault(fed_id, {})[fold(name)] = name
    existing: dict[str, tuple[Any, ...]] = {}
    email_owner: dict[str, str] = {}
    for row in db.session.execute(
        sa.select(
            Member.id, Member.membership_number, Member.first_name, Member.last_name,
            Member.email, Member.section_id, Member.dues_paid_until,
        )
    ):  # fmt: skip
        existing[row.membership_number] = tuple(row)
        email_owner[row.email.lower()] = row.membership_number

    # 1. Check every line against the database.
    new_sections: dict[tuple[int, str], tuple[str, MemberRow]] = {}
    resolved: list[tuple[MemberRow, int, str]] = []  # row, federation id, section key
    progress(5, "Vérification des lignes…")
    for index, row in enumerate(member_file.rows, start=1):
        if index % CHUNK == 0:
            progress(5 + 35 * index / total, f"Vérification des lignes… ({index} sur {total})")
        fed_id = federations.get(fold(row.federation))
        if fed_id is None:
            report.errors.append(TextIssue(row.line, f"fédération inconnue « {row.federation} »."))
            continue
        owner = email_owner.get(row.email)
        if owner is not None and owner != row.membership_number:
            report.errors.append(
                TextIssue(
                    row.line,
                    f"adresse électronique « {row.email} » déjà utilisée "
                    f"par l'adhérent n° {owner}.",
                )
            )
            continue
        key = (fed_id, fold(row.section))
        if key not in sections and not create_sections:
            report.errors.append(TextIssue(row.line, _unknown_section(row, section_names.get(fed_id, {}))))
            continue
        if key not in sections and key not in new_sections:
            new_sections[key] = (row.section, row)
        resolved.append((row, fed_id, fold(row.section)))
    if report.errors:
        report.errors.sort(key=lambda issue: issue.line)
        return report

    # 2. Sections to create (few): ORM objects, to get their ids (not in a dry run).
    section_ids: dict[tuple[int, str], int | None] = dict(sections)
    created_sections = []
    for (fed_id, folded), (name, _row) in new_sections.items():
        report.sections_created.append(name)
        section_ids[(fed_id, folded)] = None
        if not dry_run:
            section = Section(federation_id=fed_id, name=name)
            db.session.add(section)
            created_sections.append(((fed_id, folded), section))
    if created_sections:
        db.session.flush()
        for key, section in created_sections:
            section_ids[key] = section.id

    # 3. Compare with what is there.
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    now = utcnow()
    for row, fed_id, folded in resolved:
        section_id = section_ids.get((fed_id, folded))
        values = {
            "membership_number": row.membership_number,
            "first_name": row.first_name,
            "last_name": row.last_name,
            "email": row.email,
            "section_id": section_id,
            "dues_paid_until": row.dues_paid_until,
        }
        current = existing.get(row.membership_number)
        if current is None:
            inserts.append({**values, "created_dt": now})
            continue
        member_id, _number, first, last, email, current_section, dues = current
        if (first, last, email.lower(), current_section, dues) == (
            row.first_name, row.last_name, row.email, section_id, row.dues_paid_until,
        ):  # fmt: skip
            report.unchanged += 1
        else:
            updates.append({"id": member_id, **values})
    report.created = len(inserts)
    report.updated = len(updates)

    if dry_run:
        return report

    # 4. Write in bulk.
    writes = max(1, len(inserts) + len(updates))
    done = 0
    progress(45, "Enregistrement des adhérents…")
    for statement, rows in ((sa.insert(Member), inserts), (sa.update(Member), updates)):
        for chunk in _chunks(rows):
            db.session.execute(statement, chunk)
            done += len(chunk)
            progress(45 + 50 * done / writes, f"Enregistrement des adhérents… ({done} sur {writes})")
    if report.changed:
        audit(
            actor,
            "members.imported",
            None,
            source=source,
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            sections_created=report.sections_created,
        )
    db.session.flush()
    logger.info("members import %s: %s", source, report.summary())
    return report
