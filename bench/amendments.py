"""Benchmark: amendments — submission, the chapter page, the review table, the list of the whole text.

    .venv/bin/python bench/amendments.py                      # 10,000 amendments, fresh SQLite file
    .venv/bin/python bench/amendments.py --amendments 2000 --repeat 20
    .venv/bin/python bench/amendments.py --database-url postgresql://postgres@127.0.0.1:5432/convention_bench_amend

With ``--database-url`` the tables of that (throwaway) database are dropped and created again.
The seeded convention text gets ``--amendments`` stored amendments, 1,000 of them (``--busy``)
on the busiest chapter: each is computed with the domain functions (the change of an edited
paragraph, its lines and citation), clustered as the detection does, and inserted in bulk.
Then, through Flask's test client (in process, logged in where needed), p95 of:

- submission with diff and detection: the preview (POST: compute, find related, render) and
  the confirmation (POST: compute again, detect, store, index, commit), as the demo militant;
- the chapter page (``/texte/chapitre/<anchor>``) with its per-paragraph counts;
- the review table of the busy chapter (``/amendements/examen/chapitre/<anchor>``) as the
  committee's demo account;
- the whole text's list (``/amendements/?page=N``, N drawn among all the pages).

Each figure is printed beside its target (issue « Amendments I », §6), with OK or MISS, judged on
wall-clock time; the CPU time of this process is printed beside it (with PostgreSQL it leaves out
the server's work), which tells a slow page from a busy machine (the load average is printed too).
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGETS_MS = {
    "submission: preview (diff + detection)": 50,
    "submission: confirm (diff + detection + store)": 50,
    "chapter page with per-paragraph counts": 150,
    "review table of a chapter": 300,
    "whole text's list page": 150,
}
WORDS = (
    "renforcer", "garantir", "les élus locaux", "la prévention", "durablement", "dans chaque département",
    "avec les associations", "la médiation sociale", "publique", "systématiquement", "évaluée",
    "les habitants", "de proximité", "les moyens nécessaires", "en lien avec les maires", "nationale",
)  # fmt: skip
PASSWORD = "demo-convention-2025"


def p95(timings: list[float]) -> float:
    if len(timings) < 2:
        return timings[0]
    return statistics.quantiles(timings, n=20, method="inclusive")[18]


def report(name: str, timings: list[tuple[float, float]], detail: str = "") -> bool:
    """Print the wall-clock p95 against its target; the CPU time of this process beside it."""
    target = TARGETS_MS[name]
    wall = [spent for spent, _ in timings]
    value = p95(wall)
    verdict = "OK" if value < target else "MISS"
    extra = (
        f", median {statistics.median(wall):.1f} ms, CPU p95 {p95([cpu for _, cpu in timings]):.1f} ms, "
        f"{len(timings)} requests{detail}"
    )
    print(f"{name}: p95 {value:.1f} ms (target < {target} ms) {verdict}{extra}")
    return value < target


# --- the stored amendments ---------------------------------------------------------------------------


def edited_text(rng: random.Random, text: str) -> str:
    """The paragraph with a run of 1 to 4 words replaced by other words (or deleted)."""
    words = text.split()
    if len(words) < 3:
        return text + " " + rng.choice(WORDS)
    start = rng.randrange(len(words))
    end = min(len(words), start + rng.randint(1, 4))
    new = [] if rng.random() < 0.15 else rng.choice(WORDS).split()
    edited = words[:start] + new + words[end:]
    if edited == words or not edited:
        edited = words + [rng.choice(WORDS)]
    return " ".join(edited)


def amendment_rows(blocks, busy_anchor: str, total: int, busy: int, context: dict, rng: random.Random):
    """``total`` amendment rows (``busy`` on the busy chapter), computed with the domain functions."""
    from convention.domain import amendments as domain
    from convention.domain.amendments import AmendmentStatus
    from convention.domain.errors import DomainError

    in_busy = [b for b in blocks if b.chapter.anchor == busy_anchor]
    others = [b for b in blocks if b.chapter.anchor != busy_anchor]
    statuses = [
        (AmendmentStatus.SUBMITTED, 60), (AmendmentStatus.ADMISSIBLE, 15), (AmendmentStatus.ADOPTED, 4),
        (AmendmentStatus.REJECTED, 10), (AmendmentStatus.INADMISSIBLE, 6), (AmendmentStatus.WITHDRAWN, 5),
    ]  # fmt: skip
    choices, weights = zip(*statuses, strict=True)
    rows, anchors = [], []
    number = 0
    while len(rows) < total:
        block = rng.choice(in_busy if len(rows) < busy else others)
        draw = rng.random()
        try:
            if draw < 0.08:
                change = domain.delete_block(block.text)
            elif draw < 0.18:
                change = domain.insert_after(block.text, f"{rng.choice(WORDS).capitalize()} : {block.text[:120]}")
            else:
                change = domain.compute_change(block.text, edited_text(rng, block.text))
        except DomainError:
            continue
        first, last = domain.span_lines(block.text, context["width"], block.line_start, change.start, change.end)
        number += 1
        unit = rng.random() < 0.3
        section = rng.choice(context["sections"])
        rows.append(
            {
                "convention_id": context["convention_id"],
                "text_id": context["text_id"],
                "number": number,
                "version_id": context["version_id"],
                "chapter_anchor": block.chapter.anchor,
                "block_anchor": block.anchor,
                "kind": change.kind,
                "span_start": change.start,
                "span_end": change.end,
                "is_whole_block": change.whole_block,
                "original": change.original,
                "replacement": change.replacement,
                "prefix": change.prefix[:80],
                "suffix": change.suffix[:80],
                "line_start": first,
                "line_end": last,
                "citation": domain.citation(change, first, last),
                "rationale": "Amendement de banc d'essai : " + rng.choice(WORDS) + ".",
                "author_name": f"Section {section[1]}" if unit else rng.choice(context["names"]),
                "author_member_id": None if unit else rng.choice(context["members"]),
                "section_id": section[0] if unit else None,
                "federation_id": section[2] if unit else None,
                "status": rng.choices(choices, weights=weights)[0],
                "cosignature_count": 0 if unit else rng.randint(0, 12),
                "submitted_dt": context["now"],
                "is_synthesis": False,
            }
        )
        anchors.append(domain.anchor_of(number, block.anchor, change))
    return rows, domain.clusters(anchors)


def store_amendments(app, total: int, busy: int, seed_value: int) -> tuple[str, float]:
    """Insert the amendments and their clusters in bulk; the busy chapter's anchor and the time taken."""
    import sqlalchemy as sa
    from sqlalchemy.orm import selectinload

    from convention.amendments.models import Amendment, AmendmentCluster
    from convention.core.db import utcnow
    from convention.extensions import db
    from convention.members.models import Member, Section
    from convention.texts import queries as text_queries
    from convention.texts.models import Block, BlockKind
    from seed.demo_amendments import AMENDABLE

    started = time.perf_counter()
    with app.app_context():
        from convention.conventions.models import Convention

        convention = db.session.scalars(sa.select(Convention)).first()
        text = text_queries.get_main_text(convention.id)
        version = text.current_version
        blocks = [
            b
            for b in db.session.scalars(
                sa.select(Block)
                .where(Block.version_id == version.id)
                .options(selectinload(Block.chapter))
                .order_by(Block.id)
            )
            if b.kind in AMENDABLE or b.kind == BlockKind.RECOMMENDATION
        ]
        per_chapter: dict[str, int] = {}
        for block in blocks:
            per_chapter[block.chapter.anchor] = per_chapter.get(block.chapter.anchor, 0) + 1
        busy_anchor = max(per_chapter, key=per_chapter.get)
        members = db.session.execute(
            sa.select(Member.id, Member.first_name, Member.last_name).order_by(Member.id)
        ).all()
        context = {
            "convention_id": convention.id,
            "text_id": text.id,
            "version_id": version.id,
            "width": version.line_length,
            "now": utcnow(),
            "members": [m.id for m in members],
            "names": [f"{m.first_name} {m.last_name}" for m in members],
            "sections": db.session.execute(
                sa.select(Section.id, Section.name, Section.federation_id).order_by(Section.id)
            ).all(),
        }
        rows, groups = amendment_rows(blocks, busy_anchor, total, busy, context, random.Random(seed_value))
        by_number = {row["number"]: row for row in rows}
        clusters = []
        for group in groups:
            cluster = AmendmentCluster(text_id=text.id, block_anchor=by_number[group[0]]["block_anchor"])
            clusters.append((cluster, group))
            db.session.add(cluster)
        db.session.flush()
        for cluster, group in clusters:
            for number in group:
                by_number[number]["cluster_id"] = cluster.id
        for row in rows:
            row.setdefault("cluster_id", None)
        for start in range(0, len(rows), 2000):
            db.session.execute(sa.insert(Amendment), rows[start : start + 2000])
        db.session.commit()
        print(
            f"stored {len(rows):,} amendments ({busy:,} on chapter {busy_anchor}, {per_chapter[busy_anchor]} "
            f"paragraphs), {len(groups):,} discussions communes, in {time.perf_counter() - started:.1f} s"
        )
    return busy_anchor


