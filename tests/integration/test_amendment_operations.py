"""Amendment operations, and the story from a submission to a decision.

The scenario files amendments on the same passage from members and sections (identical and
overlapping ones fall into one « discussion commune »), collects co-signatures up to the
threshold, has the pilot of the chapter's group declare them admissible, give a « favorable sous
réserve » opinion whose rectification the author accepts, decide a whole cluster in bulk (the
amendment that is not admissible is refused and reported), and the committee writes a synthesis
merging another cluster. Along the way: the French 409 messages, the notifications of the
authors and co-signers, the audit log and the search index.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from convention.amendments import operations as ops
from convention.amendments.models import (
    Amendment,
    AmendmentCluster,
    RectificationState,
    StepKind,
)
from convention.core.audit import AuditEntry
from convention.core.permissions import PermissionDenied
from convention.domain.amendments import AmendmentKind, Opinion, Relation
from convention.domain.amendments import AmendmentStatus as S
from convention.domain.errors import DomainError, IllegalTransition
from convention.domain.phases import PhaseKind
from convention.domain.roles import Role
from convention.extensions import db
from convention.notifications.models import Notification, NotificationKind
from convention.search.models import SearchDocument, SearchKind
from tests.amendment_fixtures import (
    P1,
    P3,
    TODAY,
    build_world,
    edit,
    log_in,
    make_cosigners,
    preview_key,
    set_phase,
    submit,
)
from tests.auth_fixtures import make_member, make_user, page_text

IDENTICAL_EDIT = edit(P1, "dès l'école", "dès la crèche")
OVERLAPPING_EDIT = edit(P1, "dès l'école, avec les familles", "avant l'école, avec les parents")
C2_FIRST = edit(P3, "sous l'autorité du maire", "sous l'autorité conjointe du maire et du préfet")
C2_SECOND = edit(P3, "sous l'autorité du maire", "sous l'autorité du président de l'intercommunalité")


@pytest.fixture()
def world(database):
    return build_world(PhaseKind.AMENDMENTS)


def audit_actions(amendment: Amendment) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.object_type == "Amendment", AuditEntry.object_id == amendment.id)
            .order_by(AuditEntry.id)
        )
    )


def notified(user, kind: NotificationKind) -> list[Notification]:
    return list(
        db.session.scalars(sa.select(Notification).filter_by(user_id=user.id, kind=kind).order_by(Notification.id))
    )


def search_document(amendment: Amendment) -> SearchDocument | None:
    return db.session.scalars(
        sa.select(SearchDocument).filter_by(kind=SearchKind.AMENDMENT, object_id=amendment.id)
    ).first()


def unit_secretary(world, unit, key: str):
    """An account (member with dues paid) that is the secretary of ``unit``."""
    section = unit if hasattr(unit, "federation_id") else world.other_section
    member = make_member(section, key.title(), "Secrétaire", email=f"{key}@exemple.fr")
    role = Role.SECTION_SECRETARY if hasattr(unit, "federation_id") else Role.FEDERATION_SECRETARY
    user = make_user(member=member, roles=((role, unit),), display_name=f"{key.title()} Secrétaire")
    world.users[key] = user
    db.session.commit()
    return user


def refresh(*amendments: Amendment) -> None:
    db.session.expire_all()
    for amendment in amendments:
        db.session.refresh(amendment)


# --- the story ------------------------------------------------------------------------------


def test_from_submission_to_decision(client, world):
    author, member, pilot = world.users["author"], world.users["member_paid"], world.users["pilot_this_group"]
    committee = world.users["committee"]
    block = world.block("I-1-1")

    # 1. A member amends the paragraph: « l'école » becomes « la crèche ».
    first = submit(world, "author", edited=IDENTICAL_EDIT, rationale="La prévention commence **tôt**.")
    assert (first.number, first.kind, first.status) == (1, AmendmentKind.MODIFY, S.SUBMITTED)
    assert (first.original, first.replacement) == ("l'école", "la crèche")
    assert first.citation == "À la ligne 1, remplacer les mots « l'école » par les mots « la crèche »."
    assert first.cluster_id is None
    assert search_document(first) is not None

    # 2. Another member writes the same change: the preview lists n° 1 as identical, with a
    #    button to co-sign it instead; confirming files n° 2 in the same discussion commune.
    log_in(client, member)
    url = f"/amendements/nouveau?bloc={block.anchor}&type=modifier"
    form = {"edited": IDENTICAL_EDIT, "rationale": "Même idée."}
    preview = client.post(url, data={**form, "preview": "y"})
    assert preview.status_code == 200
    html = page_text(preview)
    assert "1 amendement porte déjà sur ce passage" in html
    assert re.search(r"Amendement n° 1</a>\s*\(Identique\)", html)
    assert f'action="/amendements/{first.id}/cosigner"' in html
    assert db.session.scalar(sa.select(sa.func.count(Amendment.id))) == 1  # a preview writes nothing
    response = client.post(url, data={**form, "confirm": "y", "preview_key": preview_key(html)})
    assert response.status_code == 302
    second = db.session.scalars(sa.select(Amendment).filter_by(number=2)).one()
    refresh(first)
    assert second.cluster_id is not None and first.cluster_id == second.cluster_id

    # 3. The Grenoble section rewrites an overlapping passage: same cluster again.
    preview = ops.preview_amendment(
        world.version, block, ops.AmendmentData(requested="modifier", edited=OVERLAPPING_EDIT, rationale="x")
    )
    assert {r.amendment.number for r in preview.related} == {1, 2}
    assert all(r.relation in (Relation.OVERLAP, Relation.SIMILAR) for r in preview.related)
    third = submit(world, "section_secretary", edited=OVERLAPPING_EDIT, unit=world.section)
    refresh(first, second)
    cluster = db.session.get(AmendmentCluster, first.cluster_id)
    assert [a.number for a in cluster.amendments] == [1, 2, 3]
    assert third.section_id == world.section.id and third.signed_by == "Section Grenoble"

    # 4. Co-signatures: four are not enough for the threshold (5 by default).
    assert world.convention.amendment_cosignatures_required == 5
    cosigners = make_cosigners(world, 5)
    for user in cosigners[:4]:
        ops.cosign_amendment(user, first, today=TODAY)
    db.session.commit()
    assert first.cosignature_count == 4
    assert len(notified(author, NotificationKind.COSIGNATURE_REQUEST)) == 4
    with pytest.raises(DomainError, match="n'a que 4 cosignature"):
        ops.declare_admissibility(pilot, first, True, "Recevable.", today=TODAY)
    db.session.rollback()

    log_in(client, pilot)
    refused = client.post(
        f"/amendements/{first.id}/examen?etape=recevabilite",
        data={"recevabilite-admissible": "recevable", "recevabilite-reason": "Recevable."},
    )
    assert refused.status_code == 409
    message = page_text(refused)
    assert "L'amendement n° 1 n'a que 4 cosignature(s) sur les 5 requises" in message
    assert "Possible maintenant : le déclarer irrecevable" in message
    refresh(first)
    assert first.status == S.SUBMITTED and first.admissibility_dt is None
    assert "amendment.admissibility" not in audit_actions(first)

    # The fifth co-signature makes it admissible; the section's amendment needs none.
    ops.cosign_amendment(cosigners[4], first, today=TODAY)
    db.session.commit()
    response = client.post(
        f"/amendements/{first.id}/examen?etape=recevabilite",
        data={"recevabilite-admissible": "recevable", "recevabilite-reason": "Cinq cosignatures."},
    )
    assert response.status_code == 302
    ops.declare_admissibility(pilot, third, True, "Adopté par la section.", today=TODAY)
    db.session.commit()
    refresh(first, third)
    assert first.status == S.ADMISSIBLE and third.status == S.ADMISSIBLE

    # 5. « Favorable sous réserve »: the committee proposes a rewrite; the author accepts it.
    response = client.post(
        f"/amendements/{first.id}/examen?etape=avis",
        data={
            "avis-opinion": "favorable_with_rectification",
            "avis-reason": "Préciser la tranche d'âge.",
            "avis-rectification": "la petite enfance",
        },
    )
    assert response.status_code == 302
    refresh(first)
    assert first.rectification_state == RectificationState.PROPOSED
    log_in(client, author)
    detail = page_text(client.get(f"/amendements/{first.id}"))
    assert "Rectification proposée par le comité" in detail and "Accepter la rectification" in detail
    response = client.post(f"/amendements/{first.id}/rectification", data={"accept": "y"})
    assert response.status_code == 302
    refresh(first)
    assert first.rectification_state == RectificationState.ACCEPTED
    assert first.opinion == Opinion.FAVORABLE
    assert first.replacement == "la petite enfance"
    assert first.citation == "À la ligne 1, remplacer les mots « l'école » par les mots « la petite enfance »."
    assert [s.kind for s in first.steps] == [
        StepKind.SUBMITTED, StepKind.ADMISSIBLE, StepKind.OPINION, StepKind.RECTIFICATION_ACCEPTED,
    ]  # fmt: skip

    # 6. An illegal transition is a 409 saying, in French, what is possible instead.
    log_in(client, pilot)
    illegal = client.post(
        f"/amendements/{second.id}/examen?etape=decision",
        data={"decision-status": "adopted", "decision-reason": "Adopté."},
    )
    assert illegal.status_code == 409
    message = page_text(illegal)
    assert "L'amendement n° 2 est déposé : on ne peut pas l'adopter." in message
    assert "Possible maintenant : le déclarer recevable, le déclarer irrecevable ou le retirer." in message
    assert "Cette action n'est pas possible dans l'état actuel." not in message  # not the generic text
    refresh(second)
    assert second.status == S.SUBMITTED and second.decided_dt is None

    # 7. A bulk decision over the whole cluster, with one reason: n° 2 (not admissible) is
    #    refused and reported, n° 1 and n° 3 are adopted.
    response = client.post(
        "/amendements/examen/chapitre/I-1",
        data={"discussion": str(cluster.id), "action": "adopter", "reason": "Le comité retient la petite enfance."},
        follow_redirects=True,
    )
    assert response.status_code == 200
    html = page_text(response)
    assert "2 amendement(s) traité(s) : n° 1, 3." in html
    assert "Non traités : n° 2 — L'amendement n° 2 est déposé : on ne peut pas l'adopter." in html
    refresh(first, second, third)
    assert (first.status, second.status, third.status) == (S.ADOPTED, S.SUBMITTED, S.ADOPTED)
    assert first.decision_reason == third.decision_reason == "Le comité retient la petite enfance."
    assert first.decided_by_id == pilot.id
    bulk = db.session.scalars(sa.select(AuditEntry).filter_by(action="amendment.bulk")).one()
    assert bulk.data["done"] == [1, 3] and bulk.data["refused"] == [2]
    # Two adopted amendments on the same passage: a conflict on the review table.
    assert 'class="has-conflict"' in html
    assert "Conflit : adopté comme le n° 3 sur le même passage" in html

    # 8. Another passage: two units' amendments overlap; the committee merges them in a synthesis.
    lyon_secretary = unit_secretary(world, world.other_section, "lyon")
    rhone_secretary = unit_secretary(world, world.other_federation, "rhone")
    fourth = submit(world, "lyon", "I-1-3", C2_FIRST, unit=world.other_section)
    fifth = submit(world, "rhone", "I-1-3", C2_SECOND, unit=world.other_federation)
    assert fourth.cluster_id is not None and fourth.cluster_id == fifth.cluster_id
    assert fourth.cluster_id != first.cluster_id
    result = ops.bulk_review(pilot, [fourth, fifth], ops.BulkAction.ADMISSIBLE, "Adoptés en section.", today=TODAY)
    db.session.commit()
    assert result.done == [4, 5] and result.refused == []

    log_in(client, committee)
    synthesis_url = f"/amendements/discussion/{fourth.cluster_id}/synthese"
    page = page_text(client.get(synthesis_url))
    assert f'value="{fourth.id}"' in page and f'value="{fifth.id}"' in page
    merged_text = edit(P3, "sous l'autorité du maire", "sous l'autorité du maire et du président de l'intercommunalité")
    response = client.post(
        synthesis_url,
        data={"merged": [str(fourth.id), str(fifth.id)], "edited": merged_text, "rationale": "Synthèse des deux."},
    )
    assert response.status_code == 302, page_text(response)[:1000]
    synthesis = db.session.scalars(sa.select(Amendment).filter_by(is_synthesis=True)).one()
    assert response.headers["Location"] == f"/amendements/{synthesis.id}"
    refresh(fourth, fifth)
    assert synthesis.number == 6 and synthesis.status == S.ADMISSIBLE
    assert synthesis.signed_by == "Comité de pilotage" and synthesis.cluster_id == fourth.cluster_id
    for merged in (fourth, fifth):
        assert merged.status == S.MERGED and merged.merged_into_id == synthesis.id
        assert "Intégré dans l'amendement de synthèse n° 6" in merged.decision_reason
    page = page_text(client.get(f"/amendements/{fourth.id}"))
    assert "Intégré dans la synthèse" in page and f'href="/amendements/{synthesis.id}">n° 6</a>' in page
    page = page_text(client.get(f"/amendements/{synthesis.id}"))
    assert "Amendements intégrés dans cette synthèse" in page
    ops.decide_amendment(committee, synthesis, S.ADOPTED, "Rédaction de synthèse adoptée.", today=TODAY)
    db.session.commit()

    # 9. Notifications: the author and the co-signers hear of each step.
    decisions = [n.subject for n in notified(author, NotificationKind.AMENDMENT_DECISION)]
    assert decisions == [
        "Amendement n° 1 : déclaré recevable",
        "Amendement n° 1 : avis favorable sous réserve de rectification",
        "Amendement n° 1 : adopté",
    ]
    for user in cosigners:
        subjects = [n.subject for n in notified(user, NotificationKind.AMENDMENT_DECISION)]
        assert "Amendement n° 1 : adopté" in subjects
    assert len(notified(author, NotificationKind.COSIGNATURE_REQUEST)) == 5
    secretary = world.users["section_secretary"]
    assert "Amendement n° 3 : adopté" in [n.subject for n in notified(secretary, NotificationKind.AMENDMENT_DECISION)]
    for user in (lyon_secretary, rhone_secretary):
        subjects = [n.subject for n in notified(user, NotificationKind.AMENDMENT_DECISION)]
        assert any("intégré dans la synthèse n° 6" in s for s in subjects), subjects
    assert notified(member, NotificationKind.AMENDMENT_DECISION) == []  # n° 2 had no step

    # 10. The audit log keeps every step, the search index the current state.
    assert audit_actions(first) == [
        "amendment.submit", *["amendment.cosign"] * 5, "amendment.admissibility", "amendment.opinion",
        "amendment.rectification", "amendment.decide",
    ]  # fmt: skip
    assert audit_actions(fourth) == ["amendment.submit", "amendment.admissibility", "amendment.merge"]
    assert audit_actions(synthesis) == ["amendment.synthesis", "amendment.decide"]
    assert search_document(first).status == "adopted"
    assert "la petite enfance" in search_document(first).body
    assert search_document(fourth).status == "merged"
    assert search_document(synthesis) is not None


# --- clusters --------------------------------------------------------------------------------


def test_identical_overlapping_and_unrelated_amendments(world):
    one = submit(world, "author", edited=IDENTICAL_EDIT)
    # Case, spaces and punctuation do not make it different.
    two = submit(world, "member_paid", edited=edit(P1, "dès l'école", "dès  La Crèche"))
    three = submit(world, "pilot_other_group", edited=OVERLAPPING_EDIT)
    elsewhere = submit(world, "committee", "I-1-3", C2_FIRST)
    later = submit(world, "national_bureau", edited=edit(P1, "leurs difficultés", "leurs espoirs"))
    refresh(one, two, three, elsewhere, later)
    assert one.cluster_id == two.cluster_id == three.cluster_id is not None
    assert elsewhere.cluster_id is None and later.cluster_id is None
    related = ops.related_amendments(
        world.text.id,
        "I-1-1",
        ops.compute(world.version, world.block("I-1-1"), ops.AmendmentData("modifier", IDENTICAL_EDIT))[0],
    )
    relations = {r.amendment.number: r.relation for r in related}
    assert relations[1] == relations[2] == Relation.IDENTICAL
    assert relations[3] in (Relation.OVERLAP, Relation.SIMILAR)
    assert 5 not in relations


def test_a_withdrawn_amendment_is_left_out_of_clusters_and_the_search(client, world):
    one = submit(world, "author", edited=IDENTICAL_EDIT, rationale="Une rédaction sur la crèche municipale.")
    document = search_document(one)
    assert document is not None and document.status == "submitted"
    found = page_text(client.get("/recherche/?q=crèche municipale&type=amendements"))
    assert f"/amendements/{one.id}" in found

    cosigner = make_cosigners(world, 1)[0]
    ops.cosign_amendment(cosigner, one, today=TODAY)
    ops.withdraw_amendment(world.users["author"], one, "Je préfère cosigner un autre amendement.")
    db.session.commit()
    assert one.status == S.WITHDRAWN
    assert search_document(one) is None
    found = page_text(client.get("/recherche/?q=crèche municipale&type=amendements"))
    assert f"/amendements/{one.id}" not in found
    # The co-signers are told; a withdrawn amendment does not cluster with a new one.
    assert [n.subject for n in notified(cosigner, NotificationKind.AMENDMENT_DECISION)] == [
        "L'amendement n° 1 a été retiré"
    ]
    assert audit_actions(one)[-1] == "amendment.withdraw"
    two = submit(world, "member_paid", edited=IDENTICAL_EDIT)
    assert two.cluster_id is None
    with pytest.raises(IllegalTransition, match="son retrait est définitif"):
        ops.withdraw_amendment(world.users["author"], one)


# --- single operations ---------------------------------------------------------------------------


def test_unit_amendment_needs_the_meeting_date_and_a_real_secretary(world):
    secretary = world.users["section_secretary"]
    data = ops.AmendmentData("modifier", IDENTICAL_EDIT, "Motif.", unit=world.section, adopted_on=None)
    with pytest.raises(DomainError, match="date de la réunion"):
        ops.submit_amendment(secretary, world.convention, world.version, world.block("I-1-1"), data, today=TODAY)
    db.session.rollback()
    future = ops.AmendmentData("modifier", IDENTICAL_EDIT, "Motif.", unit=world.section,
                               adopted_on=TODAY + dt.timedelta(days=1))  # fmt: skip
    with pytest.raises(DomainError, match="futur"):
        ops.submit_amendment(secretary, world.convention, world.version, world.block("I-1-1"), future, today=TODAY)
    db.session.rollback()
    other = ops.AmendmentData("modifier", IDENTICAL_EDIT, "Motif.", unit=world.other_section,
                              adopted_on=TODAY)  # fmt: skip
    with pytest.raises(PermissionDenied):
        ops.submit_amendment(secretary, world.convention, world.version, world.block("I-1-1"), other, today=TODAY)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Amendment.id))) == 0


def test_cosignatures_once_and_withdrawn_until_the_deadline(world):
    one = submit(world, "author")
    member = world.users["member_paid"]
    ops.cosign_amendment(member, one, today=TODAY)
    with pytest.raises(DomainError, match="déjà cosigné"):
        ops.cosign_amendment(member, one, today=TODAY)
    with pytest.raises(PermissionDenied):  # not one's own
        ops.cosign_amendment(world.users["author"], one, today=TODAY)
    db.session.commit()
    assert one.cosignature_count == 1
    set_phase(world, PhaseKind.NATIONAL_BUREAU)
    with pytest.raises(PermissionDenied, match="délai"):
        ops.withdraw_cosignature(member, one, today=TODAY)
    db.session.rollback()
    set_phase(world, PhaseKind.AMENDMENTS)
    ops.withdraw_cosignature(member, one, today=TODAY)
    db.session.commit()
    assert one.cosignature_count == 0
    assert audit_actions(one) == ["amendment.submit", "amendment.cosign", "amendment.uncosign"]


def test_the_author_may_refuse_a_rectification_and_only_the_author(world):
    one = submit(world, "section_secretary", unit=world.section, status=S.ADMISSIBLE)
    pilot = world.users["pilot_this_group"]
    with pytest.raises(DomainError, match="propose la rédaction"):
        ops.give_opinion(pilot, one, Opinion.FAVORABLE_WITH_RECTIFICATION, "Motif.", "", today=TODAY)
    with pytest.raises(DomainError, match="identique"):
        ops.give_opinion(pilot, one, Opinion.FAVORABLE_WITH_RECTIFICATION, "Motif.", "la crèche", today=TODAY)
    ops.give_opinion(pilot, one, Opinion.FAVORABLE_WITH_RECTIFICATION, "Motif.", "la maternelle", today=TODAY)
    with pytest.raises(PermissionDenied):
        ops.answer_rectification(world.users["member_paid"], one, accept=True)
    ops.answer_rectification(world.users["section_secretary"], one, accept=False)
    db.session.commit()
    assert one.rectification_state == RectificationState.REFUSED
    assert one.replacement == "la crèche"
    assert one.opinion == Opinion.FAVORABLE_WITH_RECTIFICATION
    with pytest.raises(DomainError, match="Aucune rectification"):
        ops.answer_rectification(world.users["section_secretary"], one, accept=True)


def test_rejected_then_maintained_then_withdrawn(world):
    one = submit(world, "section_secretary", unit=world.section, status=S.ADMISSIBLE)
    committee = world.users["committee"]
    with pytest.raises(DomainError, match="raison|motif|Écrivez|reason"):
        ops.decide_amendment(committee, one, S.REJECTED, "  ", today=TODAY)
    ops.decide_amendment(committee, one, S.REJECTED, "Hors sujet.", today=TODAY)
    with pytest.raises(IllegalTransition, match="Possible maintenant : le maintenir"):
        ops.decide_amendment(committee, one, S.ADOPTED, "Finalement.", today=TODAY)
    ops.maintain_amendment(world.users["section_secretary"], one, "Nous le défendrons.")
    assert one.status == S.MAINTAINED
    ops.withdraw_amendment(world.users["section_secretary"], one)
    db.session.commit()
    assert [s.kind for s in one.steps] == [
        StepKind.SUBMITTED, StepKind.REJECTED, StepKind.MAINTAINED, StepKind.WITHDRAWN,
    ]  # fmt: skip


def test_bulk_review_keeps_what_it_did_when_one_fails(world):
    good = submit(world, "section_secretary", unit=world.section)
    short = submit(world, "author", "I-1-3", C2_FIRST)  # no co-signature
    result = ops.bulk_review(world.users["committee"], [good, short], ops.BulkAction.ADMISSIBLE, "Lot 1.", today=TODAY)
    db.session.commit()
    refresh(good, short)
    assert result.done == [1]
    assert [number for number, _ in result.refused] == [2]
    assert "0 cosignature(s) sur les 5 requises" in result.refused[0][1]
    assert (good.status, short.status) == (S.ADMISSIBLE, S.SUBMITTED)
    with pytest.raises(DomainError, match="inconnue"):
        ops.bulk_review(world.users["committee"], [good], "effacer", "Raison.", today=TODAY)


def test_chapter_assignment_gives_and_takes_the_review(world):
    committee, pilot = world.users["committee"], world.users["pilot_this_group"]
    one = submit(
        world,
        "section_secretary",
        "I-2-1",
        edit(world.block("I-2-1").text, "éducative", "d'abord éducative"),
        unit=world.section,
    )
    with pytest.raises(PermissionDenied):
        ops.declare_admissibility(pilot, one, True, "Recevable.", today=TODAY)
    db.session.rollback()
    ops.assign_chapter(committee, world.convention, "I-2", world.group1)
    ops.declare_admissibility(pilot, one, True, "Recevable.", today=TODAY)
    ops.assign_chapter(committee, world.convention, "I-2", None)
    db.session.commit()
    with pytest.raises(PermissionDenied):
        ops.assign_chapter(pilot, world.convention, "I-2", world.group1)
    with pytest.raises(PermissionDenied):
        ops.give_opinion(pilot, one, Opinion.FAVORABLE, "Favorable.", today=TODAY)
    db.session.rollback()
    actions = list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions.count("amendment.assign_chapter") == 2


def test_two_adopted_amendments_in_conflict_are_settled_by_going_back_on_one(client, world):
    """Two adopted amendments on the same words conflict; the committee goes back on one of them."""
    first = submit(world, "section_secretary", unit=world.section, status=S.ADMISSIBLE)
    second = submit(world, "author", edited=OVERLAPPING_EDIT, status=S.ADMISSIBLE)
    committee = world.users["committee"]
    ops.decide_amendment(committee, first, S.ADOPTED, "Retenu.", today=TODAY)
    ops.decide_amendment(committee, second, S.ADOPTED, "Retenu aussi.", today=TODAY)
    db.session.commit()
    from convention.amendments import queries

    assert queries.adopted_conflicts([first, second]) == {first.id: [second.id], second.id: [first.id]}
    with pytest.raises(DomainError, match="raison|Écrivez"):
        ops.reconsider_decision(committee, second, " ", today=TODAY)
    with pytest.raises(PermissionDenied):
        ops.reconsider_decision(world.users["author"], second, "Je change d'avis.", today=TODAY)

    # From the review page, with its confirmation form and a reason.
    log_in(client, committee)
    page = client.get(f"/amendements/{second.id}/examen")
    assert "Revenir sur la décision" in page_text(page)
    response = client.post(
        f"/amendements/{second.id}/examen?etape=retour",
        data={"retour-reason": "En conflit avec l'amendement de la section : il sera rejeté."},
    )
    assert response.status_code == 302
    refresh(first, second)
    assert second.status == S.ADMISSIBLE and second.decided_dt is None
    assert second.steps[-1].kind == StepKind.RECONSIDERED
    assert queries.adopted_conflicts([first, second]) == {}
    assert "amendment.reconsider" in audit_actions(second)
    assert notified(world.users["author"], NotificationKind.AMENDMENT_DECISION)[-1].subject.endswith(
        "de nouveau en examen"
    )
    # Rejected, it may not be reconsidered: the message says what is possible instead.
    ops.decide_amendment(committee, second, S.REJECTED, "En conflit.", today=TODAY)
    with pytest.raises(IllegalTransition, match="Possible maintenant : le maintenir"):
        ops.reconsider_decision(committee, second, "Encore.", today=TODAY)


def test_the_authors_of_many_amendments_are_those_of_each(world):
    """The bulk look-up used by the consolidation finds the same accounts as the one-by-one one."""
    unit_secretary(world, world.other_federation, "federale")
    amendments = [
        submit(world, "author"),
        submit(world, "section_secretary", "I-1-3", C2_FIRST, unit=world.section),
        submit(world, "federale", "I-1-3", C2_SECOND, unit=world.other_federation),
    ]
    many = ops.authors_of_many(amendments)
    for amendment in amendments:
        assert {u.id for u in many[amendment.id]} == {u.id for u in ops.authors_to_notify(amendment)}
        assert many[amendment.id]
