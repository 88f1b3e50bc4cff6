"""The permission matrix of amendments, through HTTP: action × role × phase, one test per cell.

Rows (``ROLES``): anonymous, member with dues paid, member with lapsed dues, section secretary
(lapsed dues, acting for the section), pilot of the group chapter I-1 is assigned to, pilot of
another group, steering committee, Bureau national. Columns: every ``PhaseKind``, forced by the
Bureau national's override. Each cell asserts the HTTP answer and that the database changed
only when the action is allowed (and, for a refused account, that the operation refuses too):

- submit: during the amendment phase only, a member with dues paid, or a secretary for their unit;
- co-sign another member's amendment: a member with dues paid, during the amendment phase only;
- withdraw one's own amendment: its author (or the unit's secretary), until a decision, whatever
  the phase;
- review (declare admissible) and decide (adopt): the committee, the Bureau national and the
  pilots of the chapter's group, during the amendment and Bureau national phases.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from convention.amendments import operations as ops
from convention.amendments.models import Amendment, AmendmentCosignature, AmendmentStep, StepKind
from convention.amendments.views import _preview_key
from convention.core.audit import AuditEntry
from convention.core.permissions import PermissionDenied
from convention.domain.amendments import AmendmentStatus as S
from convention.domain.phases import PhaseKind
from convention.extensions import db
from convention.members.models import Member
from convention.notifications.models import Notification, NotificationKind
from convention.search.models import SearchDocument, SearchKind
from tests.amendment_fixtures import (
    DUES_PAID,
    LAPSED,
    PAID,
    PHASES,
    REVIEW_PHASES,
    REVIEWERS,
    ROLES,
    TODAY,
    WRITTEN_TABLES,
    amendment_count,
    build_world,
    edit,
    load_world,
    log_in,
    reset_world,
    set_phase,
    submit,
    table_counts,
)
from tests.conftest import empty_tables

CELLS = [(role, phase) for role in ROLES for phase in PHASES]


@pytest.fixture(scope="module")
def built(app):
    """The world, built once for the module's 280 cells (each cell puts it back as it was)."""
    with app.app_context():
        empty_tables()
        build_world(None)
        for name in WRITTEN_TABLES:
            db.session.execute(db.metadata.tables[name].delete())
        db.session.commit()
        baseline = table_counts()
        dues = {m.id: m.dues_paid_until for m in db.session.scalars(sa.select(Member))}
        db.session.remove()
    yield baseline, dues
    with app.app_context():
        empty_tables()


@pytest.fixture()
def cell(app, built):
    """Returns ``enter(phase)``: the world loaded again, in ``phase``; emptied of amendments after."""
    baseline, dues = built
    with app.app_context():
        world = load_world()

        def enter_phase(phase):
            set_phase(world, phase)
            return world

        yield enter_phase
        reset_world(world, baseline, dues)
        db.session.remove()
SUBMITTERS = DUES_PAID | {"section_secretary"}
OPENS = PhaseKind.AMENDMENTS


def audited(action: str) -> int:
    return db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).filter_by(action=action))


def notifications(user, kind: NotificationKind) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Notification.id)).filter_by(user_id=user.id, kind=kind)
    )


def indexed(amendment: Amendment) -> bool:
    return (
        db.session.scalar(
            sa.select(SearchDocument.id).filter_by(kind=SearchKind.AMENDMENT, object_id=amendment.id)
        )
        is not None
    )


def assert_login_redirect(response) -> None:
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/compte/connexion")


def enter(client, world, role: str):
    """Log in as ``role`` (nobody for « anonymous »); returns the account or None."""
    if role == "anonymous":
        return None
    user = world.users[role]
    log_in(client, user)
    return user