# --- the measures ---------------------------------------------------------------------------------------


def login(client, email: str) -> None:
    client.post("/compte/deconnexion")
    response = client.post("/compte/connexion", data={"email": email, "password": PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"login failed for {email}: {response.status_code}")


def timed(client, method: str, path: str, **kwargs) -> tuple[tuple[float, float], object]:
    """((wall ms, CPU ms of this process), response) of one request."""
    started, cpu = time.perf_counter(), time.process_time()
    response = client.open(path, method=method, **kwargs)
    return ((time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000), response


def measure_submission(app, client, busy_anchor: str, repeat: int, rng: random.Random) -> bool:
    import sqlalchemy as sa

    from convention.extensions import db
    from convention.texts.models import Block, Chapter

    with app.app_context():
        blocks = db.session.execute(
            sa.select(Block.anchor, Block.text).join(Chapter, Chapter.id == Block.chapter_id)
            .where(Chapter.anchor == busy_anchor, Block.kind.in_(["paragraph", "proposal", "list_item"]))
            .order_by(Block.id)
        ).all()  # fmt: skip
    login(client, "demo.militant@exemple.fr")
    previews, confirms = [], []
    for attempt in range(repeat + 1):
        anchor, text = rng.choice(blocks)
        edited = edited_text(rng, text) + f" (banc d'essai {attempt})"
        url = f"/amendements/nouveau?type=modifier&bloc={anchor}"
        form = {"edited": edited, "rationale": "Banc d'essai : exposé des motifs."}
        spent, response = timed(client, "POST", url, data={**form, "preview": "1"})
        page = response.get_data(as_text=True)
        key = re.search(r'name="preview_key"[^>]*value="([0-9a-f]+)"', page) or re.search(
            r'value="([0-9a-f]{32})"[^>]*name="preview_key"', page
        )
        if response.status_code != 200 or key is None:
            raise SystemExit(f"preview failed on {anchor}: {response.status_code}")
        spent_confirm, response = timed(client, "POST", url, data={**form, "preview_key": key.group(1), "confirm": "1"})
        if response.status_code != 302:
            raise SystemExit(f"confirmation failed on {anchor}: {response.status_code}")
        if attempt:  # the first one warms up
            previews.append(spent)
            confirms.append(spent_confirm)
    ok = report("submission: preview (diff + detection)", previews, f", chapter {busy_anchor}")
    return report("submission: confirm (diff + detection + store)", confirms) and ok


def measure_pages(name: str, client, paths: list[str], repeat: int) -> bool:
    client.get(paths[0])  # warm-up: templates, first queries
    timings = []
    for index in range(repeat):
        spent, response = timed(client, "GET", paths[index % len(paths)])
        if response.status_code != 200:
            raise SystemExit(f"{paths[index % len(paths)]}: {response.status_code}")
        timings.append(spent)
    return report(name, timings, f", {paths[0]}" + (" …" if len(paths) > 1 else ""))


def run(url: str, total: int, busy: int, repeat: int, members: int) -> int:
    import sqlalchemy as sa

    from config import normalise_database_url
    from convention import create_app
    from convention.amendments.models import Amendment
    from convention.domain.phases import PhaseKind
    from convention.extensions import db
    from seed.demo import seed_demo
    from seed.load import seed_convention

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=normalise_database_url(url), RATELIMIT_ENABLED=False)
    with app.app_context():
        db.drop_all()
        db.create_all()
        started = time.perf_counter()
        report_seed = seed_convention(verbose=False)
        seed_demo(members=members)
        report_seed.convention.phase_override = PhaseKind.AMENDMENTS  # amendments open today
        db.session.commit()
        print(f"seeded the convention and {members} demo members in {time.perf_counter() - started:.1f} s")
    busy_anchor = store_amendments(app, total, busy, seed_value=1)
    with app.app_context():
        pages = -(-db.session.scalar(sa.select(sa.func.count()).select_from(Amendment)) // 50)
        chapters = [busy_anchor]
    rng = random.Random(2)
    client = app.test_client()
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"\n{url.split('@')[-1]}: p95 over {repeat} requests per figure (Flask test client, in process; "
        f"load average {load} on {os.cpu_count()} CPUs)\n"
    )
    results = [measure_submission(app, client, busy_anchor, repeat, rng)]
    client.post("/compte/deconnexion")
    results.append(
        measure_pages(
            "chapter page with per-paragraph counts", client, [f"/texte/chapitre/{a}" for a in chapters], repeat
        )
    )
    login(client, "demo.comite@exemple.fr")
    results.append(
        measure_pages("review table of a chapter", client, [f"/amendements/examen/chapitre/{busy_anchor}"], repeat)
    )
    client.post("/compte/deconnexion")
    list_pages = [f"/amendements/?page={rng.randint(1, pages)}" for _ in range(repeat)]
    results.append(measure_pages("whole text's list page", client, list_pages, repeat))
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    return 0 if all(results) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--amendments", type=int, default=10_000, help="stored amendments (default 10,000)")
    parser.add_argument("--busy", type=int, default=1_000, help="of which on the busiest chapter (default 1,000)")
    parser.add_argument("--repeat", type=int, default=30, help="requests per figure (default 30)")
    parser.add_argument("--members", type=int, default=300, help="demo members (default 300)")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        return run(url, args.amendments, min(args.busy, args.amendments), args.repeat, args.members)


if __name__ == "__main__":
    raise SystemExit(main())
