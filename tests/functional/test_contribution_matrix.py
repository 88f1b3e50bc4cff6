"""The permission matrix of contributions, through HTTP: role × phase, one test per cell.

Rows: militant, pilot of the target group, pilot of another group, steering committee,
section secretary, federation secretary, Bureau national. Columns: before, during and after
the contributions phase. Submitting is open to every member during the phase only;
moderating (starting the review, deciding) belongs to the pilots of the target group, the
committee and the Bureau national, whatever the phase.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from convention.contributions.models import Contribution
from convention.core.audit import AuditEntry
from convention.domain.lifecycle import ContributionStatus as S
from convention.extensions import db
from tests.contribution_fixtures import (
    MODERATORS,
    PHASES,
    ROLES,
    build_world,
    log_in,
    make_contribution,
)

CELLS = [(role, phase) for role in ROLES for phase in PHASES]


@pytest.mark.parametrize(("role", "phase"), CELLS)
def test_submit(client, database, role, phase):
    world = build_world(phase)
    user = world.users[role]
    log_in(client, user)
    response = client.post(
        "/contributions/deposer",
        data={"title": "Une contribution", "body": "Le texte.", "working_group": world.group1.id},
    )
    count = db.session.scalar(sa.select(sa.func.count(Contribution.id)))
    if phase == "during":
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        contribution = db.session.scalars(sa.select(Contribution)).one()
        assert response.headers["Location"] == f"/contributions/{contribution.id}"
        assert contribution.submitted_by_id == user.id
        assert contribution.working_group_id == world.group1.id
    else:
        assert response.status_code == 403
        assert "Le dépôt des contributions n’est pas ouvert" in response.get_data(as_text=True)
        assert count == 0


@pytest.mark.parametrize(("role", "phase"), CELLS)
def test_moderate(client, database, role, phase):
    world = build_world(phase)
    user = world.users[role]
    contribution = make_contribution(world, author="militant", group=world.group1)
    log_in(client, user)
    allowed = role in MODERATORS

    queue = client.get("/contributions/a-examiner")
    if role in MODERATORS | {"pilot_other_group"}:
        assert queue.status_code == 200
        assert (contribution.title in queue.get_data(as_text=True)) is allowed
    else:
        assert queue.status_code == 403

    review = client.post(f"/contributions/{contribution.id}/examen")
    db.session.expire_all()
    if allowed:
        assert review.status_code == 302
        assert contribution.status == S.UNDER_REVIEW
    else:
        assert review.status_code == 403
        assert contribution.status == S.SUBMITTED
        contribution.status = S.UNDER_REVIEW  # so that only the permission stops the decision
        db.session.commit()

    decision = client.post(
        f"/contributions/{contribution.id}/decision",
        data={"status": "integrated", "answer": "Reprise dans le chapitre I."},
    )
    db.session.expire_all()
    decided = db.session.scalar(
        sa.select(sa.func.count(AuditEntry.id)).filter_by(action="contribution.decide")
    )
    if allowed:
        assert decision.status_code == 302
        assert contribution.status == S.INTEGRATED
        assert contribution.decided_by_id == user.id
        assert decided == 1
    else:
        assert decision.status_code == 403
        assert contribution.status == S.UNDER_REVIEW
        assert decided == 0
