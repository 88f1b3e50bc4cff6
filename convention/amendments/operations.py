"""Writing amendments: submit, co-sign, withdraw, and the committee's review and decisions.

Every function takes the actor, checks the rule again (the views check first), flushes,
writes an audit entry and never commits. The computing (the change, its citation, the
detection of identical and overlapping amendments, the lifecycle) is in
``convention.domain.amendments``; this module stores and tells.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from convention.amendments import queries
from convention.amendments.models import (
    Amendment,
    AmendmentCluster,
    AmendmentCosignature,
    AmendmentStep,
    ChapterAssignment,
    RectificationState,
    StepKind,
    amendments_open,
    can_submit_amendment,
    has_dues_paid,
    review_open,
)
from convention.core.audit import audit
from convention.core.db import db, savepoint, utcnow
from convention.core.links import path_for
from convention.core.permissions import ensure
from convention.domain import amendments as domain
from convention.domain.amendments import (
    OPEN_STATUSES,
    AmendmentKind,
    AmendmentStatus,
    Change,
    Opinion,
    Relation,
    check_amendment_transition,
)
from convention.domain.errors import DomainError
from convention.domain.roles import Role
from convention.domain.textstructure import normalize_space
from convention.members.models import Federation, RoleAssignment, Section, User
from convention.notifications.models import NotificationFrequency, NotificationKind
from convention.notifications.operations import notify
from convention.texts.models import Block, TextVersion

logger = logging.getLogger(__name__)

NUMBERING_ATTEMPTS = 5
MAX_RATIONALE = 20_000
MAX_WORDING = 20_000
COMMITTEE_LABEL = "Comité de pilotage"


class RequestedKind:
    """What the member asked for on the chapter page."""

    EDIT = "modifier"
    DELETE = "supprimer"
    INSERT = "inserer"
    ALL = (EDIT, DELETE, INSERT)


@dataclass(frozen=True)
class Related:
    amendment: Amendment
    relation: Relation


@dataclass
class Preview:
    """An amendment computed from the member's edit, before it is stored."""

    block: Block
    version: TextVersion
    change: Change
    line_start: int
    line_end: int
    citation: str
    related: list[Related] = field(default_factory=list)

    @property
    def identical(self) -> list[Related]:
        return [r for r in self.related if r.relation == Relation.IDENTICAL]


@dataclass
class AmendmentData:
    """What the member typed (validated by the form, checked again here)."""

    requested: str  # RequestedKind
    edited: str = ""  # the paragraph as edited, or the paragraph(s) to insert
    rationale: str = ""
    unit: Section | Federation | None = None
    adopted_on: dt.date | None = None


# --- computing ---------------------------------------------------------------------------------


def compute(version: TextVersion, block: Block, data: AmendmentData) -> tuple[Change, int, int, str]:
    """The change, its lines in ``version`` and its citation (raises a DomainError on a bad edit)."""
    if block.version_id != version.id:
        raise DomainError("Ce paragraphe n'appartient pas à la version du texte affichée.")
    if data.requested == RequestedKind.DELETE:
        change = domain.delete_block(block.text)
    elif data.requested == RequestedKind.INSERT:
        change = domain.insert_after(block.text, data.edited or "")
    elif data.requested == RequestedKind.EDIT:
        edited = data.edited or ""
        if "\n\n" in edited.strip().replace("\r\n", "\n"):
            raise DomainError(
                "Un amendement porte sur un seul paragraphe : pour ajouter un paragraphe, "
                "utilisez « Insérer un alinéa après »."
            )
        if not normalize_space(edited):
            raise DomainError(
                "Le paragraphe modifié est vide : pour supprimer tout le paragraphe, "
                "utilisez « Supprimer »."
            )
        change = domain.compute_change(block.text, edited)
    else:
        raise DomainError("Type d'amendement inconnu.")
    first, last = domain.span_lines(
        block.text, version.line_length, block.line_start, change.start, change.end
    )
    return change, first, last, domain.citation(change, first, last)


def related_amendments(
    text_id: int, block_anchor: str, change: Change, exclude_id: int | None = None, version_id: int | None = None
):
    """The amendments already filed on the same passage of a version: identical, similar or overlapping."""
    candidates = [
        a
        for a in queries.amendments_on_block(text_id, block_anchor, version_id)
        if a.status != AmendmentStatus.WITHDRAWN and a.id != exclude_id
    ]
    probe = domain.Anchor(
        id=0 if exclude_id is None else exclude_id,
        block=block_anchor,
        kind=change.kind,
        start=change.start,
        end=change.end,
        original=change.original,
        replacement=change.replacement,
        whole_block=change.whole_block,
    )
    by_id = {a.id: a for a in candidates}
    return [
        Related(by_id[anchor.id], relation)
        for anchor, relation in domain.find_related(probe, [a.anchor() for a in candidates])
    ]


