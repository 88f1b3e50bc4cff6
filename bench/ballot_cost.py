"""Benchmark: what one ballot costs the application, away from the noise of a shared machine.

    .venv/bin/python bench/vote_load.py --keep --duration 10     # once: a database with an open poll
    .venv/bin/python bench/ballot_cost.py                        # CPU time per request, in this process
    .venv/bin/python bench/ballot_cost.py --callgrind            # instructions per ballot (valgrind)
    .venv/bin/python bench/ballot_cost.py --profile 40           # where the time goes (cProfile)

``bench/vote_load.py`` measures ballots per second through gunicorn, which on a shared 2-core
machine moves with whatever else the machine does (the same code gave from 110 to 185 ballots/s
on different days). This script runs the same flow in one process, through the application's WSGI
entry (Flask's test client, the production configuration, the PostgreSQL database that
``vote_load.py --keep`` left): for each of ``--ballots`` members who have not voted, the booth
page (GET) and the cast (POST, ``confirmed=1``, as static/js/ballot.js posts it), checking that a
receipt comes back. It prints the CPU time of each request (medians), and with ``--callgrind``
re-runs itself under ``valgrind --tool=callgrind`` with the instrumentation on only while the
timed ballots are cast: the count of instructions per ballot is the same from one run to the next
(±0.2 %), whatever the machine is doing, so a change to the hot path can be measured by it.
PostgreSQL's own work is not counted (another process); vote_load.py prints it.

The members vote for real: each run uses ``--ballots`` + ``--warm-up`` members of the poll.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import vote_load  # noqa: E402  (the set-up, the session minter and the form reader are shared)

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
BASE_URL = "http://127.0.0.1:8765"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="convention_bench", help="the database vote_load.py --keep left")
    parser.add_argument("--ballots", type=int, default=200)
    parser.add_argument("--warm-up", type=int, default=20)
    parser.add_argument("--callgrind", action="store_true", help="count instructions per ballot under valgrind")
    parser.add_argument("--profile", type=int, metavar="N", help="print the N costliest functions (cProfile)")
    parser.add_argument("--callers", metavar="PATTERN", help="with --profile: who calls the functions matching it")
    args = parser.parse_args()
    if args.callgrind and not os.environ.get("BALLOT_COST_UNDER_VALGRIND"):
        sys.exit(run_under_callgrind(args))
    measure(args)


def run_under_callgrind(args) -> int:
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 1
    output = Path(os.environ.get("TMPDIR", "/tmp")) / f"ballot-cost-{os.getpid()}.callgrind"
    command = [valgrind, "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={output}",
               sys.executable, __file__, *sys.argv[1:]]  # fmt: skip
    env = dict(os.environ, BALLOT_COST_UNDER_VALGRIND="1")
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    print(done.stdout, end="")
    collected = re.search(r"Collected : (\d+)", done.stderr)
    output.unlink(missing_ok=True)
    if done.returncode or collected is None:
        print(done.stderr[-3000:], file=sys.stderr)
        return done.returncode or 1
    per_ballot = int(collected.group(1)) / args.ballots
    print(f"instructions per ballot (booth page + cast, in the application's process): {per_ballot / 1e6:.2f} M")
    return 0


def callgrind_instrumentation(on: bool) -> None:
    if os.environ.get("BALLOT_COST_UNDER_VALGRIND"):
        subprocess.run(["callgrind_control", "-i", "on" if on else "off", str(os.getpid())],
                       check=True, capture_output=True)  # fmt: skip


def measure(args) -> None:
    from types import SimpleNamespace

    from werkzeug.datastructures import MultiDict

    database_url = f"{args.server}/{args.database}"
    env = vote_load.server_env(
        SimpleNamespace(port=8765, redis="memory://"), database_url, vote_load.secrets.token_hex(32), "ballot-cost"
    )
    env.update(CELERY_BROKER_URL="memory://", RATELIMIT_STORAGE_URI="memory://")
    os.environ.update(env)
    setup = vote_load.reuse(SimpleNamespace(server=args.server, database=args.database), database_url)
    needed = args.ballots + args.warm_up
    if len(setup.voters) < needed:
        sys.exit(f"only {len(setup.voters)} members left to vote: run vote_load.py --keep again")
    mint = vote_load.session_minter(env)

    from convention import create_app

    app = create_app("production")
    cookie = app.config["SESSION_COOKIE_NAME"]
    headers = {"User-Agent": vote_load.USER_AGENT, "Referer": f"{BASE_URL}/"}
    costs: dict[str, list[float]] = {"GET booth": [], "POST cast": []}
    form_fields: list = []

    def vote(user_id: int, generation: int) -> None:
        client = app.test_client()
        client.set_cookie(cookie, mint(user_id, generation)[cookie], domain="127.0.0.1")
        start = time.process_time()
        page = client.get(f"/vote/{setup.poll_id}", base_url=BASE_URL, headers=headers)
        costs["GET booth"].append(time.process_time() - start)
        text = page.get_data(as_text=True)
        if not form_fields:  # the same form for every member but the CSRF token
            form = vote_load.find_form(text, vote_load.is_ballot_form)
            if form is None:
                sys.exit(f"no ballot form on the poll page ({page.status_code})")
            form_fields.extend(form.with_value("confirmed", "1").fields)
            form_fields.append(("__action__", form.action))
        token = TOKEN.search(text).group(1)
        fields = [(k, token if k == "csrf_token" else v) for k, v in form_fields if k != "__action__"]
        action = dict(form_fields)["__action__"]
        start = time.process_time()
        receipt = client.post(action, data=MultiDict(fields), base_url=BASE_URL, headers=headers)
        costs["POST cast"].append(time.process_time() - start)
        if receipt.status_code != 200 or b"receipt-code" not in receipt.data:
            sys.exit(f"the cast gave no receipt ({receipt.status_code})")

    voters = setup.voters[:needed]
    for user_id, generation, _ in voters[: args.warm_up]:
        vote(user_id, generation)
    costs = {name: [] for name in costs}
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile(time.process_time)  # CPU time: the waits for PostgreSQL do not count
        profiler.enable()
    callgrind_instrumentation(True)
    for user_id, generation, _ in voters[args.warm_up :]:
        vote(user_id, generation)
    callgrind_instrumentation(False)
    if profiler is not None:
        import pstats

        profiler.disable()
        stats = pstats.Stats(profiler).strip_dirs()
        stats.sort_stats("tottime").print_stats(args.profile)
        stats.sort_stats("cumulative").print_stats(args.profile)
        if args.callers:
            stats.print_callers(args.callers)
    print(f"ballot_cost: {args.ballots} ballots in one process (poll {setup.poll_id}, {args.database})")
    for name, values in costs.items():
        print(f"  {name:<10} CPU median {statistics.median(values) * 1000:6.2f} ms   mean "
              f"{statistics.fmean(values) * 1000:6.2f} ms")  # fmt: skip
    total = sum(statistics.median(values) for values in costs.values())
    print(f"  ballot     CPU median {total * 1000:6.2f} ms (under valgrind: many times slower, see the count)")


if __name__ == "__main__":
    main()
