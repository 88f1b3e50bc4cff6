"""Demo amendments: a few hundred, filed and reviewed through the operations, at every stage; idempotent."""

from __future__ import annotations

import datetime as dt
import tomllib

import sqlalchemy as sa

from convention.amendments.models import Amendment, AmendmentCosignature, ChapterAssignment
from convention.conventions.models import Convention
from convention.core.db import db
from convention.domain.amendments import ADOPTED_STATUSES, OPEN_STATUSES, AmendmentStatus, conflicts
from convention.domain.phases import PhaseKind
from convention.groups.models import WorkingGroup
from convention.members.models import User
from convention.notifications.models import EmailStatus, Notification
from seed.demo import seed_demo
from seed.demo_amendments import DATA_FILE, seed_demo_amendments
from seed.load import seed_convention

MILITANT = "demo.militant@exemple.fr"


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def seeded_convention(members: int = 300) -> Convention:
    report = seed_convention(verbose=False)
    seed_demo(members=members)
    db.session.commit()
    return report.convention


def test_demo_amendments_cover_the_whole_flow_once(database):
    convention = seeded_convention()
    convention_id = convention.id

    report = seed_demo_amendments(convention)

    db.session.expire_all()
    hand_written = len(tomllib.loads(DATA_FILE.read_text(encoding="utf-8"))["amendment"])
    assert report.ignored == [] and report.hand_written == hand_written >= 30
    amendments = db.session.scalars(sa.select(Amendment).order_by(Amendment.number)).all()
    assert 250 <= report.created <= len(amendments) <= 400
    assert [a.number for a in amendments] == list(range(1, len(amendments) + 1))

    # Every stage of the lifecycle is shown.
    statuses = {a.status for a in amendments}
    assert statuses == set(AmendmentStatus)

    # « Discussions communes »: identical copies and overlapping amendments grouped.
    clusters: dict[int, list[Amendment]] = {}
    for amendment in amendments:
        if amendment.cluster_id is not None:
            clusters.setdefault(amendment.cluster_id, []).append(amendment)
    assert len(clusters) >= 20 and max(len(members) for members in clusters.values()) >= 5
    assert all(len({a.block_anchor for a in members}) == 1 for members in clusters.values())
    assert any(
        len({(a.original, a.replacement) for a in members}) < len(members) for members in clusters.values()
    )  # identical copies filed by several sections
    assert any(a.section_id is not None and a.adopted_on is not None for a in amendments)

    # Co-signature counts match the rows; some members' amendments reach the threshold, some do not.
    rows = dict(
        db.session.execute(
            sa.select(AmendmentCosignature.amendment_id, sa.func.count()).group_by(AmendmentCosignature.amendment_id)
        ).all()
    )
    assert all(a.cosignature_count == rows.get(a.id, 0) for a in amendments)
    assert report.cosignatures == sum(rows.values())
    pending_members = [a for a in amendments if a.status == AmendmentStatus.SUBMITTED and not a.is_unit_amendment]
    assert any(a.cosignature_count >= 5 for a in pending_members)
    assert any(a.cosignature_count < 5 for a in pending_members)
    admitted = [a for a in amendments if a.admissibility_dt is not None and a.status != AmendmentStatus.INADMISSIBLE]
    assert all(a.has_enough_cosignatures(convention.amendment_cosignatures_required) for a in admitted)

    # Opinions, rectifications, a synthesis merging a cluster, and a conflict between adopted ones.
    assert {a.rectification_state for a in amendments} >= {"proposed", "accepted", "refused"}
    assert {a.opinion for a in amendments} >= {"favorable", "unfavorable", "favorable_with_rectification"}
    synthesis = next(a for a in amendments if a.is_synthesis)
    merged = [a for a in amendments if a.merged_into_id == synthesis.id]
    assert len(merged) >= 3 and all(a.status == AmendmentStatus.MERGED for a in merged)
    assert all(a.cluster_id == synthesis.cluster_id for a in merged)
    adopted = [a.anchor() for a in amendments if a.status in ADOPTED_STATUSES]
    assert report.conflicts == len(conflicts(adopted)) >= 1

    # The demo accounts can act at once: the militant withdraws their own and co-signs others.
    militant = db.session.scalar(sa.select(User).where(User.email == MILITANT))
    own = [a for a in amendments if a.submitted_by_id == militant.id]
    assert any(a.can_withdraw(militant) for a in own)
    signed = set(
        db.session.scalars(
            sa.select(AmendmentCosignature.amendment_id).where(AmendmentCosignature.member_id == militant.member_id)
        )
    )
    cosignable = [a for a in amendments if a.can_cosign(militant, dt.date.today()) and a.id not in signed]
    assert signed and len(cosignable) >= 20
    group_one = db.session.scalar(
        sa.select(WorkingGroup.id).where(WorkingGroup.convention_id == convention_id, WorkingGroup.number == 1)
    )
    pilot_chapters = set(
        db.session.scalars(
            sa.select(ChapterAssignment.chapter_anchor).where(ChapterAssignment.working_group_id == group_one)
        )
    )
    assert pilot_chapters and any(a.chapter_anchor in pilot_chapters and a.status in OPEN_STATUSES for a in amendments)

    # The amendment phase stays forced; nothing written by the demo is e-mailed.
    convention = db.session.get(Convention, convention_id)
    assert convention.phase_override == PhaseKind.AMENDMENTS
    assert report.phase_line.startswith("Phase forcée : Amendements")
    assert count(Notification) > 0 and count(Notification, Notification.email_status == EmailStatus.PENDING) == 0

    # A second run changes nothing, and says so.
    total, cosignatures = len(amendments), count(AmendmentCosignature)
    again = seed_demo_amendments(convention)
    assert again.created == 0 and again.lines() == [
        f"Amendements de démonstration déjà présents ({total} pour ce texte) : rien n'a changé."
    ]
    assert count(Amendment) == total and count(AmendmentCosignature) == cosignatures


def test_demo_amendments_put_back_another_forced_phase(database):
    convention = seeded_convention(members=120)
    convention.phase_override = PhaseKind.CONTRIBUTIONS
    db.session.commit()

    report = seed_demo_amendments(convention, count=60)

    db.session.expire_all()
    assert report.created >= 40 and count(Amendment) >= report.created
    assert db.session.get(Convention, convention.id).phase_override == PhaseKind.CONTRIBUTIONS
    assert report.phase_line.startswith("Phase forcée rétablie : ")