def preview_amendment(version: TextVersion, block: Block, data: AmendmentData) -> Preview:
    """Compute the amendment and find its neighbours, writing nothing (the confirmation page)."""
    change, first, last, citation = compute(version, block, data)
    return Preview(
        block=block,
        version=version,
        change=change,
        line_start=first,
        line_end=last,
        citation=citation,
        related=related_amendments(version.text_id, block.anchor, change, version_id=version.id),
    )


# --- submission -------------------------------------------------------------------------------


def _next_number(text_id: int) -> int:
    highest = db.session.scalar(
        sa.select(sa.func.max(Amendment.number)).where(Amendment.text_id == text_id)
    )
    return (highest or 0) + 1


def _insert_numbered(amendment: Amendment) -> None:
    """Insert with the next free number of the text (a concurrent submission retries)."""
    for _ in range(NUMBERING_ATTEMPTS):
        amendment.number = _next_number(amendment.text_id)
        try:
            with savepoint():
                db.session.add(amendment)
                db.session.flush()
            return
        except sa.exc.IntegrityError:
            logger.info("amendment number %s taken meanwhile, retrying", amendment.number)
    raise DomainError("Le dépôt n'a pas pu être numéroté : réessayez dans un instant.")


def _step(amendment: Amendment, kind: StepKind, actor, reason: str = "", **values: Any) -> AmendmentStep:
    label = values.pop("actor_label", None)
    if label is None:
        label = getattr(actor, "display_name", "") if actor is not None else ""
    step = AmendmentStep(
        amendment=amendment,
        kind=kind,
        actor_id=getattr(actor, "id", None),
        actor_label=label[:200],
        reason=reason,
        **values,
    )
    db.session.add(step)
    return step


def _join_cluster(amendment: Amendment, related: Sequence[Related]) -> None:
    """Put ``amendment`` and the amendments on the same passage in one cluster."""
    if not related:
        return
    members = [amendment, *(r.amendment for r in related)]
    clusters = sorted({a.cluster_id for a in members if a.cluster_id is not None})
    if clusters:
        keep = clusters[0]
        if len(clusters) > 1:  # the new amendment bridges two clusters: merge them
            db.session.execute(
                sa.update(Amendment)
                .where(Amendment.cluster_id.in_(clusters[1:]))
                .values(cluster_id=keep)
            )
            db.session.execute(sa.delete(AmendmentCluster).where(AmendmentCluster.id.in_(clusters[1:])))
    else:
        cluster = AmendmentCluster(text_id=amendment.text_id, block_anchor=amendment.block_anchor)
        db.session.add(cluster)
        db.session.flush()
        keep = cluster.id
    for member in members:
        member.cluster_id = keep
    db.session.flush()


def _check_rationale(rationale: str) -> str:
    rationale = (rationale or "").strip()
    if not rationale:
        raise DomainError("Un amendement s'accompagne d'un exposé des motifs.")
    if len(rationale) > MAX_RATIONALE:
        raise DomainError(f"L'exposé des motifs dépasse {MAX_RATIONALE} caractères.")
    return rationale


def new_amendment(
    convention, version: TextVersion, block: Block, change: Change, first: int, last: int, citation: str, **values: Any
) -> Amendment:
    """An Amendment (not yet added) anchored on ``block`` of ``version`` by ``change``, cited at its lines."""
    return Amendment(
        convention_id=convention.id,
        convention=convention,
        text_id=version.text_id,
        version_id=version.id,
        chapter_anchor=block.chapter.anchor,
        block_anchor=block.anchor,
        kind=change.kind,
        span_start=change.start,
        span_end=change.end,
        is_whole_block=change.whole_block,
        original=change.original,
        replacement=change.replacement,
        prefix=change.prefix[:80],
        suffix=change.suffix[:80],
        line_start=first,
        line_end=last,
        citation=citation,
        **values,
    )


def earlier_submission(actor: User, version: TextVersion, block: Block, data: AmendmentData) -> Amendment | None:
    """The same amendment, still pending, already filed by the same account (a double submit)."""
    change = compute(version, block, data)[0]
    for amendment in queries.amendments_on_block(version.text_id, block.anchor, version.id):
        if (
            amendment.submitted_by_id == actor.id
            and amendment.status in OPEN_STATUSES
            and (amendment.kind, amendment.span_start, amendment.span_end, amendment.replacement)
            == (change.kind, change.start, change.end, change.replacement)
        ):
            return amendment
    return None


