"""The page of a long job: a progress bar polled while it runs, then its result or its error."""

from __future__ import annotations

import io

from flask import Blueprint, abort, jsonify, render_template, send_file
from flask_login import current_user, login_required

from convention.extensions import db
from convention.jobs import operations, queries
from convention.jobs.models import Job, JobFileRole

bp = Blueprint("jobs", __name__, url_prefix="/travaux")

RECENT = 50


def _job_or_404(job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    # Someone else's job does not exist as far as this user knows.
    if job is None or not job.can_view(current_user):
        abort(404)
    return job


@bp.get("/")
@login_required
def index():
    return render_template("jobs/index.html", jobs=queries.list_started_by(current_user, RECENT))


@bp.get("/<int:job_id>")
@login_required
def show(job_id: int):
    job = _job_or_404(job_id)
    output = operations.file_of(job.id, JobFileRole.OUTPUT) if job.is_finished else None
    # A text export is shown to every member: who started it is theirs and the Bureau national's to know.
    show_creator = job.created_by_id == current_user.id or current_user.is_national_bureau
    return render_template("jobs/show.html", job=job, output=output, show_creator=show_creator)


@bp.get("/<int:job_id>/etat")
@login_required
def status(job_id: int):
    response = jsonify(_job_or_404(job_id).status())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<int:job_id>/fichier")
@login_required
def download(job_id: int):
    job = _job_or_404(job_id)
    output = operations.file_of(job.id, JobFileRole.OUTPUT)
    if output is None or not job.is_finished:
        abort(404)
    return send_file(
        io.BytesIO(output.data),
        mimetype=output.mimetype,
        as_attachment=True,
        download_name=output.filename,
        max_age=0,
    )
