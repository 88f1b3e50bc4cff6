"""The account e-mails (invitation, password reset), sent after the unit of work commits."""

from __future__ import annotations

import logging

from flask import current_app
from flask_mail import Message

from convention.core.links import external_url
from convention.extensions import mail

logger = logging.getLogger(__name__)


def _render(name: str, **context: object) -> str:
    # Not ``render_template``: its context processors query the database, and after-commit
    # callbacks run while the session is in its "committed" state, where no SQL may run.
    return current_app.jinja_env.get_template(name).render(**context)


def _send(kind: str, recipient: str, subject: str, link: str, **context: object) -> None:
    context = {"link": link, **context}
    message = Message(
        subject=subject,
        recipients=[recipient],
        body=_render(f"emails/auth/{kind}.txt", **context),
        html=_render(f"emails/auth/{kind}.html", **context),
    )
    mail.send(message)
    if current_app.config.get("MAIL_SUPPRESS_SEND"):
        # No SMTP server in development: the developer follows the link from the log.
        logger.info(
            "E-mail %s for %s not sent (MAIL_SUPPRESS_SEND); link: %s", kind, recipient, link
        )
    else:
        logger.info("E-mail %s sent to %s", kind, recipient)


def send_invitation(email: str, display_name: str, secret: str, hours: int) -> None:
    """Mail the one-time activation link of a new account."""
    _send(
        "invitation",
        email,
        "Activez votre compte de la convention nationale",
        external_url("auth.activate", token=secret),
        display_name=display_name,
        days=max(1, hours // 24),
        hours=hours,
    )


def send_password_reset(email: str, display_name: str, secret: str, hours: int) -> None:
    """Mail the one-time password reset link."""
    _send(
        "password_reset",
        email,
        "Réinitialisation de votre mot de passe",
        external_url("auth.reset_password", token=secret),
        display_name=display_name,
        hours=hours,
    )
