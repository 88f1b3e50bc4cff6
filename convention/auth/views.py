"""Views of the auth blueprint: log in and out, account page, activation, password reset."""

from __future__ import annotations

import datetime as dt
import logging

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.routing import BuildError

from convention.auth import operations
from convention.auth.forms import ForgotPasswordForm, LoginForm, LogoutForm, NewPasswordForm
from convention.core.errors import render_error
from convention.core.permissions import PermissionDenied
from convention.core.ratelimit import (
    login_account_key,
    login_account_limit,
    login_address_limit,
    login_failed,
)
from convention.core.security import safe_next_url
from convention.domain.errors import DomainError
from convention.extensions import db, limiter
from convention.members.models import TokenPurpose

logger = logging.getLogger(__name__)

bp = Blueprint("auth", __name__, url_prefix="/compte")


@bp.app_errorhandler(PermissionDenied)
def permission_denied(error: PermissionDenied):
    """An operation refused the actor; its French message says why (a closed phase, a role…)."""
    return render_error(403, str(error) or None)


def _login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def home_url() -> str:
    """The site's home page (the conventions blueprint's home when it exists)."""
    try:
        return url_for("conventions.home")
    except BuildError:
        return request.script_root + "/"


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit(login_address_limit, methods=["POST"], deduct_when=login_failed)
@limiter.limit(
    login_account_limit, key_func=login_account_key, methods=["POST"], deduct_when=login_failed
)
def login():
    next_url = safe_next_url(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("auth.account"))
    form = LoginForm()
    if form.validate_on_submit():
        user = operations.authenticate_user(form.email.data, form.password.data)
        if user is not None:
            login_user(user, remember=bool(form.remember.data))
            db.session.commit()
            flash(_("Vous êtes connecté·e."), "success")
            return redirect(next_url or url_for("auth.account"))
        # Same message whether the address is unknown, the password wrong or the account inactive.
        form.password.errors.append(_("Adresse électronique ou mot de passe incorrect."))
        return render_template("auth/login.html", form=form, next_url=next_url), 200
    return render_template("auth/login.html", form=form, next_url=next_url)


@bp.route("/deconnexion", methods=["POST"])
def logout():
    form = LogoutForm()
    if not form.validate_on_submit():
        return render_error(400)
    if current_user.is_authenticated:
        operations.log_out(current_user._get_current_object())
        db.session.commit()
        logout_user()
        flash(_("Vous êtes déconnecté·e."), "info")
    return redirect(home_url())


@bp.route("/deconnexion-partout", methods=["POST"])
@login_required
def logout_everywhere():
    form = LogoutForm()
    if not form.validate_on_submit():
        return render_error(400)
    operations.log_out(current_user._get_current_object(), everywhere=True)
    db.session.commit()
    logout_user()
    flash(_("Vous êtes déconnecté·e de tous vos appareils."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/")
@login_required
def account():
    member = current_user.member
    today = dt.date.today()
    return render_template(
        "auth/account.html",
        logout_form=LogoutForm(),
        user=current_user,
        member=member,
        dues_paid=member.is_dues_paid(today) if member is not None else False,
        roles=sorted(current_user.roles, key=lambda a: (a.role.value, a.id)),
    )


def _token_page(purpose: TokenPurpose, token: str, template: str, title: str):
    """Shared flow of the activation and reset pages: check the link, then the password."""
    try:
        operations.get_usable_token(token, purpose)
    except operations.TokenError as error:
        return render_template("auth/token_invalid.html", message=str(error), title=title), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        action = (
            operations.activate_account
            if purpose is TokenPurpose.INVITATION
            else operations.reset_password
        )
        try:
            user = action(token, form.password.data)
        except operations.TokenError as error:
            db.session.rollback()
            return render_template("auth/token_invalid.html", message=str(error), title=title), 400
        except DomainError as error:
            db.session.rollback()
            form.password.errors.append(str(error))
        else:
            db.session.commit()
            if current_user.is_authenticated:
                logout_user()
            flash(
                _("Votre compte est activé. Connectez-vous avec votre nouveau mot de passe.")
                if purpose is TokenPurpose.INVITATION
                else _("Votre mot de passe a été changé. Connectez-vous avec le nouveau."),
                "success",
            )
            logger.info("User %s set a password (%s)", user.id, purpose.value)
            return redirect(url_for("auth.login"))
    return render_template(template, form=form, title=title)


@bp.route("/activation/<token>", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
def activate(token: str):
    return _token_page(
        TokenPurpose.INVITATION, token, "auth/activate.html", _("Activer votre compte")
    )


@bp.route("/reinitialisation/<token>", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
def reset_password(token: str):
    return _token_page(
        TokenPurpose.PASSWORD_RESET, token, "auth/reset_password.html", _("Nouveau mot de passe")
    )


def queue_password_reset(email: str) -> None:
    """Hand the reset request to a task; if the broker cannot take it, do it here."""
    from convention.auth.tasks import PASSWORD_RESET_TASK

    try:
        # Through this app's Celery (as the notifications do), not the process's default one,
        # which another app of the same process may have become.
        current_app.extensions["celery"].tasks[PASSWORD_RESET_TASK].delay(email)
    except Exception:  # noqa: BLE001 (a broker outage must not show the member an error)
        logger.exception("Password reset task could not be queued; handled in the request")
        db.session.rollback()
        operations.request_password_reset(email)
        db.session.commit()


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        # The same answer, in the same time, for any address: the look-up and the mail are
        # the task's (a worker's in production).
        queue_password_reset(form.email.data)
        flash(
            _(
                "Si un compte actif correspond à cette adresse, un lien de réinitialisation "
                "vient de lui être envoyé. Il est valable %(hours)d heures.",
                hours=int(current_app.config["PASSWORD_RESET_TOKEN_HOURS"]),
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)
