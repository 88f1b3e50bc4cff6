"""The append-only audit log: every state change writes one entry in the same transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column

from convention.core.db import Model, UTCDateTime, db, utcnow


class AuditEntry(Model):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(80), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int | None]
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    __table_args__ = (sa.Index("ix_audit_entry_object", "object_type", "object_id"),)

    def __repr__(self) -> str:
        return f"<AuditEntry {self.action} {self.object_type}#{self.object_id}>"


class AuditLogIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete an audit entry."""


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(mapper: Any, connection: Any, target: AuditEntry) -> None:
    raise AuditLogIsAppendOnly("audit entries cannot be modified")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(mapper: Any, connection: Any, target: AuditEntry) -> None:
    raise AuditLogIsAppendOnly("audit entries cannot be deleted")


def audit(actor: Any, action: str, obj: Any = None, **data: Any) -> AuditEntry:
    """Add an audit entry for ``action`` on ``obj`` by ``actor`` (a User or None for the system)."""
    if obj is not None and getattr(obj, "id", None) is None:
        db.session.flush()
    object_type = type(obj) if obj is not None else None
    entry = AuditEntry(**audit_values(actor, action, object_type, getattr(obj, "id", None), **data))
    db.session.add(entry)
    return entry


def audit_values(
    actor: Any, action: str, object_type: type | None, object_id: int | None, **data: Any
) -> dict[str, Any]:
    """The columns of the entry for ``action`` by ``actor`` on the object of class ``object_type`` and id
    ``object_id`` (None: no object): ``audit`` adds it through the session, ``AUDIT_INSERT`` without it."""
    return {
        "created_dt": utcnow(),
        "actor_id": getattr(actor, "id", None),
        "action": action,
        "object_type": object_type.__name__ if object_type is not None else "",
        "object_id": object_id,
        "data": _jsonable(data),
    }


# An audit entry written by one INSERT, without the unit of work: for the hot paths (a ballot cast),
# where the session has nothing else to flush and the object may not even be loaded.
AUDIT_INSERT = sa.insert(AuditEntry.__table__).values(
    {
        **{name: sa.bindparam(name) for name in ("created_dt", "actor_id", "action", "object_type", "object_id")},
        "data": sa.bindparam("data", type_=AuditEntry.__table__.c.data.type),
    }
)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if hasattr(value, "value") and not isinstance(value, str | int | float | bool):
        return value.value
    return value
