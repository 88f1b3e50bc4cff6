"""The page of a long job: a progress bar polled while it runs, then its result or its error."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, jsonify, render_template, send_file
from flask_login import current_user, login_required

from convention.extensions import db
from convention.jobs import operations
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
    jobs = db.session.scalars(
        sa.select(Job).where(Job.created_by_id == current_user.id).order_by(Job.id.desc()).limit(RECENT)
    ).all()
    return render_template("jobs/index.html", jobs=jobs)


@bp.get("/<int:job_id>")
@login_required
def show(job_id: int):
    job = _job_or_404(job_id)
    output = operations.file_of(job.id, JobFileRole.OUTPUT) if job.is_finished else None
    return render_template("jobs/show.html", job=job, output=output)


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
    import io

    return send_file(
        io.BytesIO(output.data),
        mimetype=output.mimetype,
        as_attachment=True,
        download_name=output.filename,
        max_age=0,
    )