def submit_amendment(
    actor: User,
    convention,
    version: TextVersion,
    block: Block,
    data: AmendmentData,
    *,
    today: dt.date,
) -> Amendment:
    """File an amendment on ``block`` of ``version`` while amendments are open."""
    from convention.contributions.models import secretary_units

    ensure(
        can_submit_amendment(actor, convention, today),
        "Le dépôt des amendements n'est pas ouvert, ou votre compte ne peut pas en déposer "
        "(adhésion à jour requise).",
    )
    if version.text.convention_id != convention.id:
        raise DomainError("Ce texte n'appartient pas à la convention.")
    if version.id != version.text.current_version.id:
        raise DomainError("Les amendements portent sur la dernière version du texte.")
    rationale = _check_rationale(data.rationale)
    change, first, last, citation = compute(version, block, data)
    if len(change.replacement) > MAX_WORDING:
        raise DomainError(f"Le texte proposé dépasse {MAX_WORDING} caractères.")
    amendment = new_amendment(
        convention, version, block, change, first, last, citation,
        rationale=rationale,
        status=AmendmentStatus.SUBMITTED,
        submitted_by_id=actor.id,
        author_name=actor.display_name,
    )  # fmt: skip
    if data.unit is not None:
        ensure(
            any(type(u) is type(data.unit) and u.id == data.unit.id for u in secretary_units(actor)),
            "Vous ne pouvez déposer qu'au nom d'une section ou d'une fédération dont vous êtes "
            "secrétaire.",
        )
        if data.adopted_on is None:
            raise DomainError("Indiquez la date de la réunion qui a adopté l'amendement.")
        if data.adopted_on > today:
            raise DomainError("La date de la réunion ne peut pas être dans le futur.")
        if isinstance(data.unit, Section):
            amendment.section = data.unit
            amendment.federation_id = data.unit.federation_id
        else:
            amendment.federation = data.unit
        amendment.adopted_on = data.adopted_on
    else:
        ensure(has_dues_paid(actor, today), "Seuls les adhérents à jour de cotisation déposent un amendement.")
        amendment.author_member_id = actor.member_id
    related = related_amendments(version.text_id, block.anchor, change, version_id=version.id)
    _insert_numbered(amendment)
    _step(amendment, StepKind.SUBMITTED, actor, actor_label=amendment.signed_by)
    _join_cluster(amendment, related)
    audit(
        actor,
        "amendment.submit",
        amendment,
        number=amendment.number,
        block=block.anchor,
        kind=change.kind,
        section_id=amendment.section_id,
        federation_id=amendment.federation_id if data.unit is not None else None,
        related=[r.amendment.number for r in related],
    )
    _index(amendment)
    return amendment


# --- co-signatures ------------------------------------------------------------------------------


def cosign_amendment(actor: User, amendment: Amendment, *, today: dt.date) -> AmendmentCosignature:
    """A member with dues paid supports the amendment (once)."""
    ensure(
        amendment.can_cosign(actor, today),
        "Vous ne pouvez pas cosigner cet amendement (adhésion à jour requise, dépôt ouvert, "
        "amendement en attente de décision, et pas le vôtre).",
    )
    if queries.is_cosigner(amendment.id, actor.member_id):
        raise DomainError("Vous avez déjà cosigné cet amendement.")
    cosignature = AmendmentCosignature(
        amendment_id=amendment.id, member_id=actor.member_id, user_id=actor.id
    )
    try:
        with savepoint():
            db.session.add(cosignature)
            db.session.flush()
    except sa.exc.IntegrityError:  # a double submit that raced the check above
        raise DomainError("Vous avez déjà cosigné cet amendement.") from None
    _recount(amendment)
    audit(actor, "amendment.cosign", amendment, number=amendment.number)
    url = path_for("amendments.detail", amendment_id=amendment.id)
    from convention.notifications import queries as notification_queries

    for user in authors_to_notify(amendment):
        wanted = notification_queries.frequency_for(user.id, NotificationKind.COSIGNATURE_REQUEST)
        if wanted == NotificationFrequency.NEVER:  # the author chose not to hear of co-signatures
            continue
        notify(
            user,
            NotificationKind.COSIGNATURE_REQUEST,
            f"Nouvelle cosignature de l'amendement n° {amendment.number}",
            f"L'amendement n° {amendment.number} compte désormais {amendment.cosignature_count} "
            "cosignature(s).",
            url,
        )
    return cosignature


