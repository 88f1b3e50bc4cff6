"""Benchmark: the amendment book (cahier des amendements, PDF) of 2,000 amendments, as its job makes it.

    .venv/bin/python bench/amendment_book.py                        # SQLite, 2,000 amendments
    .venv/bin/python bench/amendment_book.py --amendments 500
    .venv/bin/python bench/amendment_book.py --database-url postgresql://postgres@127.0.0.1:5432/convention_bench_book

The seeded text gets the amendments ``bench/amendments.py`` generates (bulk, computed with the domain
functions), each with a rationale of about 450 characters of Markdown, an opinion and decision
reasons on about half; then the AMENDMENT_BOOK job runs inline (``runner.run``) and the time is
printed beside its target (issue « Amendments II », §5: 2,000 amendments in under 60 s).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_S = 60
RATIONALE = (
    "Cet amendement **précise** la rédaction : la proposition gagne en clarté, et les militants qui la "
    "défendront dans les sections sauront ce qu'elle engage pour les collectivités.\n\n"
    "- les fédérations l'ont demandé ;\n- les sections l'ont voté.\n\n"
    "Voir [le rapport](https://exemple.fr/rapport) et le *programme* de 2022. "
)


def _amendments_bench():
    spec = importlib.util.spec_from_file_location("bench_amendments", ROOT / "bench" / "amendments.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--amendments", type=int, default=2000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    import sqlalchemy as sa

    from config import normalise_database_url
    from convention import create_app
    from convention.extensions import db
    from seed.demo import seed_demo
    from seed.load import seed_convention

    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='convention-book-')}/book.db"
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=normalise_database_url(url), RATELIMIT_ENABLED=False)
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed_convention(verbose=False)
        seed_demo(members=200)
        db.session.commit()
    _amendments_bench().store_amendments(app, args.amendments, min(300, args.amendments), seed_value=1)
    with app.app_context():
        from convention.amendments.models import Amendment
        from convention.conventions.models import Convention
        from convention.core.db import utcnow
        from convention.domain.amendments import Opinion
        from convention.jobs import operations as job_operations
        from convention.jobs import runner
        from convention.jobs.models import Job, JobFileRole, JobKind
        from convention.outputs import book
        from convention.texts import queries

        rng = random.Random(3)
        for amendment in db.session.scalars(sa.select(Amendment)):
            amendment.rationale = RATIONALE
            if rng.random() < 0.5:
                amendment.opinion = rng.choice(list(Opinion))
                amendment.opinion_reason = "Le comité estime que la rédaction proposée est plus claire."
                amendment.opinion_dt = utcnow()
            if amendment.status.value in ("adopted", "rejected"):
                amendment.decision_reason = "Décision prise en séance du comité de pilotage."
                amendment.decided_dt = utcnow()
        db.session.commit()
        text = queries.get_main_text(db.session.scalars(sa.select(Convention)).first().id)
        job = Job(kind=JobKind.AMENDMENT_BOOK, params=book.book_params(text.current_version))
        db.session.add(job)
        db.session.commit()
        started, cpu = time.perf_counter(), time.process_time()
        state = runner.run(job.id)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        job = db.session.get(Job, job.id)
        output = job_operations.file_of(job.id, JobFileRole.OUTPUT)
        verdict = "OK" if wall < TARGET_S else "MISS"
        print(
            f"{db.engine.dialect.name}: amendment book of {job.result.get('amendments')} amendments: "
            f"{wall:.1f} s (target < {TARGET_S} s) {verdict}, job {state}, {job.result.get('pages')} pages, "
            f"{output.size / 1e6:.1f} MB, CPU {cpu:.1f} s, load average {os.getloadavg()[0]:.1f}"
        )
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


if __name__ == "__main__":
    main()
