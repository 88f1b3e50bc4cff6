"""Following working groups, and telling their followers about new events.

Every function takes the actor, checks the permission again, flushes, audits and never commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from convention.core.audit import audit
from convention.core.db import db, savepoint, utcnow
from convention.core.permissions import ensure
from convention.groups.models import GroupFollow, WorkingGroup

_NOT_ALLOWED_FOLLOW = "Connectez-vous pour suivre un groupe de travail."


def _follow_of(user: Any, group: WorkingGroup) -> GroupFollow | None:
    return db.session.scalars(
        sa.select(GroupFollow).where(
            GroupFollow.user_id == user.id, GroupFollow.working_group_id == group.id
        )
    ).first()


def follow_group(actor: Any, group: WorkingGroup) -> bool:
    """``actor`` follows ``group``; False if they already did (a double submission included)."""
    ensure(group.can_follow(actor), _NOT_ALLOWED_FOLLOW)
    if _follow_of(actor, group) is not None:
        return False
    try:
        with savepoint():
            db.session.add(GroupFollow(user_id=actor.id, working_group_id=group.id))
    except IntegrityError:  # the same form submitted twice at once: one follow only
        return False
    audit(actor, "group.follow", group, user_id=actor.id)
    db.session.flush()
    return True


def unfollow_group(actor: Any, group: WorkingGroup) -> bool:
    """``actor`` stops following ``group``; False if they did not follow it."""
    ensure(group.can_follow(actor), _NOT_ALLOWED_FOLLOW)
    follow = _follow_of(actor, group)
    if follow is None:
        return False
    db.session.delete(follow)
    audit(actor, "group.unfollow", group, user_id=actor.id)
    db.session.flush()
    return True


def follower_ids(group_ids: Iterable[int], *, excluded_group_ids: Iterable[int] = ()) -> set[int]:
    """Enabled users following one of ``group_ids`` and none of ``excluded_group_ids``."""
    from convention.members.models import User

    group_ids = list(group_ids)
    if not group_ids:
        return set()
    ids = set(
        db.session.scalars(
            sa.select(GroupFollow.user_id)
            .join(User, User.id == GroupFollow.user_id)
            .where(GroupFollow.working_group_id.in_(group_ids), User.is_enabled.is_(True))
        )
    )
    excluded_group_ids = list(excluded_group_ids)
    if ids and excluded_group_ids:
        ids -= set(
            db.session.scalars(
                sa.select(GroupFollow.user_id).where(GroupFollow.working_group_id.in_(excluded_group_ids))
            )
        )
    return ids


def notify_followers(actor: Any, event: Any, *, already_notified_group_ids: Iterable[int] = ()) -> int:
    """Tell the followers of ``event``'s groups about it: once each, never the actor.

    ``already_notified_group_ids``: groups the event was already in (an edit that adds
    groups tells only the followers of the new ones). Nothing for an event already begun.
    Returns how many notifications were written.
    """
    from convention.core.links import french_date, path_for
    from convention.notifications.models import NotificationKind
    from convention.notifications.operations import notify_many

    if event.has_started(utcnow()):
        return 0
    groups = list(event.working_groups)
    ids = follower_ids([g.id for g in groups], excluded_group_ids=already_notified_group_ids)
    ids.discard(getattr(actor, "id", None))
    if not ids:
        return 0
    start = event.local_start
    when = french_date(start.date()) + ("" if event.is_all_day else f" à {start:%H:%M}")
    names = ", ".join(f"groupe {g.number} « {g.title} »" for g in groups)
    body = [f"{event.kind_label} : « {event.title} », le {when} ({names})."]
    if event.place:
        body.append(f"Lieu : {event.place}")
    if event.online_url:
        body.append("Rendez-vous en ligne.")
    return notify_many(
        ids,
        NotificationKind.GROUP_EVENT,
        f"Nouveau rendez-vous : « {event.title} » le {when}",
        "\n".join(body),
        path_for("calendar.event", event_id=event.id),
    )