def withdraw_cosignature(actor: User, amendment: Amendment, *, today: dt.date) -> None:
    """A co-signer takes their signature back, until the deadline (the end of the amendment phase)."""
    ensure(
        amendments_open(amendment.convention, today),
        "Le délai de dépôt est passé : les cosignatures ne peuvent plus être retirées.",
    )
    if not queries.is_cosigner(amendment.id, getattr(actor, "member_id", None)):
        raise DomainError("Vous n'avez pas cosigné cet amendement.")
    db.session.execute(
        sa.delete(AmendmentCosignature).where(
            AmendmentCosignature.amendment_id == amendment.id,
            AmendmentCosignature.member_id == actor.member_id,
        )
    )
    _recount(amendment)
    audit(actor, "amendment.uncosign", amendment, number=amendment.number)


def _recount(amendment: Amendment) -> None:
    amendment.cosignature_count = db.session.scalar(
        sa.select(sa.func.count()).where(AmendmentCosignature.amendment_id == amendment.id)
    )
    db.session.flush()


# --- the author's steps ---------------------------------------------------------------------------


def _move(amendment: Amendment, target: AmendmentStatus) -> str:
    source = amendment.status
    check_amendment_transition(source, target, amendment.number)
    amendment.status = target
    amendment.updated_dt = utcnow()
    return source.value


def withdraw_amendment(actor: User, amendment: Amendment, reason: str = "") -> Amendment:
    """The author (or the unit's secretary) withdraws it until a decision."""
    ensure(amendment.is_author_side(actor), "Seul l'auteur peut retirer son amendement.")
    source = _move(amendment, AmendmentStatus.WITHDRAWN)
    _step(amendment, StepKind.WITHDRAWN, actor, (reason or "").strip())
    db.session.flush()
    audit(actor, "amendment.withdraw", amendment, source=source, target="withdrawn")
    _tell(amendment, f"L'amendement n° {amendment.number} a été retiré", reason or "", authors=False)
    _index(amendment)
    return amendment


def maintain_amendment(actor: User, amendment: Amendment, reason: str = "") -> Amendment:
    """The author of a rejected amendment maintains it for the convention day."""
    ensure(amendment.is_author_side(actor), "Seul l'auteur peut maintenir son amendement.")
    source = _move(amendment, AmendmentStatus.MAINTAINED)
    _step(amendment, StepKind.MAINTAINED, actor, (reason or "").strip())
    db.session.flush()
    audit(actor, "amendment.maintain", amendment, source=source, target="maintained")
    _index(amendment)
    return amendment


def answer_rectification(actor: User, amendment: Amendment, accept: bool) -> Amendment:
    """The author accepts the committee's rewrite (it becomes the amendment's wording) or refuses it."""
    ensure(amendment.is_author_side(actor), "Seul l'auteur répond à la rectification proposée.")
    if amendment.rectification_state != RectificationState.PROPOSED or not amendment.is_open:
        raise DomainError("Aucune rectification n'attend votre réponse sur cet amendement.")
    if accept:
        _rewrite(amendment, amendment.rectification)
        amendment.rectification_state = RectificationState.ACCEPTED
        amendment.opinion = Opinion.FAVORABLE
        kind = StepKind.RECTIFICATION_ACCEPTED
    else:
        amendment.rectification_state = RectificationState.REFUSED
        kind = StepKind.RECTIFICATION_REFUSED
    amendment.updated_dt = utcnow()
    _step(amendment, kind, actor, wording=amendment.rectification if accept else "")
    db.session.flush()
    audit(actor, "amendment.rectification", amendment, accepted=accept)
    _index(amendment)
    return amendment


def _rewrite(amendment: Amendment, wording: str) -> None:
    """Replace the amendment's new wording (its span and quoted words stay)."""
    wording = (wording or "").strip()
    if amendment.kind == AmendmentKind.INSERT:
        paragraphs = [normalize_space(p) for p in wording.replace("\r\n", "\n").split("\n\n")]
        amendment.replacement = "\n\n".join(p for p in paragraphs if p)
    else:
        amendment.replacement = normalize_space(wording)
    if amendment.replacement and amendment.kind == AmendmentKind.DELETE:
        amendment.kind = AmendmentKind.MODIFY
        amendment.is_whole_block = False
    amendment.citation = domain.citation(
        as_change(amendment), amendment.line_start, amendment.line_end
    )


def as_change(amendment: Amendment) -> Change:
    """The stored amendment as the domain's Change (to apply it, or to cite it again)."""
    return Change(
        kind=amendment.kind,
        start=amendment.span_start,
        end=amendment.span_end,
        original=amendment.original,
        replacement=amendment.replacement,
        prefix=amendment.prefix,
        suffix=amendment.suffix,
        whole_block=amendment.is_whole_block,
    )


