"""The calendar: a month-by-month list, a month grid, and one page per event."""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
from dataclasses import dataclass
from itertools import groupby

from flask import Blueprint, abort, render_template, request
from flask_babel import format_date

from convention.calendar import queries
from convention.calendar.models import EVENT_KIND_LABELS, Event, EventKind
from convention.conventions.web import query_args, with_convention

bp = Blueprint("calendar", __name__, url_prefix="/calendrier")

VIEWS = ("liste", "grille")


@dataclass(frozen=True)
class Filters:
    kind: EventKind | None
    group_number: int | None

    @property
    def active(self) -> bool:
        return self.kind is not None or self.group_number is not None

    def as_args(self) -> dict[str, str]:
        args = {}
        if self.kind is not None:
            args["type"] = self.kind.value
        if self.group_number is not None:
            args["groupe"] = str(self.group_number)
        return args


def _filters() -> Filters:
    kind_value = request.args.get("type", "")
    kind = EventKind(kind_value) if kind_value in EventKind._value2member_map_ else None
    group_number = request.args.get("groupe", type=int)
    return Filters(kind=kind, group_number=group_number)


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
    }
    if view == "grille":
        return _grid(convention, filters, common)
    events = queries.list_events(
        convention.id, kind=filters.kind, working_group_number=filters.group_number
    )
    months = [
        (month, list(month_events))
        for month, month_events in groupby(events, key=lambda e: e.day.replace(day=1))
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
        start=first,
        end=following,
    )
    by_day: dict[dt.date, list[Event]] = {}
    for event in events:
        by_day.setdefault(event.day, []).append(event)
    weeks = [
        [(day, day.month == first.month, by_day.get(day, [])) for day in week]
        for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(
            first.year, first.month
        )
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


@bp.get("/<int:event_id>")
@with_convention
def event(convention, event_id: int):
    found = queries.get_event(convention.id, event_id)
    if found is None:
        abort(404)
    return render_template("calendar/event.html", event=found, kind_labels=EVENT_KIND_LABELS)
