"""The calendar: a month-by-month list, a month grid, one page per event, its forms and feeds."""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
from dataclasses import dataclass
from itertools import groupby

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import SelectChoice

from convention.calendar import operations, queries
from convention.calendar.forms import (
    ConfirmForm,
    EventForm,
    MessageForm,
    MinutesForm,
    format_people,
    parse_people,
)
from convention.calendar.ics import ics_response
from convention.calendar.models import (
    EVENT_KIND_LABELS,
    PARIS,
    REGISTRATION_STATUS_LABELS,
    Event,
    EventKind,
    RegistrationStatus,
)
from convention.conventions.scoping import found_in_convention
from convention.conventions.web import query_args, with_convention
from convention.core.db import utcnow
from convention.core.exports import csv_bytes
from convention.core.links import external_url
from convention.core.markdown import render_markdown
from convention.core.permissions import require
from convention.core.routing import int_arg
from convention.domain.errors import DomainError
from convention.extensions import db, limiter

bp = Blueprint("calendar", __name__, url_prefix="/calendrier")

VIEWS = ("liste", "grille")


@dataclass(frozen=True)
class Filters:
    kind: EventKind | None
    group_number: int | None
    federation_id: int | None = None

    @property
    def active(self) -> bool:
        return self.kind is not None or self.group_number is not None or self.federation_id is not None

    def as_args(self) -> dict[str, str]:
        args = {}
        if self.kind is not None:
            args["type"] = self.kind.value
        if self.group_number is not None:
            args["groupe"] = str(self.group_number)
        if self.federation_id is not None:
            args["federation"] = str(self.federation_id)
        return args


def _filters() -> Filters:
    kind_value = request.args.get("type", "")
    kind = EventKind(kind_value) if kind_value in EventKind._value2member_map_ else None
    group_number = int_arg("groupe")
    federation_id = int_arg("federation")
    return Filters(kind=kind, group_number=group_number, federation_id=federation_id)


def _month(value: str | None) -> dt.date | None:
    """The first day of the month named ``YYYY-MM``, or None if it does not parse."""
    try:
        first = dt.datetime.strptime(value or "", "%Y-%m").date()
    except ValueError:
        return None
    return first if 1900 <= first.year <= 2200 else None


def _shift_month(first: dt.date, months: int) -> dt.date:
    index = first.year * 12 + first.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_label(day: dt.date) -> str:
    """« Novembre 2024 » (in the page's language)."""
    label = format_date(day, "LLLL y")
    return label[:1].upper() + label[1:]


@bp.app_template_global("organises_events")
def organises_events() -> bool:
    """Does the signed-in user schedule events (pilot, committee, federation secretary)?"""
    from convention.core.templating import current_convention

    return operations.can_create_events(current_user, current_convention())


@bp.app_template_filter("month_label")
def month_label_filter(day: dt.date) -> str:
    return month_label(day)


@bp.get("/")
@with_convention
def index(convention):
    filters = _filters()
    view = request.args.get("vue") if request.args.get("vue") in VIEWS else "liste"
    common = {
        "filters": filters,
        "view": view,
        "month": None,
        "kind_labels": EVENT_KIND_LABELS,
        "group_choices": queries.list_group_choices(convention.id),
        "federation_choices": queries.list_federation_choices(convention.id),
        "can_create": operations.can_create_events(current_user, convention),
    }
    if view == "grille":
        return _grid(convention, filters, common)
    events = queries.list_events(
        convention.id,
        kind=filters.kind,
        working_group_number=filters.group_number,
        federation_id=filters.federation_id,
    )
    months = [
        (month, list(month_events)) for month, month_events in groupby(events, key=lambda e: e.day.replace(day=1))
    ]
    return render_template(
        "calendar/index.html",
        months=months,
        event_count=len(events),
        switch_args=_switch_args(filters, None),
        reset_args={"vue": "liste"},
        **common,
    )


def _switch_args(filters: Filters, month: dt.date | None) -> dict[str, dict[str, str]]:
    """Query arguments of the « list » and « grid » links, keeping the filters (and month)."""
    grid = {"vue": "grille", **filters.as_args()}
    if month is not None:
        grid["mois"] = month.strftime("%Y-%m")
    return {"liste": {"vue": "liste", **filters.as_args()}, "grille": grid}


