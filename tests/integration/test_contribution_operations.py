"""Contribution operations: submission, edition, lifecycle, audit, notifications, attachments."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import current_app

from convention.contributions import operations as ops
from convention.contributions.attachments import AttachmentRejected, Upload
from convention.contributions.models import Channel, Contribution, submissions_open
from convention.core.audit import AuditEntry
from convention.core.permissions import PermissionDenied
from convention.domain.errors import DomainError, IllegalTransition
from convention.domain.lifecycle import ContributionStatus as S
from convention.domain.phases import PhaseKind
from convention.extensions import db
from convention.notifications.models import Notification, NotificationKind
from tests.contribution_fixtures import EXE_BYTES, PDF_BYTES, build_world, make_contribution

TODAY = dt.date.today()


@pytest.fixture(autouse=True)
def uploads(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    return tmp_path


@pytest.fixture()
def world(database):
    return build_world("during")


def data(world, **changes) -> ops.ContributionData:
    values = {"title": "Des éducateurs de rue", "body": "Le texte.", "working_group": world.group1}
    values.update(changes)
    return ops.ContributionData(**values)


def actions(contribution) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.object_type == "Contribution", AuditEntry.object_id == contribution.id)
            .order_by(AuditEntry.id)
        )
    )


def notified(user) -> list[Notification]:
    return list(db.session.scalars(sa.select(Notification).filter_by(user_id=user.id)))


# --- phase ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("when", "expected"), [("before", False), ("during", True), ("after", False)])
def test_submissions_follow_the_dates_of_the_contributions_phase(database, when, expected):
    world = build_world(when)
    assert submissions_open(world.convention, TODAY) is expected


@pytest.mark.parametrize(
    ("override", "expected"),
    [(PhaseKind.CONTRIBUTIONS, True), (PhaseKind.AMENDMENTS, False), (None, False)],
)
def test_the_bureau_national_override_opens_or_closes_submissions(database, override, expected):
    world = build_world("after")
    world.convention.phase_override = override
    assert submissions_open(world.convention, TODAY) is expected


# --- submit ---------------------------------------------------------------------------------


def test_a_member_submits_during_the_phase(world):
    militant = world.users["militant"]
    contribution = ops.submit_contribution(militant, world.convention, data(world), today=TODAY)
    assert contribution.status == S.SUBMITTED and contribution.channel == Channel.PLATFORM
    assert contribution.submitted_by_id == militant.id
    assert contribution.author_member_id == militant.member_id
    assert contribution.number == 1
    second = ops.submit_contribution(militant, world.convention, data(world), today=TODAY)
    assert second.number == 2
    assert actions(contribution) == ["contribution.submit"]


def test_a_number_taken_meanwhile_is_retried_not_a_500(world, monkeypatch):
    """Two submissions read the same highest number: the second insert retries with the next."""
    militant = world.users["militant"]
    first = ops.submit_contribution(militant, world.convention, data(world), today=TODAY)
    real_next = ops._next_number
    stale = iter([first.number])  # the racing request read the number before `first` was stored

    def next_number(convention_id):
        return next(stale, None) or real_next(convention_id)

    monkeypatch.setattr(ops, "_next_number", next_number)
    second = ops.submit_contribution(militant, world.convention, data(world), today=TODAY)
    assert second.number == first.number + 1
    assert first.id is not None and first.number == 1  # the savepoint kept the first one
    assert {first.id, second.id} == set(ops.db.session.scalars(ops.sa.select(ops.Contribution.id)))


def test_numbering_gives_up_with_a_clear_error(world, monkeypatch):
    militant = world.users["militant"]
    first = ops.submit_contribution(militant, world.convention, data(world), today=TODAY)
    monkeypatch.setattr(ops, "_next_number", lambda convention_id: first.number)
    with pytest.raises(DomainError, match="numéroté"):
        ops.submit_contribution(militant, world.convention, data(world), today=TODAY)


@pytest.mark.parametrize("when", ["before", "after"])
def test_nobody_submits_outside_the_phase(database, when):
    world = build_world(when)
    for user in world.users.values():
        with pytest.raises(PermissionDenied):
            ops.submit_contribution(user, world.convention, data(world), today=TODAY)
    assert db.session.scalar(sa.select(sa.func.count(Contribution.id))) == 0


def test_a_section_secretary_submits_for_the_section_with_the_meeting_date(world):
    secretary = world.users["section_secretary"]
    adopted = TODAY - dt.timedelta(days=3)
    contribution = ops.submit_contribution(
        secretary,
        world.convention,
        data(world, unit=world.section, adopted_on=adopted),
        today=TODAY,
    )
    assert contribution.section_id == world.section.id
    assert contribution.federation_id == world.federation.id
    assert contribution.adopted_on == adopted
    assert contribution.author_member_id is None
    assert contribution.unit_label == "Section Grenoble"


def test_a_federation_secretary_submits_for_the_federation(world):
    secretary = world.users["federation_secretary"]
    contribution = ops.submit_contribution(
        secretary,
        world.convention,
        data(world, unit=world.federation, adopted_on=TODAY),
        today=TODAY,
    )
    assert contribution.federation_id == world.federation.id and contribution.section_id is None


def test_a_unit_contribution_needs_the_meeting_date_and_the_secretary_role(world):
    with pytest.raises(DomainError, match="date de la réunion"):
        ops.submit_contribution(
            world.users["section_secretary"],
            world.convention,
            data(world, unit=world.section),
            today=TODAY,
        )
    with pytest.raises(PermissionDenied):
        ops.submit_contribution(
            world.users["militant"],
            world.convention,
            data(world, unit=world.section, adopted_on=TODAY),
            today=TODAY,
        )
    with pytest.raises(PermissionDenied):  # a section secretary does not speak for the federation
        ops.submit_contribution(
            world.users["section_secretary"],
            world.convention,
            data(world, unit=world.federation, adopted_on=TODAY),
            today=TODAY,
        )


# --- edit -----------------------------------------------------------------------------------


def test_the_author_edits_until_review_starts(world):
    militant = world.users["militant"]
    contribution = ops.submit_contribution(militant, world.convention, data(world), today=TODAY)
    ops.update_contribution(militant, contribution, data(world, title="Nouveau titre", working_group=None), today=TODAY)
    assert contribution.title == "Nouveau titre" and contribution.working_group_id is None
    assert contribution.updated_dt is not None
    with pytest.raises(PermissionDenied):  # someone else
        ops.update_contribution(world.users["committee"], contribution, data(world), today=TODAY)
    ops.start_review(world.users["committee"], contribution)
    with pytest.raises(PermissionDenied):
        ops.update_contribution(militant, contribution, data(world, title="Trop tard"), today=TODAY)
    assert contribution.title == "Nouveau titre"
    assert actions(contribution) == [
        "contribution.submit",
        "contribution.update",
        "contribution.review",
    ]


def test_no_edit_once_the_phase_is_over(world):
    militant = world.users["militant"]
    contribution = ops.submit_contribution(militant, world.convention, data(world), today=TODAY)
    later = TODAY + dt.timedelta(days=30)
    with pytest.raises(PermissionDenied):
        ops.update_contribution(militant, contribution, data(world, title="x"), today=later)


# --- lifecycle ------------------------------------------------------------------------------


def test_review_then_decision_with_answer_notifies_the_author_and_is_audited(world):
    pilot = world.users["pilot_this_group"]
    contribution = make_contribution(world)
    ops.start_review(pilot, contribution)
    ops.decide_contribution(pilot, contribution, S.PARTIALLY_INTEGRATED, "  Reprise en partie.  ")
    assert contribution.status == S.PARTIALLY_INTEGRATED
    assert contribution.answer == "Reprise en partie."
    assert contribution.decided_by_id == pilot.id and contribution.decided_dt is not None
    assert actions(contribution) == ["contribution.review", "contribution.decide"]
    decide = db.session.scalars(
        sa.select(AuditEntry).filter_by(action="contribution.decide", object_id=contribution.id)
    ).one()
    assert decide.actor_id == pilot.id
    assert decide.data == {"source": "under_review", "target": "partially_integrated"}
    notes = notified(world.users["militant"])
    assert [n.kind for n in notes] == [NotificationKind.CONTRIBUTION_DECISION] * 2
    assert "partiellement intégrée" in notes[-1].subject
    assert notes[-1].body == "Reprise en partie."
    assert notes[-1].url == f"/contributions/{contribution.id}"
    assert not notified(world.users["section_secretary"])


def test_the_unit_secretary_is_notified_of_a_decision_on_the_unit_contribution(world):
    federation_secretary = world.users["federation_secretary"]
    # The section secretary submits; the federation secretary is not the section's secretary.
    contribution = ops.submit_contribution(
        world.users["section_secretary"],
        world.convention,
        data(world, unit=world.section, adopted_on=TODAY),
        today=TODAY,
    )
    committee = world.users["committee"]
    ops.start_review(committee, contribution)
    ops.decide_contribution(committee, contribution, S.NOT_RETAINED, "Hors sujet.")
    assert len(notified(world.users["section_secretary"])) == 2
    assert not notified(federation_secretary)
    assert not notified(committee)


def test_a_decision_needs_an_answer(world):
    contribution = make_contribution(world, status=S.UNDER_REVIEW)
    with pytest.raises(DomainError, match="réponse"):
        ops.decide_contribution(world.users["committee"], contribution, S.INTEGRATED, "   ")
    assert contribution.status == S.UNDER_REVIEW


@pytest.mark.parametrize(
    ("start", "call"),
    [
        (S.SUBMITTED, lambda u, c: ops.decide_contribution(u, c, S.INTEGRATED, "Oui")),
        (S.INTEGRATED, lambda u, c: ops.start_review(u, c)),
        (S.NOT_RETAINED, lambda u, c: ops.decide_contribution(u, c, S.INTEGRATED, "Finalement")),
        (S.WITHDRAWN, lambda u, c: ops.start_review(u, c)),
    ],
)
def test_illegal_transitions_raise(world, start, call):
    contribution = make_contribution(world, status=start)
    with pytest.raises(IllegalTransition):
        call(world.users["national_bureau"], contribution)
    assert contribution.status == start
    assert actions(contribution) == []


@pytest.mark.parametrize("start", [S.SUBMITTED, S.UNDER_REVIEW])
def test_the_author_withdraws_before_a_decision(world, start):
    contribution = make_contribution(world, status=start)
    with pytest.raises(PermissionDenied):
        ops.withdraw_contribution(world.users["pilot_this_group"], contribution)
    ops.withdraw_contribution(world.users["militant"], contribution)
    assert contribution.status == S.WITHDRAWN
    assert actions(contribution) == ["contribution.withdraw"]


@pytest.mark.parametrize("start", [S.INTEGRATED, S.NOT_RETAINED, S.WITHDRAWN])
def test_no_withdrawal_after_a_decision(world, start):
    contribution = make_contribution(world, status=start)
    with pytest.raises(IllegalTransition):
        ops.withdraw_contribution(world.users["militant"], contribution)


def test_only_the_pilots_of_the_target_group_moderate(world):
    contribution = make_contribution(world, group=world.group1)
    for key in ("militant", "pilot_other_group", "section_secretary", "federation_secretary"):
        with pytest.raises(PermissionDenied):
            ops.start_review(world.users[key], contribution)
    ops.start_review(world.users["pilot_this_group"], contribution)


def test_a_contribution_to_the_whole_convention_is_moderated_by_the_committee(world):
    contribution = make_contribution(world, whole_convention=True)
    for key in ("pilot_this_group", "pilot_other_group"):
        assert not contribution.can_moderate(world.users[key])
        with pytest.raises(PermissionDenied):
            ops.start_review(world.users[key], contribution)
    assert contribution.can_moderate(world.users["national_bureau"])
    ops.start_review(world.users["committee"], contribution)
    assert contribution.status == S.UNDER_REVIEW


# --- attachments ----------------------------------------------------------------------------


def test_an_attachment_is_stored_outside_the_static_files_under_a_random_name(world, uploads):
    militant = world.users["militant"]
    contribution = ops.submit_contribution(
        militant,
        world.convention,
        data(world),
        today=TODAY,
        upload=Upload("../Ma contribution.exe", PDF_BYTES),
    )
    db.session.commit()
    stored = uploads / "contributions" / contribution.attachment_storage
    assert stored.read_bytes() == PDF_BYTES
    assert len(contribution.attachment_storage) == 32
    assert contribution.attachment_name == "Ma contribution.pdf"
    assert contribution.attachment_kind == "pdf" and contribution.attachment_size == len(PDF_BYTES)
    static = Path(current_app.static_folder).resolve()
    assert static not in stored.resolve().parents

    # Replacing it deletes the old file once the change is committed.
    ops.update_contribution(militant, contribution, data(world), today=TODAY, upload=Upload("v2.pdf", PDF_BYTES))
    assert stored.exists()
    db.session.commit()
    assert not stored.exists()
    replaced = uploads / "contributions" / contribution.attachment_storage
    ops.update_contribution(militant, contribution, data(world), today=TODAY, remove_attachment=True)
    db.session.commit()
    assert not replaced.exists() and not contribution.has_attachment


def test_an_executable_renamed_pdf_is_refused_by_the_operation_too(world, uploads):
    with pytest.raises(AttachmentRejected):
        ops.submit_contribution(
            world.users["militant"],
            world.convention,
            data(world),
            today=TODAY,
            upload=Upload("rapport.pdf", EXE_BYTES),
        )
    assert not list((uploads / "contributions").glob("*"))