# --- the committee's review ------------------------------------------------------------------------


def _ensure_reviewer(actor: User, amendment: Amendment, today: dt.date) -> None:
    ensure(
        queries.can_review_chapter(actor, amendment.convention, amendment.chapter_anchor),
        "Seuls le comité de pilotage et les pilotes du groupe chargé de ce chapitre examinent "
        "ses amendements.",
    )
    ensure(
        review_open(amendment.convention, today),
        "L'examen des amendements n'a lieu que pendant la phase des amendements et celle du "
        "Bureau national.",
    )


def _required_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Chaque étape de l'examen s'accompagne d'une raison écrite.")
    return reason


def declare_admissibility(
    actor: User, amendment: Amendment, admissible: bool, reason: str, *, today: dt.date
) -> Amendment:
    """Declare the amendment admissible (recevable) or not, with the written reason."""
    _ensure_reviewer(actor, amendment, today)
    reason = _required_reason(reason)
    target = AmendmentStatus.ADMISSIBLE if admissible else AmendmentStatus.INADMISSIBLE
    check_amendment_transition(amendment.status, target, amendment.number)
    required = amendment.convention.amendment_cosignatures_required
    if admissible and not amendment.has_enough_cosignatures(required):
        raise DomainError(
            f"L'amendement n° {amendment.number} n'a que {amendment.cosignature_count} "
            f"cosignature(s) sur les {required} requises, et n'a pas été adopté par une section "
            "ou une fédération : il ne peut pas être déclaré recevable. Possible maintenant : "
            "le déclarer irrecevable."
        )
    source = _move(amendment, target)
    amendment.admissibility_reason = reason
    amendment.admissibility_dt = utcnow()
    _step(amendment, StepKind.ADMISSIBLE if admissible else StepKind.INADMISSIBLE, actor, reason)
    db.session.flush()
    audit(actor, "amendment.admissibility", amendment, source=source, target=target.value)
    word = "recevable" if admissible else "irrecevable"
    _tell(amendment, f"Amendement n° {amendment.number} : déclaré {word}", reason)
    _index(amendment)
    return amendment


def give_opinion(
    actor: User,
    amendment: Amendment,
    opinion: Opinion,
    reason: str,
    rectification: str = "",
    *,
    today: dt.date,
) -> Amendment:
    """The committee's opinion on an admissible amendment; « sous réserve » proposes a rewrite."""
    _ensure_reviewer(actor, amendment, today)
    reason = _required_reason(reason)
    if amendment.status != AmendmentStatus.ADMISSIBLE:
        raise DomainError(
            f"L'amendement n° {amendment.number} est « {amendment.status_label.lower()} » : un avis "
            "se donne sur un amendement recevable, avant la décision."
        )
    rectification = (rectification or "").strip()
    if opinion == Opinion.FAVORABLE_WITH_RECTIFICATION:
        if not rectification:
            raise DomainError("Un avis favorable sous réserve propose la rédaction rectifiée.")
        if normalize_space(rectification) == normalize_space(amendment.replacement):
            raise DomainError("La rectification proposée est identique au texte de l'amendement.")
        amendment.rectification = rectification
        amendment.rectification_state = RectificationState.PROPOSED
    else:
        amendment.rectification = ""
        amendment.rectification_state = None
    amendment.opinion = opinion
    amendment.opinion_reason = reason
    amendment.opinion_dt = utcnow()
    amendment.updated_dt = utcnow()
    _step(amendment, StepKind.OPINION, actor, reason, opinion=opinion, wording=amendment.rectification)
    db.session.flush()
    audit(actor, "amendment.opinion", amendment, opinion=opinion.value)
    _tell(amendment, f"Amendement n° {amendment.number} : {domain.OPINION_LABELS[opinion].lower()}", reason)
    _index(amendment)
    return amendment


DECISIONS = (
    AmendmentStatus.ADOPTED,
    AmendmentStatus.ADOPTED_MODIFIED,
    AmendmentStatus.REJECTED,
)