def _grid(convention, filters: Filters, common: dict):
    today = dt.date.today()
    first = _month(request.args.get("mois"))
    if first is None:
        first = (queries.nearest_event_day(convention.id, today) or today).replace(day=1)
    following = _shift_month(first, 1)
    events = queries.list_events(
        convention.id,
        kind=filters.kind,
        working_group_number=filters.group_number,
        federation_id=filters.federation_id,
        start=first,
        end=following,
    )
    by_day: dict[dt.date, list[Event]] = {}
    for event in events:
        by_day.setdefault(event.day, []).append(event)
    weeks = [
        [(day, day.month == first.month, by_day.get(day, [])) for day in week]
        for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    ]
    previous = _shift_month(first, -1)
    common["month"] = first
    return render_template(
        "calendar/grid.html",
        weeks=weeks,
        events=events,
        switch_args=_switch_args(filters, first),
        reset_args={"vue": "grille", "mois": first.strftime("%Y-%m")},
        event_count=len(events),
        previous_args=query_args(vue="grille", mois=previous.strftime("%Y-%m")),
        next_args=query_args(vue="grille", mois=following.strftime("%Y-%m")),
        previous_month=previous,
        next_month=following,
        today=today,
        **common,
    )


def _load_event(convention, event_id: int) -> Event:
    return found_in_convention(queries.get_event(convention.id, event_id), Event, event_id, convention)


@bp.get("/<int:event_id>")
@with_convention
def event(convention, event_id: int):
    found = _load_event(convention, event_id)
    registration = None
    rank = None
    if current_user.is_authenticated:
        registration = queries.get_registration(found.id, current_user.id)
        rank = queries.waiting_rank(registration) if registration is not None else None
    counts = queries.count_registrations(found.id)
    registered = counts[RegistrationStatus.REGISTERED]
    return render_template(
        "calendar/event.html",
        event=found,
        kind_labels=EVENT_KIND_LABELS,
        registration=registration,
        waiting_rank=rank,
        registered_count=registered,
        waiting_count=counts[RegistrationStatus.WAITING],
        seats_left=None if found.capacity is None else max(0, found.capacity - registered),
        is_past=found.has_started(utcnow()),
        can_edit=found.can_edit(current_user),
        minutes_html=render_markdown(found.minutes),
        summary_html=render_markdown(found.hearing_summary),
        status_labels=REGISTRATION_STATUS_LABELS,
        confirm_form=ConfirmForm(),
    )


# --- creating and editing -----------------------------------------------------------------


def _event_form(convention, event: Event | None) -> EventForm:
    steering = convention.is_steering(current_user)
    allowed = operations.moderated_group_ids(current_user, convention)
    secretary_of = set() if steering else operations.secretary_federation_ids(current_user)
    form = EventForm(require_group=not steering, secretary_federation_ids=secretary_of)
    groups = queries.list_groups(convention.id)
    form.working_groups.choices = [
        SelectChoice(g.id, f"{g.number}. {g.title}") for g in groups if steering or g.id in allowed
    ]
    all_federations = queries.list_all_federations()
    form.federation.choices = [SelectChoice(0, _("Aucune"))] + [
        SelectChoice(fid, title) for fid, title in all_federations
    ]
    if not steering and not allowed and secretary_of:
        # A federation's first secretary who animates no group: federation meetings of theirs.
        form.restrict_to_federation_meetings([(fid, title) for fid, title in all_federations if fid in secretary_of])
    if event is None and request.method == "GET":
        # Preselect what the organiser can only mean: their one group, their one federation.
        if not steering and len(form.working_groups.choices) == 1:
            form.working_groups.data = [form.working_groups.choices[0].value]
        if not steering and not allowed and len(secretary_of) == 1:
            form.kind.data = EventKind.FEDERATION_MEETING.value
            form.federation.data = next(iter(secretary_of))
    if event is not None and request.method == "GET":
        local_start = event.local_start
        form.kind.data = event.kind.value
        form.title.data = event.title
        form.description.data = event.description
        form.day.data = local_start.date()
        form.is_all_day.data = event.is_all_day
        if not event.is_all_day:
            form.start_time.data = local_start.time().replace(second=0, microsecond=0)
            if event.local_end is not None:
                form.end_time.data = event.local_end.time().replace(second=0, microsecond=0)
        form.place.data = event.place
        form.online_url.data = event.online_url
        form.capacity.data = event.capacity
        form.federation.data = event.federation_id or 0
        form.working_groups.data = [g.id for g in event.working_groups if g.id in allowed or steering]
        form.hosts.data = format_people(event.hosts, with_details=False)
        form.experts.data = format_people(event.experts, with_details=True)
    return form


