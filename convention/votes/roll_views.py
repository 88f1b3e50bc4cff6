"""The electoral roll seen by those who need it: its hash and counts, « suis-je inscrit·e ? », later changes."""

from __future__ import annotations

from typing import Any

from convention.votes.blueprint import bp  # noqa: F401  (routes of this module register on the vote's blueprint)
from convention.votes.models import Poll


def poll_context(poll: Poll, user: Any) -> dict[str, Any]:
    """What the poll page needs from this module (merged into its template context)."""
    return {}