def decide_amendment(
    actor: User,
    amendment: Amendment,
    status: AmendmentStatus,
    reason: str,
    modified_wording: str = "",
    *,
    today: dt.date,
) -> Amendment:
    """Adopt, adopt as modified or reject an admissible amendment, with the written reason."""
    _ensure_reviewer(actor, amendment, today)
    if status not in DECISIONS:
        raise DomainError("Décision inconnue : adopter, adopter avec modification ou rejeter.")
    reason = _required_reason(reason)
    check_amendment_transition(amendment.status, status, amendment.number)
    wording = ""
    if status == AmendmentStatus.ADOPTED_MODIFIED:
        wording = (modified_wording or "").strip()
        if not wording and amendment.kind != AmendmentKind.DELETE:
            raise DomainError("Une adoption avec modification donne la rédaction retenue.")
        if normalize_space(wording) == normalize_space(amendment.replacement):
            raise DomainError(
                "La rédaction retenue est celle de l'amendement : choisissez « Adopter »."
            )
        amendment.modified_replacement = wording
    source = _move(amendment, status)
    amendment.decision_reason = reason
    amendment.decided_dt = utcnow()
    amendment.decided_by_id = actor.id
    _step(amendment, StepKind(status.value), actor, reason, wording=wording)
    db.session.flush()
    audit(actor, "amendment.decide", amendment, source=source, target=status.value)
    _tell(
        amendment,
        f"Amendement n° {amendment.number} : {domain.STATUS_LABELS[status].lower()}",
        reason,
    )
    _index(amendment)
    return amendment


def reconsider_decision(actor: User, amendment: Amendment, reason: str, *, today: dt.date) -> Amendment:
    """Go back on an adoption (two adopted amendments in conflict…): the amendment is recevable again.

    Only while it is anchored in the current version, that is before a consolidation applied it.
    """
    _ensure_reviewer(actor, amendment, today)
    reason = _required_reason(reason)
    check_amendment_transition(amendment.status, AmendmentStatus.ADMISSIBLE, amendment.number)
    current = amendment.text.current_version
    if current is None or amendment.version_id != current.id:
        raise DomainError(
            f"L'amendement n° {amendment.number} a déjà été appliqué dans une version consolidée du "
            "texte : on ne peut plus revenir sur son adoption."
        )
    source = _move(amendment, AmendmentStatus.ADMISSIBLE)
    amendment.decision_reason = ""
    amendment.decided_dt = None
    amendment.decided_by_id = None
    amendment.modified_replacement = ""
    _step(amendment, StepKind.RECONSIDERED, actor, reason)
    db.session.flush()
    audit(actor, "amendment.reconsider", amendment, source=source, target="admissible")
    _tell(amendment, f"Amendement n° {amendment.number} : de nouveau en examen", reason)
    _index(amendment)
    return amendment


def create_synthesis(
    actor: User,
    version: TextVersion,
    block: Block,
    merged: Sequence[Amendment],
    data: AmendmentData,
    *,
    today: dt.date,
) -> Amendment:
    """The committee writes an amendment de synthèse that replaces the amendments it merges."""
    convention = version.text.convention
    if not merged:
        raise DomainError("Un amendement de synthèse intègre au moins un amendement.")
    for amendment in merged:
        _ensure_reviewer(actor, amendment, today)
        if amendment.block_anchor != block.anchor or amendment.text_id != version.text_id:
            raise DomainError(
                f"L'amendement n° {amendment.number} porte sur un autre paragraphe : une synthèse "
                "réunit des amendements du même paragraphe."
            )
        check_amendment_transition(amendment.status, AmendmentStatus.MERGED, amendment.number)
    reason = _required_reason(data.rationale)
    change, first, last, citation = compute(version, block, data)
    synthesis = new_amendment(
        convention, version, block, change, first, last, citation,
        rationale=reason,
        status=AmendmentStatus.ADMISSIBLE,
        is_synthesis=True,
        submitted_by_id=actor.id,
        author_name=COMMITTEE_LABEL,
        admissibility_reason="Amendement de synthèse du comité de pilotage.",
        admissibility_dt=utcnow(),
    )  # fmt: skip
    _insert_numbered(synthesis)
    _step(synthesis, StepKind.SUBMITTED, actor, actor_label=COMMITTEE_LABEL)
    numbers = ", ".join(f"n° {a.number}" for a in merged)
    for amendment in merged:
        source = _move(amendment, AmendmentStatus.MERGED)
        amendment.merged_into = synthesis
        amendment.decision_reason = f"Intégré dans l'amendement de synthèse n° {synthesis.number}. {reason}"
        amendment.decided_dt = utcnow()
        amendment.decided_by_id = actor.id
        _step(amendment, StepKind.MERGED, actor, amendment.decision_reason)
        audit(actor, "amendment.merge", amendment, source=source, into=synthesis.number)
        _tell(
            amendment,
            f"Amendement n° {amendment.number} : intégré dans la synthèse n° {synthesis.number}",
            reason,
        )
        _index(amendment)
    db.session.flush()
    _join_cluster(synthesis, [Related(a, Relation.OVERLAP) for a in merged])
    audit(actor, "amendment.synthesis", synthesis, number=synthesis.number, merges=numbers)
    _index(synthesis)
    return synthesis