# --- submit ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "phase"), CELLS)
def test_submit(client, cell, role, phase):
    world = cell(phase)
    user = enter(client, world, role)
    block = world.block("I-1-1")
    edited = edit(block.text, "dès l'école", "dès la crèche")
    form = {"edited": edited, "rationale": "La prévention commence tôt."}
    if role == "section_secretary":
        form |= {"on_behalf": f"section:{world.section.id}", "adopted_on": TODAY.isoformat()}
    url = f"/amendements/nouveau?bloc={block.anchor}&type=modifier"
    allowed = phase == OPENS and role in SUBMITTERS

    preview = client.post(url, data={**form, "preview": "y"})
    key = _preview_key(block.anchor, "modifier", edited)
    if allowed:
        assert preview.status_code == 200
        assert key in preview.get_data(as_text=True)
    elif role == "anonymous":
        assert_login_redirect(preview)
    else:
        assert preview.status_code == 403

    response = client.post(url, data={**form, "confirm": "y", "preview_key": key})
    db.session.expire_all()
    if allowed:
        assert response.status_code == 302, response.get_data(as_text=True)[:800]
        amendment = db.session.scalars(sa.select(Amendment)).one()
        assert response.headers["Location"] == f"/amendements/{amendment.id}"
        assert amendment.submitted_by_id == user.id and amendment.number == 1
        assert amendment.status == S.SUBMITTED
        if role == "section_secretary":
            assert amendment.section_id == world.section.id and amendment.author_member_id is None
        else:
            assert amendment.author_member_id == user.member_id and amendment.section_id is None
        assert audited("amendment.submit") == 1
        assert indexed(amendment)
        return
    if role == "anonymous":
        assert_login_redirect(response)
    else:
        assert response.status_code == 403
        if phase != OPENS:
            assert "Le dépôt des amendements n’est pas ouvert" in response.get_data(as_text=True)
        data = ops.AmendmentData(requested="modifier", edited=edited, rationale="Motif.")
        with pytest.raises(PermissionDenied):
            ops.submit_amendment(user, world.convention, world.version, block, data, today=TODAY)
        db.session.rollback()
    assert amendment_count() == 0
    assert audited("amendment.submit") == 0
    assert db.session.scalar(sa.select(sa.func.count(SearchDocument.id))) == 0


# --- co-sign another member's amendment ----------------------------------------------------------


@pytest.mark.parametrize(("role", "phase"), CELLS)
def test_cosign(client, cell, role, phase):
    world = cell(phase)
    amendment = submit(world, "author")
    user = enter(client, world, role)
    allowed = phase == OPENS and role in DUES_PAID

    response = client.post(f"/amendements/{amendment.id}/cosigner")
    db.session.expire_all()
    author = world.users["author"]
    if allowed:
        assert response.status_code == 302
        assert response.headers["Location"] == f"/amendements/{amendment.id}"
        assert amendment.cosignature_count == 1
        cosignature = db.session.scalars(sa.select(AmendmentCosignature)).one()
        assert cosignature.member_id == user.member_id and cosignature.user_id == user.id
        assert audited("amendment.cosign") == 1
        assert notifications(author, NotificationKind.COSIGNATURE_REQUEST) == 1
        return
    if role == "anonymous":
        assert_login_redirect(response)
    else:
        assert response.status_code == 403
        with pytest.raises(PermissionDenied):
            ops.cosign_amendment(user, amendment, today=TODAY)
        db.session.rollback()
    assert amendment.cosignature_count == 0
    assert db.session.scalar(sa.select(sa.func.count(AmendmentCosignature.id))) == 0
    assert audited("amendment.cosign") == 0
    assert notifications(author, NotificationKind.COSIGNATURE_REQUEST) == 0


# --- withdraw one's own amendment --------------------------------------------------------------


def own_amendment(world, role: str) -> Amendment:
    """An amendment of ``role`` (the section's for its secretary; another member's for nobody)."""
    if role == "anonymous":
        return submit(world, "author")
    if role == "section_secretary":
        return submit(world, role, unit=world.section)
    member = world.users[role].member
    if role == "member_lapsed":  # filed while the dues were paid
        member.dues_paid_until = PAID
    amendment = submit(world, role)
    member.dues_paid_until = LAPSED if role == "member_lapsed" else member.dues_paid_until
    db.session.commit()
    return amendment


