"""Site paths, absolute links and French dates for pages, e-mails and feeds.

Every absolute URL the platform sends or publishes (e-mails, iCalendar feeds, API links) is
built here from ``PUBLIC_BASE_URL``, never from the request's ``Host`` or ``X-Forwarded-Host``:
a forged header must not put another site's address in a password reset e-mail or in a
cached public feed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from babel.dates import format_date
from flask import current_app, has_request_context, url_for

# The view arguments that name a row of one convention: ``path_for`` and ``external_url`` read the
# row's convention from them, so that a link sent about another convention's object (an e-mail,
# a notification) goes to that convention's pages and not to the featured one's.
OBJECT_ARGS = {
    "event_id": ("convention.calendar.models", "Event"),
    "contribution_id": ("convention.contributions.models", "Contribution"),
    "amendment_id": ("convention.amendments.models", "Amendment"),
    "poll_id": ("convention.votes.models", "Poll"),
    "text_id": ("convention.texts.models", "Text"),
    "assignment_id": ("convention.amendments.models", "ChapterAssignment"),
}


def job_convention(job_or_id: Any) -> Any:
    """The convention a job works for (its ``convention_id``, or its text's, version's or poll's), or None.

    A job's links (« Voir la structure lue », « Revenir aux documents ») are built in a worker,
    where no page names the convention: without this they would lead to the featured one.
    """
    from convention.conventions.models import Convention
    from convention.extensions import db
    from convention.jobs.models import Job

    job = db.session.get(Job, job_or_id) if isinstance(job_or_id, int) else job_or_id
    params = (job.params or {}) if job is not None else {}
    convention_id = params.get("convention_id")
    if not isinstance(convention_id, int):
        from convention.texts.models import Text, TextVersion
        from convention.votes.models import Poll

        row = None
        if isinstance(params.get("text_id"), int):
            row = db.session.get(Text, params["text_id"])
        elif isinstance(params.get("version_id"), int):
            version = db.session.get(TextVersion, params["version_id"])
            row = version.text if version is not None else None
        elif isinstance(params.get("poll_id"), int):
            row = db.session.get(Poll, params["poll_id"])
        convention_id = row.convention_id if row is not None else None
    return db.session.get(Convention, convention_id) if convention_id is not None else None


def _with_object_convention(endpoint: str, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with ``convention_slug`` set from the row an id argument names, when there is one.

    ``convention=`` (a Convention) may be passed instead, for a link without an id in it
    (« texts.index » of a given convention). Endpoints shared by every convention are left alone.
    """
    import importlib

    from convention.core.routing import SLUG_ARG, is_scoped_endpoint

    convention = values.pop("_convention", None)
    if SLUG_ARG in values or not is_scoped_endpoint(endpoint):
        return values
    if convention is None and isinstance(values.get("job_id"), int):
        convention = job_convention(values["job_id"])
    if convention is None:
        from convention.extensions import db

        for name, (module, model) in OBJECT_ARGS.items():
            if isinstance(values.get(name), int):
                row = db.session.get(getattr(importlib.import_module(module), model), values[name])
                if row is not None:
                    from convention.conventions.models import Convention

                    convention = db.session.get(Convention, row.convention_id)
                break
    if convention is not None:
        values[SLUG_ARG] = convention.slug  # the featured convention's is dropped: short paths
    return values


def path_for(endpoint: str, **values: Any) -> str:
    """The site path of ``endpoint`` (``/calendrier/12``), from a request or not.

    Outside a request (a worker, the scheduler) the path is built on ``PUBLIC_BASE_URL``'s host
    and path, not through a fake request: under ``TRUSTED_HOSTS`` a request for « localhost »
    would be refused. A link to a row of a convention goes to that convention's pages
    (``/c/<slug>/…`` unless it is the featured one); ``_convention=`` names the convention of a
    link without an id.
    """
    values = _with_object_convention(endpoint, values)
    if has_request_context():
        return url_for(endpoint, **values)
    base = urlsplit((current_app.config.get("PUBLIC_BASE_URL") or "http://localhost").strip().rstrip("/"))
    adapter = current_app.url_map.bind(
        base.netloc or "localhost", script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    anchor = values.pop("_anchor", None)
    current_app.inject_url_defaults(endpoint, values)
    path = adapter.build(endpoint, values)
    prefix = base.path.rstrip("/")
    if prefix and not path.startswith(prefix + "/"):
        path = prefix + path
    return path + ("#" + str(anchor) if anchor is not None else "")


def public_base_url() -> str:
    """``PUBLIC_BASE_URL`` without its trailing slash (checked at start-up by ``create_app``)."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").strip().rstrip("/")
    if not base:
        raise RuntimeError("PUBLIC_BASE_URL is not set: absolute links cannot be built.")
    return base


def external_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of ``endpoint`` on ``PUBLIC_BASE_URL``, from a request or not (see ``path_for``)."""
    values = _with_object_convention(endpoint, values)
    base = urlsplit(public_base_url())
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    anchor = values.pop("_anchor", None)
    current_app.inject_url_defaults(endpoint, values)
    url = adapter.build(endpoint, values, force_external=True)
    if anchor is not None:
        url += "#" + str(anchor)
    return url


def absolute(url: str) -> str:
    """A site path (``/calendrier/12``) made absolute on ``PUBLIC_BASE_URL``; other URLs as they are."""
    if url.startswith("/") and not url.startswith("//"):
        return public_base_url() + url
    return url


def validate_public_base_url(value: str | None) -> str | None:
    """An error message if ``value`` is not an absolute http(s) URL without query, else None."""
    if not value:
        return "PUBLIC_BASE_URL must be set (the site's address, e.g. https://convention.example.org)."
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        return f"PUBLIC_BASE_URL must be an absolute http(s) address, not {value!r}."
    return None


def french_date(day: dt.date) -> str:
    """« 1er mai 2026 », « 12 juin 2026 »: notifications are written in French."""
    text = format_date(day, "d MMMM y", locale="fr")
    return text.replace("1 ", "1er ", 1) if day.day == 1 else text
