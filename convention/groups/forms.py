"""Working-group forms: validation only."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField

from convention.core.security import safe_next_url


class FollowForm(FlaskForm):
    """The « Suivre ce groupe » / « Ne plus suivre » buttons: a CSRF token and where to go back."""

    next = HiddenField()

    def safe_next(self) -> str | None:
        """The page to go back to, if it is a path on this site."""
        return safe_next_url((self.next.data or "").strip())