@dataclass
class BulkResult:
    done: list[int] = field(default_factory=list)  # amendment numbers
    refused: list[tuple[int, str]] = field(default_factory=list)  # number, French reason


class BulkAction:
    ADMISSIBLE = "recevable"
    INADMISSIBLE = "irrecevable"
    FAVORABLE = "avis-favorable"
    UNFAVORABLE = "avis-defavorable"
    ADOPT = "adopter"
    REJECT = "rejeter"
    ALL = (ADMISSIBLE, INADMISSIBLE, FAVORABLE, UNFAVORABLE, ADOPT, REJECT)


BULK_LABELS = {
    BulkAction.ADMISSIBLE: "Déclarer recevables",
    BulkAction.INADMISSIBLE: "Déclarer irrecevables",
    BulkAction.FAVORABLE: "Avis favorable",
    BulkAction.UNFAVORABLE: "Avis défavorable",
    BulkAction.ADOPT: "Adopter",
    BulkAction.REJECT: "Rejeter",
}


def bulk_review(
    actor: User, amendments: Iterable[Amendment], action: str, reason: str, *, today: dt.date
) -> BulkResult:
    """Apply one step with one reason to a selection or a cluster; each is checked on its own.

    An amendment the step does not apply to (already decided, not enough co-signatures…) is
    left as it is and reported; the others are changed in the same unit of work.
    """
    if action not in BulkAction.ALL:
        raise DomainError("Action groupée inconnue.")
    reason = _required_reason(reason)
    result = BulkResult()
    for amendment in amendments:
        try:
            with savepoint():
                if action == BulkAction.ADMISSIBLE:
                    declare_admissibility(actor, amendment, True, reason, today=today)
                elif action == BulkAction.INADMISSIBLE:
                    declare_admissibility(actor, amendment, False, reason, today=today)
                elif action == BulkAction.FAVORABLE:
                    give_opinion(actor, amendment, Opinion.FAVORABLE, reason, today=today)
                elif action == BulkAction.UNFAVORABLE:
                    give_opinion(actor, amendment, Opinion.UNFAVORABLE, reason, today=today)
                elif action == BulkAction.ADOPT:
                    decide_amendment(actor, amendment, AmendmentStatus.ADOPTED, reason, today=today)
                else:
                    decide_amendment(actor, amendment, AmendmentStatus.REJECTED, reason, today=today)
        except DomainError as error:
            db.session.expire(amendment)
            result.refused.append((amendment.number, str(error)))
        else:
            result.done.append(amendment.number)
    audit(
        actor, "amendment.bulk", None, bulk_action=action, done=result.done, refused=[n for n, _ in result.refused]
    )
    return result


# --- settings ---------------------------------------------------------------------------------------


def assign_chapter(actor: User, convention, chapter_anchor: str, group) -> ChapterAssignment | None:
    """Give a chapter's amendments to a working group's pilots (None: back to the committee)."""
    ensure(convention.is_steering(actor), "Seul le comité de pilotage répartit les chapitres.")
    if group is not None and group.convention_id != convention.id:
        raise DomainError("Ce groupe de travail n'appartient pas à la convention.")
    row = db.session.scalars(
        sa.select(ChapterAssignment).where(
            ChapterAssignment.convention_id == convention.id,
            ChapterAssignment.chapter_anchor == chapter_anchor,
        )
    ).first()
    before = row.working_group_id if row is not None else None
    if group is None:
        if row is not None:
            db.session.delete(row)
        row = None
    elif row is None:
        row = ChapterAssignment(
            convention_id=convention.id, chapter_anchor=chapter_anchor, working_group_id=group.id
        )
        db.session.add(row)
    else:
        row.working_group_id = group.id
    db.session.flush()
    after = group.id if group is not None else None
    if before != after:
        audit(actor, "amendment.assign_chapter", convention, chapter=chapter_anchor, before=before, after=after)
    return row


def set_cosignatures_required(actor: User, convention, required: int) -> None:
    """The number of co-signatures that makes a member's amendment admissible."""
    ensure(convention.is_steering(actor), "Seul le comité de pilotage règle le seuil de cosignatures.")
    if not 0 <= required <= 10_000:
        raise DomainError("Le seuil de cosignatures est un nombre entre 0 et 10 000.")
    if convention.amendment_cosignatures_required != required:
        before = convention.amendment_cosignatures_required
        convention.amendment_cosignatures_required = required
        db.session.flush()
        audit(actor, "amendment.threshold", convention, before=before, after=required)