@pytest.mark.parametrize(("role", "phase"), CELLS)
def test_withdraw_own(client, cell, role, phase):
    world = cell(phase)
    amendment = own_amendment(world, role)
    assert indexed(amendment)
    enter(client, world, role)

    response = client.post(f"/amendements/{amendment.id}/retirer", data={"confirm": "y", "reason": "Satisfait."})
    db.session.expire_all()
    if role == "anonymous":
        assert_login_redirect(response)
        assert amendment.status == S.SUBMITTED
        assert audited("amendment.withdraw") == 0
        assert indexed(amendment)
        return
    # The author withdraws until a decision, whatever the phase.
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    assert response.headers["Location"] == f"/amendements/{amendment.id}"
    assert amendment.status == S.WITHDRAWN
    assert [s.kind for s in amendment.steps] == [StepKind.SUBMITTED, StepKind.WITHDRAWN]
    assert audited("amendment.withdraw") == 1
    assert not indexed(amendment)


# --- review: declare admissible ----------------------------------------------------------------


def unit_amendment(world, status: S | None = None) -> Amendment:
    """An amendment of the Grenoble section on chapter I-1 (no co-signature threshold)."""
    return submit(world, "section_secretary", unit=world.section, status=status)


@pytest.mark.parametrize(("role", "phase"), CELLS)
def test_review(client, cell, role, phase):
    world = cell(phase)
    amendment = unit_amendment(world)
    user = enter(client, world, role)
    allowed = role in REVIEWERS and phase in REVIEW_PHASES

    response = client.post(
        f"/amendements/{amendment.id}/examen?etape=recevabilite",
        data={"recevabilite-admissible": "recevable", "recevabilite-reason": "Dans le champ du texte."},
    )
    db.session.expire_all()
    secretary = world.users["section_secretary"]
    if allowed:
        assert response.status_code == 302, response.get_data(as_text=True)[:800]
        assert response.headers["Location"] == f"/amendements/{amendment.id}"
        assert amendment.status == S.ADMISSIBLE
        assert amendment.admissibility_reason == "Dans le champ du texte."
        assert audited("amendment.admissibility") == 1
        assert notifications(secretary, NotificationKind.AMENDMENT_DECISION) == 1
        return
    if role == "anonymous":
        assert_login_redirect(response)
    else:
        assert response.status_code == 403
        with pytest.raises(PermissionDenied):
            ops.declare_admissibility(user, amendment, True, "Raison.", today=TODAY)
        db.session.rollback()
    assert amendment.status == S.SUBMITTED
    assert amendment.admissibility_dt is None
    assert audited("amendment.admissibility") == 0
    assert db.session.scalar(sa.select(sa.func.count(AmendmentStep.id))) == 1  # « déposé »
    assert notifications(secretary, NotificationKind.AMENDMENT_DECISION) == 0


# --- decide: adopt ----------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "phase"), CELLS)
def test_decide(client, cell, role, phase):
    world = cell(phase)
    amendment = unit_amendment(world, status=S.ADMISSIBLE)
    user = enter(client, world, role)
    allowed = role in REVIEWERS and phase in REVIEW_PHASES

    response = client.post(
        f"/amendements/{amendment.id}/examen?etape=decision",
        data={"decision-status": "adopted", "decision-reason": "Le comité retient cette rédaction."},
    )
    db.session.expire_all()
    secretary = world.users["section_secretary"]
    if allowed:
        assert response.status_code == 302, response.get_data(as_text=True)[:800]
        assert amendment.status == S.ADOPTED
        assert amendment.decided_by_id == user.id and amendment.decided_dt is not None
        assert audited("amendment.decide") == 1
        assert notifications(secretary, NotificationKind.AMENDMENT_DECISION) == 1
        return
    if role == "anonymous":
        assert_login_redirect(response)
    else:
        assert response.status_code == 403
        with pytest.raises(PermissionDenied):
            ops.decide_amendment(user, amendment, S.ADOPTED, "Raison.", today=TODAY)
        db.session.rollback()
    assert amendment.status == S.ADMISSIBLE
    assert amendment.decided_dt is None and amendment.decided_by_id is None
    assert audited("amendment.decide") == 0
    assert notifications(secretary, NotificationKind.AMENDMENT_DECISION) == 0
