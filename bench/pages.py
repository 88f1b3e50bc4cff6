"""Time GET on the main pages with Flask's test client against a seeded SQLite database.

Not a test: it prints, for each page, the status and the median / 95th percentile /
maximum time of the request, in milliseconds, measured in-process (no network, no
gunicorn), so that a slow query or template shows up before it reaches production.

    .venv/bin/python bench/pages.py                 # 30 requests per page, 200 demo members
    .venv/bin/python bench/pages.py --repeat 100 --members 2000 --db instance/bench.db

The database file is built once (``seed_convention`` then ``seed_demo``) and reused by
later runs with the same ``--db`` unless ``--fresh`` is given (do so after a model change).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PUBLIC_PAGES = [
    "/",
    "/groupes/",
    "/groupes/pilotage",
    "/groupes/1",
    "/calendrier/",
    "/contributions/",
    "/texte/",
    "/texte/glossaire",
    "/api/v1/convention",
    "/api/v1/working-groups",
    "/api/v1/texts",
    "/api/v1/contributions",
]


def build_app(db_path: Path, members: int, fresh: bool):
    from convention import create_app
    from convention.extensions import db

    if fresh and db_path.exists():
        db_path.unlink()
    new = not db_path.exists()
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{db_path}",
        RATELIMIT_ENABLED=False,
    )
    with app.app_context():
        if new:
            db.create_all()
            started = time.perf_counter()
            from seed.load import seed_convention

            seed_convention(verbose=False)
            try:
                from seed.demo import seed_demo
            except ImportError:
                print("seed.demo not available: benchmarking without demo members")
            else:
                seed_demo(members=members, seed_value=1)
            db.session.commit()
            print(f"seeded {db_path} in {time.perf_counter() - started:.1f} s")
    return app


def extra_pages(app) -> list[str]:
    """Pages whose address depends on the data: the first chapter, event and contribution."""
    import sqlalchemy as sa

    from convention.calendar.models import Event
    from convention.contributions.models import Contribution
    from convention.extensions import db
    from convention.texts.models import Chapter

    pages = []
    with app.app_context():
        for column, pattern in (
            (Chapter.anchor, "/texte/chapitre/{}"),
            (Event.id, "/calendrier/{}"),
            (Contribution.id, "/contributions/{}"),
        ):
            table = column.class_
            value = db.session.scalar(sa.select(column).order_by(table.id).limit(1))
            if value is not None:
                pages.append(pattern.format(value))
    return pages


def measure(client, path: str, repeat: int) -> tuple[int, list[float]]:
    client.get(path)  # warm-up: template compilation, first queries
    timings = []
    status = 0
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        status = response.status_code
    return status, timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="requests per page (default 30)")
    parser.add_argument("--members", type=int, default=200, help="demo members to seed (default 200)")
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "convention-bench.db")
    parser.add_argument("--fresh", action="store_true", help="rebuild the database file")
    args = parser.parse_args(argv)

    import logging

    app = build_app(args.db, args.members, args.fresh)
    logging.disable(logging.WARNING)
    client = app.test_client()
    pages = PUBLIC_PAGES + extra_pages(app)

    print(f"\n{args.repeat} GET per page, Flask test client, SQLite {args.db}\n")
    print(f"{'page':<36} {'status':>6} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
    slowest = 0.0
    for path in pages:
        status, timings = measure(client, path, args.repeat)
        median = statistics.median(timings)
        p95 = statistics.quantiles(timings, n=20, method="inclusive")[18] if len(timings) > 1 else timings[0]
        slowest = max(slowest, p95)
        print(f"{path:<36} {status:>6} {median:>10.1f} {p95:>8.1f} {max(timings):>8.1f}")
    print(f"\nslowest p95: {slowest:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
