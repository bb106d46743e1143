"""A job's progress page, its progress for the page's script, its file, and one's recent jobs.

Only the person who asked for a job sees it: anyone else's job is a 404, as if it did not exist.
"""

from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, jsonify, render_template, send_file, url_for
from flask_login import current_user

from incometrack import policy
from incometrack.auth.access import roles_required
from incometrack.extensions import db
from incometrack.jobs.queue import file_path, jobs_of, progress_of
from incometrack.models import JOB_STATUS_LABELS, Job, JobStatus
from incometrack.services import jobs as job_service

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

_JOB_ID = re.compile(r"[0-9a-f]{32}")


def _own_or_404(job_id: str) -> Job:
    if not _JOB_ID.fullmatch(job_id):
        abort(404)
    job = job_service.owned(db.session, job_id, current_user)
    if job is None:
        abort(404)
    return job


def _state(job: Job) -> dict[str, object]:
    done = (
        job.total if job.status in (JobStatus.DONE, JobStatus.EXPIRED) else progress_of(current_app, job.id)
    )
    done = min(done, job.total) if job.total else done
    return {
        "status": job.status.value,
        "label": JOB_STATUS_LABELS[job.status],
        "done": done,
        "total": job.total,
        "percent": (100 * done // job.total) if job.total else (100 if job.finished else 0),
        "finished": job.finished,
    }


@bp.route("/")
@roles_required(policy.EVERYONE)
def index():
    """One's own jobs of late, newest first: a download can be fetched again from here."""
    return render_template(
        "jobs/index.html", jobs=job_service.recent(db.session, current_user), labels=JOB_STATUS_LABELS
    )


@bp.route("/<job_id>")
@roles_required(policy.EVERYONE)
def progress(job_id: str):
    """How far the job has got; its file, result or reason once it has ended."""
    job = _own_or_404(job_id)
    return render_template("jobs/progress.html", job=job, state=_state(job), labels=JOB_STATUS_LABELS)


@bp.route("/<job_id>/progress.json")
@roles_required(policy.EVERYONE)
def progress_json(job_id: str):
    """The progress page's script asks here every two seconds."""
    job = _own_or_404(job_id)
    response = jsonify({**_state(job), "page": url_for("jobs.progress", job_id=job.id)})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<job_id>/file")
@roles_required(policy.EVERYONE)
def download(job_id: str):
    """The job's file, while it is kept."""
    job = _own_or_404(job_id)
    path = file_path(jobs_of(current_app).folder, job.id)
    if job.status != JobStatus.DONE or not job.file_name or not path.is_file():
        abort(404)
    return send_file(path, mimetype=job.mimetype, as_attachment=True, download_name=job.file_name, max_age=0)
