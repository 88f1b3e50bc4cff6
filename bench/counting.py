"""Benchmark: counting 50,000 ballots by the Schulze method and by majority judgment (5 options each).

    .venv/bin/python bench/counting.py                    # 50,000 ballots, 5 options
    .venv/bin/python bench/counting.py --ballots 200000 --options 8 --seed 7

The pure counting code only (``convention.domain.counting``: no database). For each method,
``--ballots`` random ballots (Schulze: a random order of a random number of the options, ties
now and then, 2 % blank; majority judgment: a grade for every option, some left out — they
get « À rejeter » —, 2 % blank) are counted twice, and each is timed:

- ``add_ballot`` once per ballot, then ``decide`` — as the tally job does from the ballot box;
- ``count_spec`` of the same ballots as a ``flask polls count`` file (JSON text parsed, every
  ballot checked, counted, decided, the decision written in words).

Each figure is printed beside its target (5 s) with OK or MISS, judged on wall-clock time.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_S = 5.0


def schulze_ballots(options: list[str], count: int, rng: random.Random) -> list[dict[str, Any]]:
    ballots: list[dict[str, Any]] = []
    for _ in range(count):
        if rng.random() < 0.02:
            ballots.append({"ranking": []})
            continue
        order = rng.sample(options, rng.randint(1, len(options)))
        ranking: list[Any] = []
        for name in order:
            if ranking and rng.random() < 0.1:
                last = ranking[-1]
                ranking[-1] = [*last, name] if isinstance(last, list) else [last, name]
            else:
                ranking.append(name)
        ballots.append({"ranking": ranking})
    return ballots


def majority_judgment_ballots(options: list[str], grades: tuple[str, ...], count: int, rng: random.Random):
    ballots: list[dict[str, Any]] = []
    for _ in range(count):
        if rng.random() < 0.02:
            ballots.append({"choice": "blank"})
            continue
        ballots.append({"grades": {o: rng.choice(grades) for o in options if rng.random() < 0.95}})
    return ballots


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = action()
    return time.perf_counter() - start, value


def report(label: str, seconds: float) -> bool:
    ok = seconds < TARGET_S
    print(f"  {label:<58} {seconds:7.3f} s   target < {TARGET_S:.0f} s   {'OK' if ok else 'MISS'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=50_000)
    parser.add_argument("--options", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args()

    from convention.domain.counting import DEFAULT_GRADES, Question, Tally, VoteMethod, count_spec, decide

    rng = random.Random(args.seed)
    options = [f"Option {chr(ord('A') + i)}" for i in range(args.options)]
    cases = [
        (VoteMethod.SCHULZE, schulze_ballots(options, args.ballots, rng)),
        (VoteMethod.MAJORITY_JUDGMENT, majority_judgment_ballots(options, DEFAULT_GRADES, args.ballots, rng)),
    ]
    print(f"Counting {args.ballots:,} ballots, {args.options} options (seed {args.seed})")
    all_ok = True
    for method, ballots in cases:
        question = Question(method, tuple(options))
        print(f"{method.value}:")

        def by_ballot(question=question, ballots=ballots) -> dict[str, Any]:
            tally = Tally.empty(question)
            for ballot in ballots:
                tally.add_ballot(**ballot)
            return decide(question, tally)

        seconds, result = timed(by_ballot)
        all_ok &= report("add_ballot × n, then decide", seconds)
        text = json.dumps({"method": method.value, "options": options, "ballots": ballots}, ensure_ascii=False)

        def from_file(text=text) -> dict[str, Any]:
            from convention.votes.cli import read_spec

            return count_spec(read_spec(text))

        seconds, spec_result = timed(from_file)
        all_ok &= report(f"flask polls count of the file ({len(text) / 1e6:.1f} MB of JSON)", seconds)
        assert spec_result["ranking"] == result["ranking"], "the two ways of counting disagree"
        print(f"  ranking: {result['ranking']}; winner: {result['winner']}")
        print(f"  {spec_result['decision']}")
    print("all within target" if all_ok else "SOME FIGURES MISS THEIR TARGET")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
