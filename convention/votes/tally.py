"""The count (dépouillement) as a job: votes per federation and option, then the national total.

Idempotent: a run replaces the poll's results in the same transaction that marks it
tallied, so a run that dies half-way leaves the previous results (or none) and the poll
closed. The progress reports commit only the job's row.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from convention.core.db import db
from convention.domain.polls import TALLY_STATES, add_counts, percent
from convention.jobs.models import Job, JobKind
from convention.jobs.runner import JobFailed, Progress, handler
from convention.members.models import Federation
from convention.votes.models import Ballot, Participation, Poll, PollTurnout, RollEntry
from convention.votes.operations import mark_tallied, poll_url


def french_number(value: float) -> str:
    """« 42,50 »."""
    return f"{value:.2f}".replace(".", ",")


def _count(query) -> int:
    return db.session.scalar(query) or 0


@handler(JobKind.TALLY)
def run_tally(job: Job, progress: Progress) -> dict[str, Any]:
    poll_id = (job.params or {}).get("poll_id")
    poll = db.session.get(Poll, poll_id) if isinstance(poll_id, int) else None
    if poll is None:
        raise JobFailed("Ce scrutin n'existe plus.")
    if poll.state not in TALLY_STATES:
        raise JobFailed(
            "Le dépouillement n'est possible qu'une fois le scrutin clos et avant la proclamation des résultats "
            f"(état actuel : {poll.state_label.lower()})."
        )
    progress(2, "Contrôle de l'urne…")
    ballots = _count(sa.select(sa.func.count()).select_from(Ballot).where(Ballot.poll_id == poll.id))
    voters = _count(sa.select(sa.func.count()).select_from(Participation).where(Participation.poll_id == poll.id))
    if ballots != voters:
        raise JobFailed(
            f"L'urne contient {ballots} bulletin(s) mais la liste d'émargement compte {voters} votant(s) : "
            "le dépouillement est arrêté et aucun résultat n'est enregistré. Prévenez l'équipe technique.",
            [f"Bulletins dans l'urne : {ballots}", f"Émargements : {voters}"],
        )
    option_ids = {o.id for o in poll.options}
    federation_ids = sorted(
        set(db.session.scalars(sa.select(RollEntry.federation_id).where(RollEntry.poll_id == poll.id).distinct()))
        | set(db.session.scalars(sa.select(Ballot.federation_id).where(Ballot.poll_id == poll.id).distinct()))
    )
    names = dict(
        db.session.execute(sa.select(Federation.id, Federation.title).where(Federation.id.in_(federation_ids))).all()
    )
    per_federation: dict[int, dict[int, int]] = {}
    turnout: dict[int, tuple[int, int]] = {}
    total = max(1, len(federation_ids))
    for index, federation_id in enumerate(federation_ids):
        progress(5 + 85 * index / total, f"Dépouillement : {names.get(federation_id, federation_id)}…")
        counts = dict(
            db.session.execute(
                sa.select(Ballot.option_id, sa.func.count())
                .where(Ballot.poll_id == poll.id, Ballot.federation_id == federation_id)
                .group_by(Ballot.option_id)
            ).all()
        )
        unknown = set(counts) - option_ids
        if unknown:
            raise JobFailed("Des bulletins portent un choix qui n'appartient pas au scrutin : dépouillement arrêté.")
        per_federation[federation_id] = counts
        registered = _count(
            sa.select(sa.func.count())
            .select_from(RollEntry)
            .where(RollEntry.poll_id == poll.id, RollEntry.federation_id == federation_id)
        )
        fed_voters = _count(
            sa.select(sa.func.count())
            .select_from(Participation)
            .join(
                RollEntry,
                sa.and_(RollEntry.poll_id == Participation.poll_id, RollEntry.member_id == Participation.member_id),
            )
            .where(Participation.poll_id == poll.id, RollEntry.federation_id == federation_id)
        )
        turnout[federation_id] = (registered, fed_voters)
    progress(92, "Totaux nationaux…")
    national = add_counts(per_federation.values())
    if sum(national.values()) != ballots:
        raise JobFailed("La somme des résultats par fédération ne correspond pas au nombre de bulletins.")
    registered_total = _count(sa.select(sa.func.count()).select_from(RollEntry).where(RollEntry.poll_id == poll.id))

    # Replace the results and mark the poll tallied in one unit of work, the poll's row locked
    # (a proclamation or another count waits for it, then sees what this one did).
    state = db.session.scalar(sa.select(Poll.state).where(Poll.id == poll.id).with_for_update())
    if state not in TALLY_STATES:
        raise JobFailed(
            "Les résultats ont été proclamés pendant ce dépouillement : ils ne sont pas remplacés.",
        )
    db.session.execute(sa.delete(PollResult).where(PollResult.poll_id == poll.id))
    db.session.execute(sa.delete(PollTurnout).where(PollTurnout.poll_id == poll.id))
    rows = [
        {"poll_id": poll.id, "federation_id": federation_id, "option_id": option_id, "votes": counts.get(option_id, 0)}
        for federation_id, counts in [*per_federation.items(), (None, national)]
        for option_id in sorted(option_ids)
    ]
    if rows:
        db.session.execute(sa.insert(PollResult), rows)
    turnout_rows = [
        {"poll_id": poll.id, "federation_id": federation_id, "registered": registered, "voters": fed_voters}
        for federation_id, (registered, fed_voters) in turnout.items()
    ] + [{"poll_id": poll.id, "federation_id": None, "registered": registered_total, "voters": voters}]
    db.session.execute(sa.insert(PollTurnout), turnout_rows)
    mark_tallied(poll)  # committed by the runner with the job's success
    return {
        "lines": [
            f"Dépouillement terminé : {ballots} bulletin(s) dans {len(per_federation)} fédération(s).",
            f"Inscrits : {registered_total} ; votants : {voters} ; participation : "
            f"{french_number(percent(voters, registered_total))} %.",
            "Les résultats seront publics après leur proclamation par le Bureau national.",
        ],
        "links": [{"url": poll_url(poll), "label": "Voir le scrutin et ses résultats"}],
        "ballots": ballots,
    }
