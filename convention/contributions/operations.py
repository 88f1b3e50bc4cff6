"""Writing contributions: submit, edit, withdraw, review and decide.

Every function takes the actor, checks the rule again (the views check first and answer
403), flushes, writes an audit entry and never commits. Attachment files are written when
received and old ones deleted only after the commit that stops referencing them.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from convention.contributions import attachments
from convention.contributions.models import (
    DECIDED_STATUSES,
    STATUS_LABELS,
    Channel,
    Contribution,
    can_submit,
    secretary_units,
    submissions_open,
)
from convention.core.after_commit import after_commit
from convention.core.audit import audit
from convention.core.db import db, savepoint, utcnow
from convention.core.links import path_for
from convention.core.permissions import ensure
from convention.domain.errors import DomainError
from convention.domain.lifecycle import (
    CONTRIBUTION_TRANSITIONS,
    ContributionStatus,
    check_transition,
)
from convention.domain.roles import Role
from convention.members.models import Federation, RoleAssignment, Section, User
from convention.notifications.models import NotificationKind
from convention.notifications.operations import notify
from convention.search.indexing import index_contribution

LIFECYCLE = "contribution"


@dataclass
class ContributionData:
    """What a member types in the form (validated by the form, checked again here)."""

    title: str
    body: str
    working_group: Any = None  # a WorkingGroup of the convention, or None for the whole
    unit: Section | Federation | None = None  # speaks for this unit (secretaries only)
    adopted_on: dt.date | None = None


def _max_bytes() -> int:
    from flask import current_app

    return int(current_app.config["CONTRIBUTION_MAX_ATTACHMENT_BYTES"])


def _check_data(convention, data: ContributionData) -> None:
    if not data.title.strip() or not data.body.strip():
        raise DomainError("Une contribution a un titre et un texte.")
    if data.working_group is not None and data.working_group.convention_id != convention.id:
        raise DomainError("Ce groupe de travail n'appartient pas à la convention.")


def _attach(contribution: Contribution, upload: attachments.Upload) -> str | None:
    """Store ``upload`` for ``contribution``; return the storage name it replaces, if any."""
    kind = attachments.check(upload.data, _max_bytes())
    previous = contribution.attachment_storage
    contribution.attachment_storage = attachments.store(upload.data)
    contribution.attachment_name = attachments.clean_name(upload.filename, kind)
    contribution.attachment_kind = kind.value
    contribution.attachment_size = len(upload.data)
    return previous


def _next_number(convention_id: int) -> int:
    highest = db.session.scalar(
        sa.select(sa.func.max(Contribution.number)).where(
            Contribution.convention_id == convention_id
        )
    )
    return (highest or 0) + 1


logger = logging.getLogger(__name__)

NUMBERING_ATTEMPTS = 5


def _insert_numbered(contribution: Contribution, convention_id: int) -> None:
    """Insert ``contribution`` with the next free number of its list.

    Two members submitting at the same moment may read the same highest number: the
    unique constraint refuses the second insert, which retries with the next number
    inside a savepoint, so the request's other work is kept.
    """
    for _ in range(NUMBERING_ATTEMPTS):
        contribution.number = _next_number(convention_id)
        try:
            with savepoint():
                db.session.add(contribution)
                db.session.flush()
            return
        except sa.exc.IntegrityError:
            logger.info("contribution number %s taken meanwhile, retrying", contribution.number)
    raise DomainError("Le dépôt n'a pas pu être numéroté : réessayez dans un instant.")


def submit_contribution(
    actor: User,
    convention,
    data: ContributionData,
    *,
    today: dt.date,
    upload: attachments.Upload | None = None,
) -> Contribution:
    """Record a contribution sent on the platform while contributions are open."""
    ensure(
        can_submit(actor, convention, today),
        "Le dépôt des contributions n'est pas ouvert, ou votre compte ne peut pas en déposer.",
    )
    _check_data(convention, data)
    contribution = Contribution(
        convention_id=convention.id,
        convention=convention,
        working_group=data.working_group,
        channel=Channel.PLATFORM,
        number=_next_number(convention.id),
        title=data.title.strip(),
        body=data.body.strip(),
        status=ContributionStatus.SUBMITTED,
        submitted_by_id=actor.id,
        author_name=actor.display_name,
    )
    if data.unit is not None:
        ensure(
            any(
                type(u) is type(data.unit) and u.id == data.unit.id for u in secretary_units(actor)
            ),
            "Vous ne pouvez déposer qu'au nom d'une section ou d'une fédération dont vous êtes "
            "secrétaire.",
        )
        if data.adopted_on is None:
            raise DomainError("Indiquez la date de la réunion qui a adopté la contribution.")
        if isinstance(data.unit, Section):
            contribution.section = data.unit
            contribution.federation_id = data.unit.federation_id
        else:
            contribution.federation = data.unit
        contribution.adopted_on = data.adopted_on
    else:
        contribution.author_member_id = actor.member_id
    if upload is not None:
        _attach(contribution, upload)
    _insert_numbered(contribution, convention.id)
    audit(
        actor,
        "contribution.submit",
        contribution,
        working_group_id=contribution.working_group_id,
        section_id=contribution.section_id,
        federation_id=contribution.federation_id if data.unit is not None else None,
        attachment=contribution.attachment_kind or None,
    )
    index_contribution(contribution)
    return contribution


def update_contribution(
    actor: User,
    contribution: Contribution,
    data: ContributionData,
    *,
    today: dt.date,
    upload: attachments.Upload | None = None,
    remove_attachment: bool = False,
) -> Contribution:
    """Let the author change a contribution until its examination starts."""
    ensure(contribution.can_edit(actor), "Cette contribution ne peut plus être modifiée.")
    ensure(
        submissions_open(contribution.convention, today),
        "Le dépôt des contributions est clos : elles ne peuvent plus être modifiées.",
    )
    _check_data(contribution.convention, data)
    changed = []
    for name, value in (("title", data.title.strip()), ("body", data.body.strip())):
        if getattr(contribution, name) != value:
            setattr(contribution, name, value)
            changed.append(name)
    if contribution.working_group_id != getattr(data.working_group, "id", None):
        contribution.working_group = data.working_group
        changed.append("working_group")
    is_unit = contribution.section_id is not None or contribution.federation_id is not None
    if is_unit and data.adopted_on and data.adopted_on != contribution.adopted_on:
        contribution.adopted_on = data.adopted_on
        changed.append("adopted_on")
    replaced = None
    if upload is not None:
        replaced = _attach(contribution, upload)
        changed.append("attachment")
    elif remove_attachment and contribution.attachment_storage:
        replaced = contribution.attachment_storage
        contribution.attachment_storage = None
        contribution.attachment_name = ""
        contribution.attachment_kind = ""
        contribution.attachment_size = None
        changed.append("attachment")
    if replaced:
        after_commit(db.session, attachments.discard, replaced)
    if changed:
        contribution.updated_dt = utcnow()
        db.session.flush()
        audit(actor, "contribution.update", contribution, fields=changed)
    index_contribution(contribution)
    return contribution


def _transition(actor: User, contribution: Contribution, target: ContributionStatus) -> str:
    source = contribution.status
    check_transition(CONTRIBUTION_TRANSITIONS, source, target, LIFECYCLE)
    contribution.status = target
    return source.value


def withdraw_contribution(actor: User, contribution: Contribution) -> Contribution:
    """The author (or the unit's secretary) withdraws it before a decision."""
    ensure(contribution.is_author_side(actor), "Seul l'auteur peut retirer sa contribution.")
    source = _transition(actor, contribution, ContributionStatus.WITHDRAWN)
    contribution.updated_dt = utcnow()
    db.session.flush()
    audit(actor, "contribution.withdraw", contribution, source=source, target="withdrawn")
    index_contribution(contribution)
    return contribution


def start_review(actor: User, contribution: Contribution) -> Contribution:
    """A moderator starts examining it: the author can no longer edit it."""
    ensure(
        contribution.can_moderate(actor), "Seuls les pilotes du groupe examinent ses contributions."
    )
    source = _transition(actor, contribution, ContributionStatus.UNDER_REVIEW)
    db.session.flush()
    audit(actor, "contribution.review", contribution, source=source, target="under_review")
    _notify_authors(
        contribution,
        f"Votre contribution « {_short(contribution.title)} » est en examen",
        "Les pilotes ont commencé l'examen de votre contribution ; vous ne pouvez plus la "
        "modifier, mais vous pouvez encore la retirer.",
    )
    index_contribution(contribution)
    return contribution


def decide_contribution(
    actor: User, contribution: Contribution, status: ContributionStatus, answer: str
) -> Contribution:
    """Record the moderators' decision with their written answer, and tell the authors."""
    ensure(
        contribution.can_moderate(actor), "Seuls les pilotes du groupe examinent ses contributions."
    )
    if status not in DECIDED_STATUSES:
        raise DomainError("Décision inconnue.")
    if not (answer or "").strip():
        raise DomainError("Une décision s'accompagne d'une réponse écrite.")
    source = _transition(actor, contribution, status)
    contribution.answer = answer.strip()
    contribution.decided_dt = utcnow()
    contribution.decided_by_id = actor.id
    db.session.flush()
    audit(actor, "contribution.decide", contribution, source=source, target=status.value)
    _notify_authors(
        contribution,
        f"Votre contribution « {_short(contribution.title)} » : {STATUS_LABELS[status].lower()}",
        contribution.answer,
    )
    index_contribution(contribution)
    return contribution


def _short(title: str, length: int = 80) -> str:
    return title if len(title) <= length else title[: length - 1].rstrip() + "…"


def authors_to_notify(contribution: Contribution) -> list[User]:
    """The account that submitted it, the member who wrote it, and the unit's secretaries."""
    users: dict[int, User] = {}
    if contribution.submitted_by_id is not None:
        user = db.session.get(User, contribution.submitted_by_id)
        if user is not None:
            users[user.id] = user
    if (
        contribution.author_member_id is not None
        and contribution.section_id is None
        and (contribution.federation_id is None)
    ):
        user = db.session.scalar(
            sa.select(User).where(User.member_id == contribution.author_member_id)
        )
        if user is not None:
            users[user.id] = user
    scope = None
    if contribution.section_id is not None:
        scope = (Role.SECTION_SECRETARY, RoleAssignment.section_id == contribution.section_id)
    elif contribution.federation_id is not None:
        scope = (
            Role.FEDERATION_SECRETARY,
            RoleAssignment.federation_id == contribution.federation_id,
        )
    if scope is not None:
        role, condition = scope
        for user in db.session.scalars(
            sa.select(User).join(RoleAssignment).where(RoleAssignment.role == role, condition)
        ):
            users[user.id] = user
    return [u for u in users.values() if u.is_enabled]


def _notify_authors(contribution: Contribution, subject: str, body: str) -> None:
    url = path_for("contributions.detail", contribution_id=contribution.id)
    for user in authors_to_notify(contribution):
        notify(user, NotificationKind.CONTRIBUTION_DECISION, subject[:300], body, url)