def _event_data(form: EventForm, event: Event | None, convention) -> operations.EventData:
    starts_dt, ends_dt = form.local_span()
    group_ids = list(form.working_groups.data or [])
    if event is not None and not convention.is_steering(current_user):
        # Groups the pilot does not animate are not in the form: they stay as they were.
        allowed = operations.moderated_group_ids(current_user, convention)
        group_ids += [g.id for g in event.working_groups if g.id not in allowed]
    return operations.EventData(
        kind=EventKind(form.kind.data),
        title=form.title.data or "",
        description=form.description.data or "",
        starts_dt=starts_dt,
        ends_dt=ends_dt,
        is_all_day=bool(form.is_all_day.data),
        place=form.place.data or "",
        online_url=form.online_url.data or "",
        capacity=form.capacity.data,
        federation_id=form.federation.data or None,
        federation_name=event.federation_name if event is not None and not form.federation.data else "",
        working_group_ids=group_ids,
        hosts=parse_people(form.hosts.data, with_details=False),
        experts=parse_people(form.experts.data, with_details=True),
    )


@bp.route("/nouveau", methods=["GET", "POST"])
@login_required
@with_convention
def create(convention):
    require(operations.can_create_events(current_user, convention))
    form = _event_form(convention, None)
    if form.validate_on_submit():
        try:
            created = operations.create_event(current_user, convention, _event_data(form, None, convention))
        except DomainError as error:
            db.session.rollback()
            form.title.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Le rendez-vous est programmé."), "success")
            return redirect(url_for(".event", event_id=created.id))
    return render_template("calendar/edit.html", form=form, event=None)


@bp.route("/<int:event_id>/modifier", methods=["GET", "POST"])
@login_required
@with_convention
def edit(convention, event_id: int):
    found = _load_event(convention, event_id)
    require(found.can_edit(current_user))
    form = _event_form(convention, found)
    if form.validate_on_submit():
        try:
            operations.update_event(current_user, found, _event_data(form, found, convention))
        except DomainError as error:
            db.session.rollback()
            form.title.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Le rendez-vous est modifié."), "success")
            return redirect(url_for(".event", event_id=found.id))
    return render_template("calendar/edit.html", form=form, event=found)


@bp.route("/<int:event_id>/compte-rendu", methods=["GET", "POST"])
@login_required
@with_convention
def minutes(convention, event_id: int):
    found = _load_event(convention, event_id)
    require(found.can_publish_minutes(current_user))
    form = MinutesForm()
    if not found.is_hearing:
        del form.hearing_summary
    if request.method == "GET":
        form.minutes.data = found.minutes
        if found.is_hearing:
            form.hearing_summary.data = found.hearing_summary
    is_past = found.has_started(utcnow())
    if form.validate_on_submit():
        try:
            operations.publish_minutes(
                current_user,
                found,
                form.minutes.data or "",
                (form.hearing_summary.data or "") if found.is_hearing else "",
            )
        except DomainError as error:
            db.session.rollback()
            form.minutes.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Le compte rendu est publié."), "success")
            return redirect(url_for(".event", event_id=found.id))
    return render_template("calendar/minutes.html", form=form, event=found, is_past=is_past)


# --- registrations ------------------------------------------------------------------------


