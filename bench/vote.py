"""Benchmark: the members' vote — freezing the roll, casting ballots, the tally job.

    .venv/bin/python bench/vote.py                       # 100,000 members, fresh SQLite file
    .venv/bin/python bench/vote.py --members 20000 --ballots 300
    .venv/bin/python bench/vote.py --database-url postgresql://postgres@127.0.0.1:5432/convention_bench

With ``--database-url`` the tables of that (throwaway) database are dropped and created again.
Figures: ``open_poll`` (the roll frozen by one INSERT … SELECT, and the roll told), ``cast_ballot``
through the operation as a request does (one unit of work per ballot, committed), and the tally
job (``runner.run``) over the demo's bulk ballots for the rest of the roll.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--ballots", type=int, default=500, help="ballots cast through the operation")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        run(url, args.members, args.ballots)


def run(url: str, members: int, ballots: int) -> None:
    import sqlalchemy as sa

    from config import normalise_database_url
    from convention import create_app
    from convention.core.db import utcnow
    from convention.extensions import db
    from convention.members.models import Member, User
    from convention.votes import operations
    from convention.votes.models import Participation, Poll, RollEntry
    from seed.demo import seed_demo
    from seed.demo_vote import _cast_demo_ballots
    from tests.auth_fixtures import make_convention

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=normalise_database_url(url))
    with app.app_context():
        db.drop_all()
        db.create_all()
        convention = make_convention()
        seed_demo(members=members)
        db.session.commit()
        bureau = db.session.scalar(sa.select(User).where(User.email == "demo.bn@exemple.fr"))
        now = utcnow()
        poll = operations.create_poll(
            bureau,
            convention,
            operations.PollData(
                title="Banc d'essai",
                question="Approuvez-vous le texte ?",
                opens_at=now - dt.timedelta(minutes=1),
                closes_at=now + dt.timedelta(days=1),
                roll_cutoff=dt.date.today(),
            ),
        )
        operations.schedule_poll(bureau, poll, now=now - dt.timedelta(days=1))
        db.session.commit()

        start = time.perf_counter()
        operations.open_poll(bureau, poll)
        db.session.commit()
        opened = time.perf_counter() - start
        print(f"open_poll: roll of {poll.roll_size:,} members frozen and told in {opened:.2f} s")

        # Accounts for the first members of the roll, who vote through the operation.
        member_ids = db.session.scalars(
            sa.select(RollEntry.member_id).where(RollEntry.poll_id == poll.id).order_by(RollEntry.member_id)
        ).all()[:ballots]
        taken = set(db.session.scalars(sa.select(User.member_id).where(User.member_id.is_not(None))))
        emails = dict(db.session.execute(sa.select(Member.id, Member.email).where(Member.id.in_(member_ids))).all())
        db.session.execute(
            sa.insert(User),
            [
                {
                    "email": f"bench.{mid}@exemple.fr", "display_name": emails[mid], "member_id": mid,
                    "is_enabled": True, "password_hash": bureau.password_hash,  # an account that may log in
                }
                for mid in member_ids
                if mid not in taken
            ],
        )
        db.session.commit()
        users = db.session.scalars(sa.select(User).where(User.member_id.in_(member_ids))).all()
        options = [option.id for option in poll.options]
        rng = random.Random(1)
        durations = []
        for user in users:
            start = time.perf_counter()
            operations.cast_ballot(user, poll, rng.choice(options))
            db.session.commit()
            durations.append(time.perf_counter() - start)
        durations.sort()
        if durations:
            p50 = durations[len(durations) // 2] * 1000
            p95 = durations[int(len(durations) * 0.95) - 1] * 1000
            print(
                f"cast_ballot: {len(durations)} ballots, p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
                f"{len(durations) / sum(durations):,.0f} ballots/s (one committed unit of work each)"
            )

        # The rest of the roll votes in bulk (as the demo does), then the count.
        voted = set(db.session.scalars(sa.select(Participation.member_id).where(Participation.poll_id == poll.id)))
        db.session.execute(
            sa.delete(RollEntry).where(RollEntry.poll_id == poll.id, RollEntry.member_id.in_(voted))
        )  # keep the bulk writer off the members who already voted…
        bulk = _cast_demo_ballots(poll, random.Random(2), (poll.opens_at, poll.closes_at))
        for member_id in voted:  # …and put them back on the roll
            db.session.add(RollEntry(poll_id=poll.id, member_id=member_id,
                                     federation_id=db.session.get(Member, member_id).section.federation_id,
                                     section_id=db.session.get(Member, member_id).section_id))  # fmt: skip
        operations.close_poll(bureau, poll)
        db.session.commit()  # testing config: the tally runs inline here; it is timed again below
        start = time.perf_counter()
        operations.relaunch_tally(bureau, db.session.get(Poll, poll.id))
        db.session.commit()
        tally = time.perf_counter() - start
        total = db.session.scalar(sa.select(sa.func.count()).select_from(Participation))
        print(f"tally job: {total:,} ballots ({bulk:,} written in bulk) counted per federation in {tally:.2f} s")
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


if __name__ == "__main__":
    main()
