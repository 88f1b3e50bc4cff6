"""Benchmark: demo members seeded per second, and the members import, on a fresh SQLite file.

    .venv/bin/python bench/seed_members.py            # 10,000 and 100,000
    .venv/bin/python bench/seed_members.py 5000 20000 # other sizes

Each size runs in a new temporary database: ``seed_demo(members=N)`` then
commit (the demo accounts' argon2 hash is part of the time), then a second run
(nothing to do), then the members import of the same N members exported to CSV:
once over them (all unchanged) and once into an empty member table (all created).
"""

from __future__ import annotations

import csv
import logging
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def run(size: int) -> None:
    import sqlalchemy as sa

    from convention import create_app
    from convention.domain.memberfile import parse_member_file
    from convention.extensions import db
    from convention.members.importer import import_members
    from convention.members.models import Federation, Member, Section
    from seed.demo import seed_demo

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
        with app.app_context():
            db.create_all()
            start = time.perf_counter()
            seed_demo(members=size)
            db.session.commit()
            first = time.perf_counter() - start
            start = time.perf_counter()
            seed_demo(members=size)
            db.session.commit()
            second = time.perf_counter() - start
            print(
                f"seed_demo {size:>7,} members: {first:6.2f} s  "
                f"({size / first:,.0f} members/s); second run (no change): {second:5.2f} s"
            )

            csv_path = Path(tmp) / "members.csv"
            query = (
                sa.select(Member.membership_number, Member.first_name, Member.last_name,
                          Member.email, Section.name, Federation.code, Member.dues_paid_until)
                .join(Member.section).join(Section.federation)
            )  # fmt: skip
            with csv_path.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle, delimiter=";")
                writer.writerow(["numero_adherent", "prenom", "nom", "email", "section",
                                 "federation", "cotisation_jusqu_au"])  # fmt: skip
                for row in db.session.execute(query):
                    writer.writerow([*row[:6], row[6].isoformat() if row[6] else ""])
            start = time.perf_counter()
            member_file = parse_member_file(csv_path.read_bytes())
            parsed = time.perf_counter() - start
            report = import_members(None, member_file, source="bench")
            db.session.commit()
            total = time.perf_counter() - start
            lines = len(member_file.rows)
            print(
                f"members import {lines:>7,} lines: {total:6.2f} s ({lines / total:,.0f} lines/s, "
                f"checking the file {parsed:.2f} s) — {report.summary()}"
            )
            db.session.remove()
            db.engine.dispose()

        fresh = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{Path(tmp) / 'fresh.db'}")
        with fresh.app_context():
            db.create_all()
            seed_demo(members=0)  # federations and sections only
            db.session.commit()
            start = time.perf_counter()
            report = import_members(None, parse_member_file(csv_path.read_bytes()), source="bench")
            db.session.commit()
            total = time.perf_counter() - start
            print(
                f"members import {lines:>7,} lines into an empty table: {total:6.2f} s "
                f"({lines / total:,.0f} lines/s) — {report.summary()}"
            )
            db.session.remove()
            db.engine.dispose()


def main(argv: list[str]) -> None:
    logging.disable(logging.INFO)
    sizes = [int(a) for a in argv] or [10_000, 100_000]
    for size in sizes:
        run(size)


if __name__ == "__main__":
    main(sys.argv[1:])