# --- telling people ---------------------------------------------------------------------------------


def authors_to_notify(amendment: Amendment) -> list[User]:
    """The account that submitted it, the member who wrote it and the unit's secretaries."""
    users: dict[int, User] = {}
    if amendment.is_synthesis:
        return []
    if amendment.submitted_by_id is not None:
        user = db.session.get(User, amendment.submitted_by_id)
        if user is not None:
            users[user.id] = user
    if amendment.author_member_id is not None and not amendment.is_unit_amendment:
        user = db.session.scalar(sa.select(User).where(User.member_id == amendment.author_member_id))
        if user is not None:
            users[user.id] = user
    scope = None
    if amendment.section_id is not None:
        scope = (Role.SECTION_SECRETARY, RoleAssignment.section_id == amendment.section_id)
    elif amendment.federation_id is not None:
        scope = (Role.FEDERATION_SECRETARY, RoleAssignment.federation_id == amendment.federation_id)
    if scope is not None:
        role, condition = scope
        for user in db.session.scalars(
            sa.select(User).join(RoleAssignment).where(RoleAssignment.role == role, condition)
        ):
            users[user.id] = user
    return [u for u in users.values() if u.is_enabled]


def authors_of_many(amendments: Sequence[Amendment]) -> dict[int, list[User]]:
    """``authors_to_notify`` for many amendments in a few queries (amendment id → accounts)."""
    submitters = {a.submitted_by_id for a in amendments if a.submitted_by_id is not None and not a.is_synthesis}
    members = {
        a.author_member_id for a in amendments
        if a.author_member_id is not None and not a.is_unit_amendment and not a.is_synthesis
    }  # fmt: skip
    sections = {a.section_id for a in amendments if a.section_id is not None}
    federations = {a.federation_id for a in amendments if a.section_id is None and a.federation_id is not None}
    by_id = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(submitters)))} if submitters else {}
    by_member = (
        {u.member_id: u for u in db.session.scalars(sa.select(User).where(User.member_id.in_(members)))}
        if members else {}
    )  # fmt: skip
    secretaries: dict[tuple[str, int], list[User]] = {}
    for role, column, ids in (
        (Role.SECTION_SECRETARY, RoleAssignment.section_id, sections),
        (Role.FEDERATION_SECRETARY, RoleAssignment.federation_id, federations),
    ):
        if not ids:
            continue
        for unit_id, user in db.session.execute(
            sa.select(column, User).join(RoleAssignment.user).where(RoleAssignment.role == role, column.in_(ids))
        ):
            secretaries.setdefault((role.value, unit_id), []).append(user)
    result: dict[int, list[User]] = {}
    for amendment in amendments:
        users: dict[int, User] = {}
        if amendment.is_synthesis:
            result[amendment.id] = []
            continue
        if amendment.submitted_by_id in by_id:
            users[amendment.submitted_by_id] = by_id[amendment.submitted_by_id]
        if amendment.author_member_id in by_member and not amendment.is_unit_amendment:
            user = by_member[amendment.author_member_id]
            users[user.id] = user
        if amendment.section_id is not None:
            unit = (Role.SECTION_SECRETARY.value, amendment.section_id)
        elif amendment.federation_id is not None:
            unit = (Role.FEDERATION_SECRETARY.value, amendment.federation_id)
        else:
            unit = None
        for user in secretaries.get(unit, []) if unit else []:
            users[user.id] = user
        result[amendment.id] = [u for u in users.values() if u.is_enabled]
    return result


def cosigners_to_notify(amendment: Amendment) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(AmendmentCosignature, AmendmentCosignature.member_id == User.member_id)
            .where(AmendmentCosignature.amendment_id == amendment.id, User.is_enabled.is_(True))
        )
    )


def _tell(amendment: Amendment, subject: str, body: str, *, authors: bool = True) -> None:
    """Tell the authors (unless ``authors`` is False) and the co-signers of a step."""
    url = path_for("amendments.detail", amendment_id=amendment.id)
    people = {u.id: u for u in cosigners_to_notify(amendment)}
    if authors:
        people.update({u.id: u for u in authors_to_notify(amendment)})
    for user in people.values():
        notify(user, NotificationKind.AMENDMENT_DECISION, subject[:300], body, url)


def _index(amendment: Amendment) -> None:
    from convention.search.indexing import index_amendment

    index_amendment(amendment)