@bp.post("/<int:event_id>/inscription")
@login_required
@with_convention
def register(convention, event_id: int):
    found = _load_event(convention, event_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        registration = operations.register_for_event(current_user, found)
    except operations.RegistrationError as error:
        db.session.rollback()
        flash(str(error), "warning")
    else:
        db.session.commit()
        if registration.status == RegistrationStatus.WAITING:
            flash(
                _(
                    "Le rendez-vous est complet : vous êtes sur la liste d'attente. "
                    "Vous serez prévenu·e si une place se libère."
                ),
                "info",
            )
        else:
            flash(_("Vous êtes inscrit·e à ce rendez-vous."), "success")
    return redirect(url_for(".event", event_id=found.id))


@bp.post("/<int:event_id>/desinscription")
@login_required
@with_convention
def unregister(convention, event_id: int):
    found = _load_event(convention, event_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        operations.cancel_registration(current_user, found)
    except operations.RegistrationError as error:
        db.session.rollback()
        flash(str(error), "warning")
    else:
        db.session.commit()
        flash(_("Votre inscription est annulée."), "success")
    return redirect(url_for(".event", event_id=found.id))


# --- the organisers' tools -------------------------------------------------------------------


@bp.get("/organisation")
@login_required
@with_convention
def organised(convention):
    """« Mes rendez-vous à organiser »: the events the user organises, with their registrations."""
    require(operations.can_create_events(current_user, convention))
    steering = convention.is_steering(current_user)
    events = queries.list_organised_events(
        convention.id,
        group_ids=None if steering else operations.moderated_group_ids(current_user, convention),
        federation_ids=operations.secretary_federation_ids(current_user),
    )
    counts = queries.count_registrations_by_event([e.id for e in events])
    now = utcnow()
    return render_template(
        "calendar/organised.html",
        upcoming=[e for e in events if not e.has_started(now)],
        past=[e for e in events if e.has_started(now)][::-1],
        counts=counts,
        steering=steering,
    )


def _load_managed_event(convention, event_id: int) -> Event:
    found = _load_event(convention, event_id)
    require(found.can_manage_registrations(current_user))
    return found


def _registrant_row(registration, rank: int | None) -> dict:
    user = registration.user
    member = user.member
    section = member.section if member is not None else None
    return {
        "registration": registration,
        "name": user.display_name,
        "last_name": member.last_name if member is not None else user.display_name,
        "first_name": member.first_name if member is not None else "",
        "section": section.name if section is not None else "",
        "federation": section.federation.title if section is not None else "",
        "rank": rank,
        "registered_dt": registration.created_dt,
    }


def _registrant_rows(event: Event) -> list[dict]:
    rows = []
    rank = 0
    for registration in queries.list_event_registrations(event.id):
        waiting = registration.status == RegistrationStatus.WAITING
        rank = rank + 1 if waiting else rank
        rows.append(_registrant_row(registration, rank if waiting else None))
    return rows


@bp.get("/<int:event_id>/inscrits")
@login_required
@with_convention
def registrations(convention, event_id: int):
    """Who registered for an event (seats, then the waiting list), for its organisers."""
    found = _load_managed_event(convention, event_id)
    rows = _registrant_rows(found)
    registered = [r for r in rows if r["rank"] is None]
    return render_template(
        "calendar/registrations.html",
        event=found,
        registered=registered,
        waiting=[r for r in rows if r["rank"] is not None],
        seats_left=None if found.capacity is None else max(0, found.capacity - len(registered)),
        is_past=found.has_started(utcnow()),
    )


CSV_HEADER = (
    _l("Statut"),
    _l("Rang sur la liste d'attente"),
    _l("Nom"),
    _l("Prénom"),
    _l("Section"),
    _l("Fédération"),
    _l("Inscription le"),
)


@bp.get("/<int:event_id>/inscrits.csv")
@login_required
@with_convention
def registrations_csv(convention, event_id: int):
    """The list of registrants as a CSV for French Excel (formula-safe cells); the download is logged."""
    found = _load_managed_event(convention, event_id)
    rows = _registrant_rows(found)
    data = csv_bytes(
        [str(label) for label in CSV_HEADER],
        (
            (
                _(_status_label(row)),
                row["rank"] or "",
                row["last_name"],
                row["first_name"],
                row["section"],
                row["federation"],
                row["registered_dt"].astimezone(PARIS).strftime("%d/%m/%Y %H:%M"),
            )
            for row in rows
        ),
    )
    operations.record_registrations_export(current_user, found, len(rows))
    db.session.commit()
    return Response(
        data,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="inscrits-rendez-vous-{found.id}.csv"'},
    )


def _message_context(found: Event, form: MessageForm) -> dict:
    value = form.audience.data
    if value not in operations.MessageAudience._value2member_map_:
        value = operations.MessageAudience.ALL.value
    audience = operations.MessageAudience(value)
    labels = {choice.value: choice.label for choice in form.audience.choices}
    return {
        "event": found,
        "form": form,
        "audience_label": labels[audience.value],
        "recipient_count": len(operations.message_recipient_ids(found, audience)),
        "counts": queries.count_registrations(found.id),
        "sent_recently": operations.messages_sent_recently(found, utcnow()),
        "limit": operations.MESSAGES_PER_EVENT_PER_DAY,
        "preview_subject": operations.message_subject(found, form.subject.data or ""),
        "preview_body": operations.message_body(current_user, form.body.data or ""),
    }


@bp.route("/<int:event_id>/inscrits/message", methods=["GET", "POST"])
@login_required
@with_convention
def message(convention, event_id: int):
    """Write to the registrants: the form, then (on submit) the message shown for confirmation."""
    found = _load_managed_event(convention, event_id)
    form = MessageForm()
    if form.validate_on_submit() and "modifier" not in request.form:
        context = _message_context(found, form)
        if context["recipient_count"] == 0:
            form.audience.errors.append(_("Personne n'est concerné·e : choisissez d'autres destinataires."))
        else:
            return render_template("calendar/message_confirm.html", **context)
    return render_template("calendar/message.html", **_message_context(found, form))


def _sender_key() -> str:
    """Messages are limited per account (and per address before logging in)."""
    if current_user.is_authenticated:
        return f"message-inscrits:{current_user.id}"
    return request.remote_addr or ""


@bp.post("/<int:event_id>/inscrits/message/envoi")
@limiter.limit("10 per hour", key_func=_sender_key, methods=["POST"])
@login_required
@with_convention
def send_message(convention, event_id: int):
    """Send the confirmed message: one notification per registrant, e-mailed after the commit."""
    found = _load_managed_event(convention, event_id)
    form = MessageForm()
    if not form.validate_on_submit():
        return render_template("calendar/message.html", **_message_context(found, form)), 422
    try:
        sent = operations.message_registrants(
            current_user,
            found,
            operations.MessageAudience(form.audience.data),
            form.subject.data or "",
            form.body.data or "",
        )
    except DomainError as error:
        db.session.rollback()
        form.body.errors.append(str(error))
        return render_template("calendar/message.html", **_message_context(found, form)), 409
    db.session.commit()
    flash(
        ngettext(
            "Le message est envoyé à %(num)d personne.",
            "Le message est envoyé à %(num)d personnes.",
            sent,
        ),
        "success",
    )
    return redirect(url_for(".registrations", event_id=found.id))


FEED_SECRET_KEY = "calendar_feed_secret"


@bp.get("/mes-inscriptions")
@login_required
def my_registrations():
    registrations = queries.list_user_registrations(current_user.id)
    now = utcnow()
    token = queries.get_feed_token(current_user.id)
    # The secret is only stored hashed: its address is shown once, right after its creation.
    secret = session.pop(FEED_SECRET_KEY, None) if token else None
    feed_url = external_url("calendar.private_feed", token=secret) if secret else None
    return render_template(
        "calendar/my_registrations.html",
        upcoming=[r for r in registrations if not r.event.has_started(now)],
        past=[r for r in registrations if r.event.has_started(now)],
        feed_url=feed_url,
        feed_token=token,
        confirm_form=ConfirmForm(),
        status_labels=REGISTRATION_STATUS_LABELS,
    )


@bp.post("/mes-inscriptions/flux")
@login_required
def regenerate_feed():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    had_one = queries.get_feed_token(current_user.id) is not None
    token = operations.regenerate_feed_token(current_user)
    db.session.commit()
    session[FEED_SECRET_KEY] = token.plain_secret  # for the next page only
    flash(
        _("Nouvelle adresse créée : l'ancienne ne fonctionne plus.")
        if had_one
        else _("Votre adresse d'abonnement est prête."),
        "success",
    )
    return redirect(url_for(".my_registrations"))


@bp.post("/mes-inscriptions/flux/suppression")
@login_required
def revoke_feed():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if operations.revoke_feed_token(current_user):
        db.session.commit()
        flash(_("L'adresse d'abonnement est supprimée."), "success")
    return redirect(url_for(".my_registrations"))


# --- iCalendar ------------------------------------------------------------------------------


@bp.get("/<int:event_id>.ics")
@with_convention
def event_ics(convention, event_id: int):
    found = _load_event(convention, event_id)
    member = current_user.is_authenticated
    return ics_response(
        [found],
        name=found.title,
        filename=f"rendez-vous-{found.id}.ics",
        private=member,  # with the video-call link, it is a member's copy: not for shared caches
        show_online_url=member,
    )


@bp.get("/flux/<token>.ics")
def private_feed(token: str):
    feed = queries.find_feed_token(token)
    if feed is None or not feed.user.is_enabled:
        abort(404)
    events = queries.list_user_feed_events(feed.user_id)
    return ics_response(
        events,
        name="Mes rendez-vous de la convention",
        filename="mes-rendez-vous.ics",
        description="Les rendez-vous de la convention auxquels je suis inscrit·e.",
        private=True,
        show_online_url=True,
    )


def _status_label(row) -> str:
    """The registration's French status label (translated by the caller)."""
    return row["registration"].status_label
