"""Benchmark: importing a federations' spreadsheet of 2,000 amendments (issue « Amendments II », §5).

    .venv/bin/python bench/amendment_import.py                    # 2,000 rows, fresh SQLite file
    .venv/bin/python bench/amendment_import.py --rows 5000 --format xlsx
    .venv/bin/python bench/amendment_import.py --database-url postgresql://postgres@127.0.0.1:5432/convention_bench_import

With ``--database-url`` the tables of that (throwaway) database are dropped and created again.
The seeded convention text and the demo federations and sections; ``--rows`` rows are drawn
over the whole text (a few words of a line replaced, deleted or followed by new words, a
paragraph deleted or one inserted after it), each for a demo section written « Fédération /
Section », saved as a French Excel CSV (Windows-1252, « ; ») or as an XLSX workbook. Then the
import job is started as the upload page starts it and run inline (no broker: the task runs at
the commit, as in the tests) — store the file, read it, check every row against the units and the
text with progress reports, file every amendment (numbering, clusters, history, audit, search
index), commit — and timed, as a whole and by stage; then the same file again (nothing filed). The figure is printed
beside its target with OK or MISS, judged on wall-clock time.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import logging
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_S = 10.0
HEADER = ["Unité", "Ligne", "Type", "Mots visés", "Nouveaux mots", "Exposé des motifs", "Date de la réunion"]
NEW_WORDS = (
    "renforcer", "garantir", "les élus locaux", "durablement", "dans chaque département", "avec les associations",
    "la médiation sociale", "systématiquement", "les habitants", "de proximité", "en lien avec les maires",
)  # fmt: skip


def build_rows(blocks, units: list[str], width: int, count: int, rng: random.Random) -> list[list[str]]:
    """``count`` valid rows, no two the same amendment of the same unit."""
    from convention.domain.amendment_rows import locate_words
    from convention.domain.textstructure import line_spans, normalize_space

    meeting = (dt.date.today() - dt.timedelta(days=7)).strftime("%d/%m/%Y")
    rows: list[list[str]] = []
    seen: set[tuple] = set()
    while len(rows) < count:
        block = rng.choice(blocks)
        unit = rng.choice(units)
        text = normalize_space(block.text)
        spans = line_spans(text, width)
        index = rng.randrange(len(spans))
        line = block.line_start + index
        words = text[spans[index][0] : spans[index][1]].split(" ")
        draw = rng.random()
        rationale = f"Exposé des motifs de l'amendement {len(rows) + 1} : " + " ".join(rng.sample(NEW_WORDS, 4)) + "."
        if draw < 0.05:
            row, key = [unit, str(line), "supprimer", "", "", rationale, meeting], (unit, block.anchor, "del")
        elif draw < 0.10:
            new = f"Un alinéa nouveau n° {len(rows) + 1}, {rng.choice(NEW_WORDS)}."
            row, key = [unit, str(line), "insérer", "", new, rationale, meeting], (unit, block.anchor, new)
        else:
            size = rng.randint(1, min(3, len(words)))
            start = rng.randrange(len(words) - size + 1)
            quoted = " ".join(words[start : start + size])
            if not any(ch.isalnum() for ch in quoted[:1] + quoted[-1:]):
                continue
            try:
                span = locate_words(block.text, width, block.line_start, quoted, line, line)
            except ValueError:
                continue
            kind = rng.choice(("modifier", "modifier", "remplacer", "supprimer", "insérer"))
            new = "" if kind == "supprimer" else f"{rng.choice(NEW_WORDS)} {len(rows) + 1}"
            if span == (0, len(text)) and kind == "supprimer":
                continue
            row, key = (
                [unit, str(line), kind, f"« {quoted} »", new, rationale, meeting],
                (unit, block.anchor, span, kind),
            )
        if key in seen:
            continue
        seen.add(key)
        rows.append(row)
    return rows


def as_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("cp1252", errors="replace")


def as_xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append([int(row[1]) if i == 1 else value for i, value in enumerate(row)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run(url: str, count: int, fmt: str) -> int:
    import sqlalchemy as sa

    from config import normalise_database_url
    from convention import create_app
    from convention.amendments.imports import start_amendment_import
    from convention.amendments.models import Amendment
    from convention.domain.phases import PhaseKind
    from convention.domain.roles import Role
    from convention.extensions import db
    from convention.jobs import operations as job_operations
    from convention.jobs.models import Job, JobState
    from convention.members.models import RoleAssignment, Section, User
    from convention.texts import queries as text_queries
    from convention.texts.models import Block
    from seed.demo import seed_demo
    from seed.load import seed_convention

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=normalise_database_url(url), RATELIMIT_ENABLED=False)
    with app.app_context():
        db.drop_all()
        db.create_all()
        seeded = seed_convention(verbose=False)
        seed_demo(members=50)
        convention = seeded.convention
        convention.phase_override = PhaseKind.AMENDMENTS  # amendments open today
        committee = User(email="bench.comite@exemple.fr", display_name="Comité (bench)", password_hash="!")
        db.session.add(committee)
        db.session.flush()
        db.session.add(RoleAssignment(user_id=committee.id, role=Role.COMMITTEE, convention_id=convention.id))
        db.session.commit()
        version = text_queries.get_main_text(convention.id).current_version
        blocks = db.session.scalars(sa.select(Block).where(Block.version_id == version.id)).all()
        units = [f"{s.federation.name} / {s.name}" for s in db.session.scalars(sa.select(Section))]
        rows = build_rows(blocks, units, version.line_length, count, random.Random(1))
        data = as_xlsx(rows) if fmt == "xlsx" else as_csv(rows)
        print(
            f"{url.split('@')[-1]}: {len(rows)} rows over {len(blocks)} paragraphs, {len(units)} sections, "
            f"{fmt.upper()} file of {len(data) / 1024:.0f} KiB"
        )
        # The job's progress reports (committed as the job runs), timed to split the figure by stage.
        reports: list[tuple[float, int]] = []
        original_report = job_operations.report

        def timed_report(job_id: int, progress: int, step: str | None = None) -> None:
            reports.append((time.perf_counter(), int(progress)))
            original_report(job_id, progress, step)

        job_operations.report = timed_report
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        committee = db.session.get(User, committee.id)
        convention = db.session.get(type(convention), convention.id)

        def run_job() -> tuple[float, float, Job]:
            started, cpu = time.perf_counter(), time.process_time()
            job = start_amendment_import(committee, convention, "bench.csv", data, today=dt.date.today())
            db.session.commit()  # the task runs inline (no broker), as in the tests
            spent, cpu = time.perf_counter() - started, time.process_time() - cpu
            db.session.expire_all()
            return spent, cpu, db.session.get(Job, job.id)

        started = time.perf_counter()
        spent, cpu, job = run_job()
        if job.state != JobState.SUCCEEDED:
            print("the import failed:", job.error, job.error_details[:5])
            return 2
        filed = db.session.scalar(sa.select(sa.func.count()).select_from(Amendment))
        checking = next((t for t, p in reports if p >= 10), started)
        writing = next((t for t, p in reports if p >= 60), started + spent)
        verdict = "OK" if spent < TARGET_S else "MISS"
        print(f"import of {len(rows):,} rows: {spent:.2f} s (target < {TARGET_S:.0f} s) {verdict}")
        print(
            f"  as the job runs it: start and read {checking - started:.2f} s, check {writing - checking:.2f} s, "
            f"file and commit {started + spent - writing:.2f} s; CPU {cpu:.2f} s; {filed} amendments filed; "
            f"load average {load} on {os.cpu_count()} CPUs"
        )
        again_spent, _cpu, again = run_job()
        print(
            f"  the same file again: {again_spent:.2f} s, {again.result.get('filed')} filed, "
            f"{len(again.result.get('already', []))} already there"
        )
        job_operations.report = original_report
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    return 0 if spent < TARGET_S else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000, help="amendments in the file (default 2,000)")
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        return run(url, args.rows, args.format)


if __name__ == "__main__":
    raise SystemExit(main())
