"""The in-app notification centre."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from convention.core.errors import render_error
from convention.core.pagination import page_arg
from convention.extensions import csrf, db
from convention.members.models import User
from convention.notifications import delivery, operations, queries
from convention.notifications.forms import UnsubscribeForm, chosen_frequencies, preferences_form
from convention.notifications.models import NOTIFICATION_KIND_LABELS, Notification, NotificationFrequency

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.app_context_processor
def inject_unread_count() -> dict:
    if current_user and current_user.is_authenticated:
        return {"unread_notifications": queries.count_unread(current_user)}
    return {"unread_notifications": 0}


@bp.get("/")
@login_required
def index():
    page = queries.list_for(current_user, page=page_arg())
    return render_template("notifications/index.html", page=page)


@bp.post("/<int:notification_id>/lue")
@login_required
def read(notification_id: int):
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != current_user.id:
        abort(404)
    operations.mark_read(current_user, notification)
    db.session.commit()
    if notification.url and notification.url.startswith("/") and not notification.url.startswith("//"):
        return redirect(notification.url)
    return redirect(url_for(".index"))


@bp.post("/tout-lu")
@login_required
def read_all():
    count = operations.mark_all_read(current_user)
    db.session.commit()
    flash(f"{count} notification(s) marquée(s) comme lue(s).", "success")
    return redirect(url_for(".index"))


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    form = preferences_form(queries.preferences_of(current_user.id))
    if form.validate_on_submit():
        changed = operations.set_preferences(current_user, current_user, chosen_frequencies(form))
        db.session.commit()
        flash(
            "Vos préférences de notification sont enregistrées."
            if changed
            else "Aucune préférence n'a changé.",
            "success",
        )
        return redirect(url_for(".preferences"))
    from convention.groups.queries import list_followed_groups

    return render_template(
        "notifications/preferences.html",
        form=form,
        followed_groups=list_followed_groups(current_user.id),
    )


@bp.route("/desabonnement/<token>", methods=["GET", "POST"])
@csrf.exempt  # the secret token is the credential; RFC 8058 one-click POSTs carry no CSRF token
def unsubscribe(token: str):
    data = delivery.read_unsubscribe_token(token)
    user = db.session.get(User, data[0]) if data else None
    if user is None:
        return render_error(
            404,
            "Ce lien de désabonnement n'est plus valable (il expire au bout d'un an). "
            "Connectez-vous pour régler vos préférences de notification.",
        )
    kinds = data[1]
    labels = [NOTIFICATION_KIND_LABELS[kind] for kind in kinds]
    if request.method == "POST":
        operations.set_preferences(None, user, {kind: NotificationFrequency.NEVER for kind in kinds})
        db.session.commit()
        return render_template("notifications/unsubscribe.html", labels=labels, done=True, form=None)
    # GET only asks: mail scanners that open links must not unsubscribe anyone.
    return render_template("notifications/unsubscribe.html", labels=labels, done=False, form=UnsubscribeForm())
