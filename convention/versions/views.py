"""Pages of the text's versions (statuses, a new version from a file, differences between versions)."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Iterator, Sequence
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from convention.conventions.web import with_convention
from convention.core.pagination import page_arg
from convention.core.permissions import require
from convention.domain.amendments import word_diff
from convention.domain.consolidation import BlockChange
from convention.domain.textimport import parsed_from_dict, parsed_to_dict
from convention.domain.versions import STAGE_LABELS, allowed_targets, check_version_transition, is_notified
from convention.extensions import db
from convention.texts import queries as text_queries
from convention.texts.models import VersionStatus
from convention.versions import operations, queries
from convention.versions.forms import (
    PublishForm,
    StatusForm,
    TextFileForm,
    Upload,
    UploadExpired,
    form_memory_limit,
    needs_job,
    read_upload,
    sign_upload,
)

bp = Blueprint("versions", __name__, url_prefix="/texte/versions")
# The text page offers the import to those who may publish a version.
bp.add_app_template_global(operations.can_import_text, "can_import_text")

CHAPTERS_PER_PAGE = 8  # chapters with changes per page of the whole text's difference


class ListPage:
    """A page of a list already in memory, with what ``_macros/ui.html`` ``pagination`` reads."""

    def __init__(self, items: Sequence[Any], page: int, per_page: int) -> None:
        self.total = len(items)
        self.per_page = per_page
        self.pages = max(1, math.ceil(self.total / per_page))
        self.page = min(max(page, 1), self.pages)
        start = (self.page - 1) * per_page
        self.items = list(items[start : start + per_page])

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    def iter_pages(self, left_edge=1, left_current=2, right_current=2, right_edge=1) -> Iterator[int | None]:
        last = 0
        for number in range(1, self.pages + 1):
            if (
                number <= left_edge
                or self.page - left_current <= number <= self.page + right_current
                or number > self.pages - right_edge
            ):
                if last and number - last > 1:
                    yield None
                yield number
                last = number


def _text(convention):
    text = text_queries.get_main_text(convention.id)
    if text is None or not text.versions:
        abort(404)
    return text


def _version(text, number: int):
    version = text_queries.get_version(text, number)
    if version is None:
        abort(404)
    return version


def _target(value: str | None) -> VersionStatus:
    try:
        return VersionStatus(value or "")
    except ValueError:
        abort(404)


def _today() -> dt.date:
    return dt.date.today()


@bp.get("/")
@with_convention
def index(convention):
    """Every version of the text: its status, its date, links to read it and to its differences."""
    text = _text(convention)
    current = text.current_version
    can_manage = operations.can_manage_versions(current_user)
    return render_template(
        "versions/index.html",
        text=text,
        versions=queries.list_versions(text),
        current=current,
        block_counts=queries.version_counts(text),
        next_statuses=[VersionStatus(s) for s in allowed_targets(current.status)] if can_manage else [],
        can_manage=can_manage,
        can_import=operations.can_import_text(current_user, convention, _today()),
        STAGE_LABELS=STAGE_LABELS,
    )


# --- the status of a version ---------------------------------------------------------------------


@bp.route("/<int:number>/statut", methods=["GET", "POST"])
@login_required
@with_convention
def change_status(convention, number: int):
    """Confirm, then set, a new status of the current version (the Bureau national's)."""
    require(operations.can_manage_versions(current_user))
    text = _text(convention)
    version = _version(text, number)
    form = StatusForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        target = _target(form.status.data)
        operations.change_version_status(current_user, version, target)
        db.session.commit()
        flash(
            _(
                "La version %(number)s est désormais : %(status)s.",
                number=version.number,
                status=_(version.status_label),
            ),
            "success",
        )
        return redirect(url_for("versions.index"))
    target = _target(request.args.get("statut"))
    # An illegal step is refused before the confirmation (409, saying what is possible).
    check_version_transition(version.status, target, version.number, text.current_version.number)
    form.status.data = target.value
    return render_template(
        "versions/status_confirm.html",
        text=text,
        version=version,
        target=target,
        target_label=STAGE_LABELS[target],
        notified=is_notified(target),
        form=form,
    )


# --- a new version from a file ------------------------------------------------------------------------


def _preview_page(text, preview, upload: Upload, form: TextFileForm | None = None, status: int = 200):
    """The preview of a read file with the form that publishes it (or the file's problems)."""
    form = form if form is not None else TextFileForm(formdata=None)
    if not preview.ok:
        return render_template("versions/upload.html", form=form, text=text, preview=preview), 422
    token = sign_upload(upload)
    if len(token) > form_memory_limit() - 10_000:
        form.file.errors = [
            *form.file.errors,
            _("Fichier refusé : trop volumineux pour être montré avant sa publication."),
        ]
        return render_template("versions/upload.html", form=form, text=text, preview=None), 413
    publish = PublishForm(formdata=None, upload=token, statuses=operations.allowed_statuses(current_user))
    return render_template(
        "versions/preview.html", text=text, preview=preview, form=publish, segments=block_segments
    ), status


@bp.route("/nouvelle", methods=["GET", "POST"])
@login_required
@with_convention
def upload(convention):
    """Upload a file; show its structure, its report and what it changes (nothing is written here).

    A large file is read by a job: the page goes to the job's progress page, whose result links
    to the same preview.
    """
    require(operations.can_import_text(current_user, convention, _today()))
    text = text_queries.get_main_text(convention.id)
    form = TextFileForm()
    if form.validate_on_submit() and form.upload is not None:
        filename, data = form.upload
        if needs_job(data):
            job = operations.start_text_import(current_user, convention, filename, data, fmt=form.format.data)
            db.session.commit()
            flash(_("Fichier « %(name)s » reçu : sa lecture est lancée.", name=filename), "info")
            return redirect(url_for("jobs.show", job_id=job.id))
        preview = operations.preview_text_file(text, data, filename, form.format.data)
        if not preview.ok:
            return render_template("versions/upload.html", form=form, text=text, preview=preview), 422
        base_number = preview.base.number if preview.base is not None else None
        upload = Upload(filename, preview.format, base_number, hashlib.sha256(data).hexdigest(),
                        document=parsed_to_dict(preview.parsed), convention_id=convention.id,
                        text_id=text.id if text is not None else None)  # fmt: skip
        return _preview_page(text, preview, upload, form)
    status = 400 if form.errors else 200
    return render_template("versions/upload.html", form=form, text=text, preview=None), status


def _import_job(convention, job_id: int):
    """A finished import job of this convention, started by the current user (or any, for the Bureau national)."""
    from convention.jobs.models import Job, JobKind, JobState

    job = db.session.get(Job, job_id)
    if (
        job is None
        or job.kind != JobKind.TEXT_IMPORT
        or (job.params or {}).get("convention_id") != convention.id
        or not (job.created_by_id == current_user.id or operations.can_manage_versions(current_user))
    ):
        abort(404)
    if job.state != JobState.SUCCEEDED or not isinstance((job.result or {}).get("document"), dict):
        return job, None
    return job, parsed_from_dict(job.result["document"])


@bp.get("/nouvelle/travail/<int:job_id>")
@login_required
@with_convention
def job_preview(convention, job_id: int):
    """The preview of a file read by an import job, compared with the version current now."""
    require(operations.can_import_text(current_user, convention, _today()))
    job, parsed = _import_job(convention, job_id)
    if parsed is None:
        return redirect(url_for("jobs.show", job_id=job.id))
    text = text_queries.get_main_text(convention.id)
    filename = (job.params or {}).get("filename") or "texte"
    preview = operations.preview_parsed(text, parsed, filename)
    base_number = preview.base.number if preview.base is not None else None
    upload = Upload(filename, parsed.format, base_number, str(job.result.get("checksum") or ""), job_id=job.id,
                    convention_id=convention.id, text_id=text.id if text is not None else None)  # fmt: skip
    return _preview_page(text, preview, upload)


@bp.post("/nouvelle/publier")
@login_required
@with_convention
def publish(convention):
    """Publish the previewed file as the next version, with the status chosen."""
    require(operations.can_import_text(current_user, convention, _today()))
    form = PublishForm(statuses=operations.allowed_statuses(current_user))
    if not form.validate_on_submit():
        if "upload" in form.errors or "csrf_token" in form.errors:
            abort(400)
        flash(_("Statut ou libellé non valide : rien n'a été publié. Envoyez le fichier de nouveau."), "danger")
        return redirect(url_for("versions.upload"))
    text = text_queries.get_main_text(convention.id)
    try:
        # The token names the convention and the text it was previewed for: another's is refused.
        upload = read_upload(form.upload.data, convention_id=convention.id, text_id=text.id if text else None)
        if upload.job_id is not None:
            _job, parsed = _import_job(convention, upload.job_id)
        else:
            parsed = parsed_from_dict(upload.document or {})
        if parsed is None:
            raise UploadExpired("Le fichier lu n'est plus disponible : envoyez-le de nouveau.")
    except (UploadExpired, ValueError) as error:
        message = str(error) if isinstance(error, UploadExpired) else _("Le fichier de l'aperçu n'est pas lisible : "
                                                                           "envoyez-le de nouveau.")  # fmt: skip
        flash(message, "warning")
        return redirect(url_for("versions.upload"))
    version = operations.publish_parsed(
        current_user,
        convention,
        parsed,
        upload.filename,
        checksum=upload.checksum,
        status=VersionStatus(form.status.data),
        label=(form.label.data or "").strip(),
        base_number=upload.base,
        today=_today(),
    )
    db.session.commit()
    flash(
        _("La version %(number)s du texte est publiée ; les adhérent·es en sont prévenu·es.", number=version.number),
        "success",
    )
    return redirect(url_for("versions.index"))


# --- the difference between two versions ------------------------------------------------------------


def _number_arg(name: str, default: int | None) -> int | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or len(raw) > 9:
        abort(404)
    return int(raw)


REWRITE_SHARE = 0.35  # below this share of words kept, a paragraph reads as rewritten


def block_segments(block) -> list[tuple[str, str]]:
    """The segments of a BlockDiff, from the passages the comparison already found (no second diff)."""
    if not block.hunks:
        return segments(block.before, block.after)
    before = block.before
    kept = len(before) - sum(len(h.original) for h in block.hunks)
    if kept < REWRITE_SHARE * max(len(before), len(block.after), 1):
        return [("delete", before), ("equal", " "), ("insert", block.after)]
    parts: list[tuple[str, str]] = []
    position = 0
    for hunk in block.hunks:
        if hunk.start > position:
            parts.append(("equal", before[position : hunk.start]))
        if hunk.original:
            parts.append(("delete", hunk.original))
        if hunk.replacement:
            lead = " " if not hunk.original and hunk.start > 0 and hunk.replacement[0] not in ",.)]…" else ""
            parts.append(("insert", f"{lead}{hunk.replacement}"))
        position = hunk.end
    if position < len(before):
        parts.append(("equal", before[position:]))
    return parts


def segments(before: str, after: str) -> list[tuple[str, str]]:
    """Word-level segments (equal / delete / insert) turning ``before`` into ``after``.

    A paragraph rewritten almost entirely is shown as the old one struck then the new one
    underlined: word-level shreds of two different sentences cannot be read.
    """
    parts = word_diff(before, after)
    kept = sum(len(words) for op, words in parts if op == "equal" and words.strip())
    if kept < REWRITE_SHARE * max(len(before), len(after), 1):
        return [("delete", before), ("equal", " "), ("insert", after)]
    return parts


@bp.get("/difference")
@with_convention
def difference(convention):
    """The difference between versions ``de`` and ``a``, for one chapter or the whole text."""
    text = _text(convention)
    current = text.current_version
    previous = queries.previous_version(text, current)
    new_number = _number_arg("a", current.number)
    old_number = _number_arg("de", previous.number if previous else current.number)
    old, new = _version(text, old_number), _version(text, new_number)
    anchor = request.args.get("chapitre", "").strip() or None
    diff = queries.version_diff(text, old, new, anchor) if old.id != new.id else None
    chapter = None
    page = None
    if diff is not None:
        if anchor is not None:
            chapter = diff.chapter(anchor)
            if chapter is None:
                abort(404)
        else:
            page = ListPage(diff.changed_chapters, page_arg(), CHAPTERS_PER_PAGE)
    selector_chapters = list(diff.infos.items()) if diff else []
    return render_template(
        "versions/difference.html",
        text=text,
        old=old,
        new=new,
        diff=diff,
        chapter=chapter,
        anchor=anchor,
        page=page,
        selector_chapters=selector_chapters,
        versions=queries.list_versions(text),
        segments=block_segments,
        BlockChange=BlockChange,
    )
