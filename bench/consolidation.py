"""Benchmark: consolidating the text — adopted amendments into version 2, pending ones re-anchored, the diff page.

    .venv/bin/python bench/consolidation.py                   # 2,000 adopted + 5,000 pending, fresh SQLite file
    .venv/bin/python bench/consolidation.py --profile         # and cProfile's top entries of the operation
    .venv/bin/python bench/consolidation.py --database-url postgresql://postgres@127.0.0.1:5432/convention_bench_consol

With ``--database-url`` the tables of that (throwaway) database are dropped and created again.
The seeded convention text (version 1) gets ``--adopted`` adopted amendments spread over the
whole text — at most ``--per-block`` per paragraph, never two on the same passage (no conflict:
disjoint spans, one insertion per paragraph, a whole-paragraph deletion alone), one in ten
« adopté modifié » with a new wording — and ``--pending`` amendments still waiting for a
decision (submitted or admissible), anywhere, some on passages the adopted ones change. Each is
computed with the domain functions (change, lines, citation) and inserted in bulk; the search
index is then rebuilt, as it would be in production. Then:

- the pure part, ``convention.domain.consolidation.consolidate`` (median of 5 runs), and the pure
  re-anchoring ``reanchor_all`` of the pending amendments on its result;
- the real operation ``consolidate_text_version(actor, version)`` (median of ``--runs``) with the pending amendments
  hidden (flagged « à redéposer » in the same uncommitted transaction, rolled back after): the
  consolidation alone, target < 2 s (issue « Amendments II », §5);
- the operation again with the 5,000 pending amendments, then the commit: the re-anchoring step
  (``_reanchor_pending``: find each passage again, new span, lines and citation, notify the authors
  of the orphaned ones, re-index each) is timed inside it, target < 5 s; the difference between
  the two runs is printed too;
- the difference page of the biggest chapter between versions 1 and 2
  (``/texte/versions/difference?de=1&a=2&chapitre=…``), p95 over ``--repeat`` GETs through Flask's
  test client, target < 200 ms (or « not available » if the route is missing).

Each figure is printed beside its target with OK or MISS, judged on wall-clock time, with the CPU
time of this process beside it (with PostgreSQL it leaves out the server's work) and the load
average; the time of each stage of the operation is printed under it.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGETS_S = {
    "consolidation: the pure part (domain consolidate)": 2.0,
    "consolidation: the operation (no pending amendment)": 2.0,
    "re-anchoring: the step inside the operation": 5.0,
    "re-anchoring: the pure part (domain reanchor_all)": 5.0,
}
DIFF_TARGET_MS = 200
WORDS = (
    "renforcer", "garantir", "les élus locaux", "la prévention", "durablement", "dans chaque département",
    "avec les associations", "la médiation sociale", "publique", "systématiquement", "évaluée",
    "les habitants", "de proximité", "les moyens nécessaires", "en lien avec les maires", "nationale",
)  # fmt: skip
PASSWORD = "demo-convention-2025"
COMMITTEE = "demo.comite@exemple.fr"


def p95(timings: list[float]) -> float:
    if len(timings) < 2:
        return timings[0]
    return statistics.quantiles(timings, n=20, method="inclusive")[18]


def load_average() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def report(name: str, wall: float, cpu: float, detail: str = "") -> bool:
    """Print a duration (seconds) against its target; the CPU time of this process beside it."""
    target = TARGETS_S[name]
    verdict = "OK" if wall < target else "MISS"
    print(f"{name}: {wall:.2f} s (target < {target:g} s) {verdict}, CPU {cpu:.2f} s{detail}")
    return wall < target


@contextmanager
def clock():
    """Yield a dict that gets ``wall`` and ``cpu`` (seconds) when the block ends."""
    spent: dict[str, float] = {}
    started, cpu = time.perf_counter(), time.process_time()
    try:
        yield spent
    finally:
        spent["wall"], spent["cpu"] = time.perf_counter() - started, time.process_time() - cpu


class Stages:
    """Time spent in some functions the operation calls (wrapped by module attribute, restored after)."""

    def __init__(self, targets: list[tuple[object, str, str]]) -> None:
        self.targets = targets  # (module, attribute, label)
        self.spent: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.saved: list[tuple[object, str, object]] = []

    def __enter__(self) -> Stages:
        for module, name, label in self.targets:
            original = getattr(module, name)
            self.saved.append((module, name, original))
            setattr(module, name, self._wrap(original, label))
        return self

    def __exit__(self, *exc) -> None:
        for module, name, original in reversed(self.saved):
            setattr(module, name, original)

    def _wrap(self, function, label: str):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.spent[label] += time.perf_counter() - started
                self.calls[label] += 1

        return timed

    def lines(self) -> list[str]:
        return [
            f"    {label}: {self.spent[label]:.2f} s"
            + (f" ({self.calls[label]:,} calls)" if self.calls[label] > 1 else "")
            for _, _, label in self.targets
            if label in self.spent
        ]


def stages() -> Stages:
    from convention.amendments import consolidation as operation
    from convention.search import indexing

    return Stages(
        [
            (operation, "adopted_amendments", "read the adopted amendments"),
            (operation, "_source_blocks", "read the blocks of version N"),
            (operation, "_used_anchors", "read the anchors ever used"),
            (operation, "consolidate", "domain consolidate"),
            (operation, "_write_version", "write version N+1 (parts, chapters, blocks, proposals)"),
            (operation, "_record_changes", "record block_amendment rows"),
            (operation, "_reanchor_pending", "re-anchor the pending amendments (whole step)"),
            (operation, "pending_amendments", "  read the pending amendments"),
            (operation, "reanchor_all", "  domain reanchor_all"),
            (operation, "_move_pending", "  move them or mark them « à redéposer »"),
            (operation, "authors_of_many", "  find the authors of the orphaned ones"),
            (operation, "notify_each", "  notify them (in bulk)"),
            (indexing, "index_amendments", "  re-index the amendments (in bulk)"),
            (operation, "notify_text_version", "notify every account of the new version"),
            (indexing, "index_text", "re-index the text"),
        ]
    )


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


def random_change(rng: random.Random, text: str, deletions: float, insertions: float):
    from convention.domain import amendments as domain

    draw = rng.random()
    if draw < deletions:
        return domain.delete_block(text)
    if draw < deletions + insertions:
        return domain.insert_after(text, f"{rng.choice(WORDS).capitalize()} : {text[:120]}")
    return domain.compute_change(text, edited_text(rng, text))


def adopted_changes(blocks, total: int, per_block: int, rng: random.Random) -> list[tuple[object, object]]:
    """``total`` (block, change) pairs spread over ``blocks``, no two of them conflicting."""
    from convention.domain import amendments as domain
    from convention.domain.errors import DomainError

    accepted: dict[str, list] = defaultdict(list)  # block anchor → its changes' anchors
    chosen = []
    attempts = 0
    while len(chosen) < total:
        attempts += 1
        if attempts > total * 200:
            raise SystemExit(f"could only place {len(chosen)} non-conflicting adopted amendments")
        block = rng.choice(blocks)
        mine = accepted[block.anchor]
        if len(mine) >= per_block:
            continue
        try:
            change = random_change(rng, block.text, deletions=0.02, insertions=0.08)
        except DomainError:
            continue
        candidate = domain.anchor_of(-1, block.anchor, change)
        if domain.conflicts([candidate, *mine]):
            continue
        mine.append(domain.anchor_of(len(chosen) + 1, block.anchor, change))
        chosen.append((block, change))
    return chosen


def pending_changes(blocks, total: int, rng: random.Random) -> list[tuple[object, object]]:
    from convention.domain.errors import DomainError

    chosen = []
    while len(chosen) < total:
        block = rng.choice(blocks)
        try:
            chosen.append((block, random_change(rng, block.text, deletions=0.08, insertions=0.10)))
        except DomainError:
            continue
    return chosen


def store_amendments(app, adopted: int, pending: int, per_block: int, seed_value: int) -> None:
    """Insert the adopted and pending amendments in bulk on version 1, then rebuild the search index."""
    import sqlalchemy as sa
    from sqlalchemy.orm import selectinload

    from convention.amendments.models import Amendment
    from convention.conventions.models import Convention
    from convention.core.db import utcnow
    from convention.domain import amendments as domain
    from convention.domain.amendments import AmendmentKind, AmendmentStatus
    from convention.extensions import db
    from convention.members.models import Member, Section
    from convention.search.indexing import rebuild_index
    from convention.texts import queries as text_queries
    from convention.texts.models import Block, BlockKind
    from seed.demo_amendments import AMENDABLE

    rng = random.Random(seed_value)
    started = time.perf_counter()
    with app.app_context():
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
        members = db.session.execute(
            sa.select(Member.id, Member.first_name, Member.last_name).order_by(Member.id)
        ).all()
        sections = db.session.execute(
            sa.select(Section.id, Section.name, Section.federation_id).order_by(Section.id)
        ).all()
        now = utcnow()
        width = version.line_length

        def row(number: int, block, change, status, modified: str = "") -> dict:
            first, last = domain.span_lines(block.text, width, block.line_start, change.start, change.end)
            unit = rng.random() < 0.3
            section = rng.choice(sections)
            member = rng.randrange(len(members))
            return {
                "convention_id": convention.id,
                "text_id": text.id,
                "number": number,
                "version_id": version.id,
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
                "author_name": f"Section {section[1]}" if unit else f"{members[member][1]} {members[member][2]}",
                "author_member_id": None if unit else members[member][0],
                "section_id": section[0] if unit else None,
                "federation_id": section[2] if unit else None,
                "status": status,
                "cosignature_count": 0 if unit else rng.randint(0, 12),
                "submitted_dt": now,
                "is_synthesis": False,
                "modified_replacement": modified,
                "decided_dt": now if status in domain.ADOPTED_STATUSES else None,
            }

        rows = []
        touched: set[str] = set()
        for block, change in adopted_changes(blocks, adopted, per_block, rng):
            touched.add(block.anchor)
            if rng.random() < 0.1:  # adopted as modified, with its own wording
                wording = (
                    f"{rng.choice(WORDS).capitalize()} : {rng.choice(WORDS)}."
                    if change.kind == AmendmentKind.INSERT
                    else " ".join(rng.sample(WORDS, 2))
                )
                rows.append(row(len(rows) + 1, block, change, AmendmentStatus.ADOPTED_MODIFIED, wording))
            else:
                rows.append(row(len(rows) + 1, block, change, AmendmentStatus.ADOPTED))
        for block, change in pending_changes(blocks, pending, rng):
            status = AmendmentStatus.SUBMITTED if rng.random() < 0.8 else AmendmentStatus.ADMISSIBLE
            rows.append(row(len(rows) + 1, block, change, status))
        for start in range(0, len(rows), 2000):
            db.session.execute(sa.insert(Amendment), rows[start : start + 2000])
        db.session.commit()
        stored = time.perf_counter() - started
        documents = rebuild_index(convention.id)
        db.session.commit()
        print(
            f"stored {adopted:,} adopted amendments on {len(touched)} of the {len(blocks)} amendable paragraphs "
            f"(at most {per_block} each) and {pending:,} pending ones in {stored:.1f} s; search index rebuilt "
            f"({documents:,} documents) in {time.perf_counter() - started - stored:.1f} s"
        )


# --- the measures ---------------------------------------------------------------------------------------


def pure_parts(app) -> bool:
    """The domain functions alone, on inputs read beforehand."""
    import sqlalchemy as sa

    from convention.amendments import consolidation as operation
    from convention.conventions.models import Convention
    from convention.domain.consolidation import consolidate, reanchor_all
    from convention.extensions import db
    from convention.texts import queries as text_queries
    from convention.versions.queries import source_blocks

    with app.app_context():
        convention = db.session.scalars(sa.select(Convention)).first()
        text = text_queries.get_main_text(convention.id)
        version = text.current_version
        sources = source_blocks(version.id)
        changes = [operation.adopted_change(a) for a in operation.adopted_amendments(version)]
        used = operation._used_anchors(text.id)
        quotes = [operation._quote(a) for a in operation.pending_amendments(version)]
        runs, cpus = [], []
        for _ in range(5):
            with clock() as spent:
                result = consolidate(sources, changes, used)
            runs.append(spent["wall"])
            cpus.append(spent["cpu"])
        ok = report(
            "consolidation: the pure part (domain consolidate)",
            statistics.median(runs),
            statistics.median(cpus),
            f", median of 5 (best {min(runs):.3f} s), {len(changes):,} changes on {len(sources)} blocks",
        )
        runs, cpus = [], []
        for _ in range(3):
            with clock() as spent:
                places = reanchor_all(quotes, list(result.blocks))
            runs.append(spent["wall"])
            cpus.append(spent["cpu"])
        found = sum(1 for place in places if place.found)
        ok = (
            report(
                "re-anchoring: the pure part (domain reanchor_all)",
                statistics.median(runs),
                statistics.median(cpus),
                f", median of 3, {len(quotes):,} pending: {found:,} found again, {len(quotes) - found:,} not",
            )
            and ok
        )
        db.session.rollback()
    return ok


def committee_and_version(app):
    import sqlalchemy as sa

    from convention.conventions.models import Convention
    from convention.extensions import db
    from convention.members.models import User
    from convention.texts import queries as text_queries

    convention = db.session.scalars(sa.select(Convention)).first()
    actor = db.session.scalar(sa.select(User).where(User.email == COMMITTEE))
    return actor, text_queries.get_main_text(convention.id).current_version


def hide_pending(version) -> int:
    """Flag the pending amendments of ``version`` « à redéposer » (not committed): the operation skips them."""
    import sqlalchemy as sa

    from convention.amendments.models import Amendment
    from convention.domain.amendments import OPEN_STATUSES
    from convention.extensions import db

    hidden = db.session.execute(
        sa.update(Amendment)
        .where(Amendment.version_id == version.id, Amendment.status.in_(OPEN_STATUSES))
        .values(is_orphaned=True)
    ).rowcount
    db.session.expire_all()
    return hidden


def operation_without_pending(app, runs: int, profile: bool) -> tuple[bool, float]:
    """The operation with the pending amendments hidden (flagged orphaned, uncommitted), rolled back."""
    from convention.amendments.consolidation import consolidate_text_version
    from convention.extensions import db

    walls, cpus = [], []
    with app.app_context():
        for _ in range(runs):
            actor, version = committee_and_version(app)
            hidden = hide_pending(version)
            with stages() as watch, clock() as spent:
                outcome = consolidate_text_version(actor, version)
            moved, adopted = len(outcome.moved), len(outcome.adopted)
            db.session.rollback()
            walls.append(spent["wall"])
            cpus.append(spent["cpu"])
        if profile:
            actor, version = committee_and_version(app)
            hide_pending(version)
            profiled(lambda: consolidate_text_version(actor, version), "the operation, no pending amendment")
            db.session.rollback()
    wall = statistics.median(walls)
    ok = report(
        "consolidation: the operation (no pending amendment)",
        wall,
        statistics.median(cpus),
        f", median of {runs} runs (first, cold: {walls[0]:.2f} s; all: {', '.join(f'{w:.2f}' for w in walls)}), "
        f"{adopted:,} adopted, {hidden:,} pending hidden ({moved} moved), flushed, rolled back",
    )
    print("  stages of the last run:")
    print("\n".join(watch.lines()))
    return ok, wall


def operation_with_pending(app, without: float, profile: bool) -> tuple[bool, object]:
    """The operation with the pending amendments, committed: version 2 stays for the diff page."""
    from convention.amendments.consolidation import consolidate_text_version
    from convention.extensions import db

    with app.app_context():
        if profile:
            profiled(
                lambda: consolidate_text_version(*committee_and_version(app)),
                "the operation with the pending amendments",
            )
            db.session.rollback()
        actor, version = committee_and_version(app)
        with stages() as watch, clock() as spent:
            outcome = consolidate_text_version(actor, version)
        with clock() as committed:
            db.session.commit()
        counts = {
            "number": outcome.version.number,
            "adopted": len(outcome.adopted),
            "modified": outcome.modified,
            "inserted": outcome.inserted,
            "deleted": outcome.deleted,
            "moved": len(outcome.moved),
            "orphaned": len(outcome.orphaned),
        }
    step = watch.spent["re-anchor the pending amendments (whole step)"]
    print(
        f"the operation with the pending amendments: {spent['wall']:.2f} s, CPU {spent['cpu']:.2f} s "
        f"(+ commit {committed['wall']:.2f} s); without them {without:.2f} s: "
        f"difference {spent['wall'] - without:.2f} s"
    )
    ok = report(
        "re-anchoring: the step inside the operation",
        step,
        spent["cpu"] * step / spent["wall"] if spent["wall"] else 0.0,
        f" (CPU prorated), {counts['moved'] + counts['orphaned']:,} pending: {counts['moved']:,} moved, "
        f"{counts['orphaned']:,} orphaned",
    )
    print("  stages:")
    print("\n".join(watch.lines()))
    print(
        f"version {counts['number']} written: {counts['adopted']:,} adopted amendments — blocks changed "
        f"{counts['modified']:,}, inserted {counts['inserted']:,}, deleted {counts['deleted']:,}; pending amendments "
        f"moved {counts['moved']:,}, orphaned (« à redéposer ») {counts['orphaned']:,}"
    )
    return ok, counts


def profiled(call, title: str, top: int = 25) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    call()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative")
    stats.print_stats(top)
    print(f"\n--- cProfile, {title} (top {top} by cumulative time) ---")
    print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:12000])
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime").print_stats(15)
    print(f"--- cProfile, {title} (top 15 by own time) ---")
    print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:8000])
    print("---\n")


def diff_page(app, repeat: int, profile: bool) -> bool:
    import sqlalchemy as sa

    from convention.extensions import db
    from convention.texts.models import Block, Chapter, TextVersion

    if "versions.difference" not in app.view_functions:
        print("diff page: not available (route missing)")
        return True
    with app.app_context():
        rows = db.session.execute(
            sa.select(Chapter.anchor, sa.func.count(Block.id))
            .join(Block, Block.chapter_id == Chapter.id)
            .join(TextVersion, TextVersion.id == Chapter.version_id)
            .where(TextVersion.number == 1)
            .group_by(Chapter.anchor)
        ).all()
    anchor, size = max(rows, key=lambda r: r[1])
    path = f"/texte/versions/difference?de=1&a=2&chapitre={anchor}"
    client = app.test_client()
    response = client.get(path)  # warm-up: templates, first queries
    if response.status_code != 200:
        raise SystemExit(f"{path}: {response.status_code}")
    walls, cpus = [], []
    for _ in range(repeat):
        with clock() as spent:
            response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code}")
        walls.append(spent["wall"] * 1000)
        cpus.append(spent["cpu"] * 1000)
    if profile:
        profiled(lambda: client.get(path), "one GET of the diff page")
    value = p95(walls)
    verdict = "OK" if value < DIFF_TARGET_MS else "MISS"
    print(
        f"diff page of the biggest chapter, versions 1 → 2: p95 {value:.1f} ms (target < {DIFF_TARGET_MS} ms) "
        f"{verdict}, median {statistics.median(walls):.1f} ms, CPU p95 {p95(cpus):.1f} ms, {repeat} requests, "
        f"{path} ({size} paragraphs, {len(response.get_data()) // 1024} KiB)"
    )
    return value < DIFF_TARGET_MS


def run(
    url: str, adopted: int, pending: int, per_block: int, repeat: int, members: int, runs: int, profile: bool
) -> int:
    from config import normalise_database_url
    from convention import create_app
    from convention.extensions import db
    from seed.demo import seed_demo
    from seed.load import seed_convention

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=normalise_database_url(url), RATELIMIT_ENABLED=False)
    with app.app_context():
        db.drop_all()
        db.create_all()
        started = time.perf_counter()
        seed_convention(verbose=False)
        seed_demo(members=members)
        db.session.commit()
        print(f"seeded the convention and {members} demo members in {time.perf_counter() - started:.1f} s")
    store_amendments(app, adopted, pending, per_block, seed_value=1)
    print(
        f"\n{url.split('@')[-1]}: wall-clock time judged against the targets, CPU time of this process beside it "
        f"(load average {load_average()} on {os.cpu_count()} CPUs)\n"
    )
    results = [pure_parts(app)]
    ok, without = operation_without_pending(app, runs, profile)
    results.append(ok)
    ok, _ = operation_with_pending(app, without, profile)
    results.append(ok)
    results.append(diff_page(app, repeat, profile))
    print(f"\nload average at the end: {load_average()}")
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    return 0 if all(results) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adopted", type=int, default=2_000, help="adopted amendments (default 2,000)")
    parser.add_argument("--pending", type=int, default=5_000, help="pending amendments (default 5,000)")
    parser.add_argument("--per-block", type=int, default=6, help="adopted amendments per paragraph at most (6)")
    parser.add_argument("--repeat", type=int, default=30, help="GETs of the diff page (default 30)")
    parser.add_argument("--runs", type=int, default=3, help="runs of the operation without pending (median; 3)")
    parser.add_argument("--members", type=int, default=300, help="demo members (default 300)")
    parser.add_argument(
        "--profile", action="store_true", help="also profile the operation (runs rolled back) and one diff GET"
    )
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        return run(url, args.adopted, args.pending, args.per_block, args.repeat, args.members, args.runs, args.profile)


if __name__ == "__main__":
    raise SystemExit(main())
