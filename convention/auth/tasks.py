"""Celery tasks of the accounts: they take plain values, call an operation and commit."""

from __future__ import annotations

from celery import shared_task

PASSWORD_RESET_TASK = "convention.auth.send_password_reset_link"


@shared_task(name=PASSWORD_RESET_TASK, acks_late=True)
def send_password_reset_link(email: str) -> None:
    """Look the address up and, if it is an active account's, mail it a reset link.

    Run out of the request, so that « mot de passe oublié » answers in the same time and
    with the same words whether the address exists or not.
    """
    from convention.auth import operations
    from convention.extensions import db

    operations.request_password_reset(email)
    db.session.commit()
