"""The in-app notification centre."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from convention.extensions import db
from convention.notifications import operations, queries
from convention.notifications.models import Notification

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.app_context_processor
def inject_unread_count() -> dict:
    if current_user and current_user.is_authenticated:
        return {"unread_notifications": queries.count_unread(current_user)}
    return {"unread_notifications": 0}


@bp.get("/")
@login_required
def index():
    page = queries.list_for(current_user, page=request.args.get("page", 1, type=int))
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
