"""The job queue: long downloads and imports run by ``flask --app wsgi worker``, not the request.

A view that finds its work too long for a request calls :func:`start`: the request is recorded as
a :class:`~incometrack.models.Job` and its id put on the queue, and the person is sent to the
job's progress page at once. A worker takes the id, claims the job (once, whichever worker gets
it) and makes the same request again on the person's behalf, inside the worker: the same view,
filters and access checks, so a list's download is declared in one place whether it is sent at
once or later. Inside a job :func:`current` is the job's :class:`Handle`, which the download
helpers write the file through and report progress to.

The queue is huey's: on Redis when ``REDIS_URL`` is set, else in the database the app uses
(PostgreSQL tables named ``job_queue_*``), else for SQLite in a file of its own beside the
database (``<name>-jobs.db``, so queueing never waits for the app's write lock). Progress and
each running job's heartbeat live beside the queue too, so updating them never waits for the
database a long import is writing.

A worker that is killed leaves its job "running" with no heartbeat: every minute (and when a
worker starts) such a job's half-written file and temporary files are deleted and it is queued
again, or marked failed once it has stopped :data:`~incometrack.services.jobs.MAX_ATTEMPTS`
times.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from flask import Flask, Response, current_app, g, get_flashed_messages, redirect, request, url_for
from flask_login import current_user, login_user
from sqlalchemy.engine import make_url
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from incometrack.database import start_writing
from incometrack.exports.files import write_atomically
from incometrack.extensions import JOB_QUEUE_TABLES, db
from incometrack.models import Job, User
from incometrack.models.base import utcnow
from incometrack.services import jobs as job_service

if TYPE_CHECKING:  # huey (and redis with it) is imported when a queue is made, not by every command
    from huey import Huey

log = logging.getLogger(__name__)

#: How often a running job's heartbeat is written.
BEAT_SECONDS = 5
#: A job waiting longer than this is put on the queue again (the first message may be lost with
#: a Redis or queue file that was reset); claiming keeps it from running twice.
REQUEUE_WAITING_AFTER = timedelta(minutes=5)
#: Progress is written at most this often.
PROGRESS_SECONDS = 0.5
#: The table prefix of the queue's own tables in PostgreSQL.
TABLE_PREFIX = JOB_QUEUE_TABLES.rstrip("_")


@dataclass
class Jobs:
    """The app's queue and its tasks (``app.extensions["jobs"]``)."""

    queue: Huey
    run: Callable
    recover: Callable
    app: Flask

    @property
    def folder(self) -> Path:
        """Where jobs' files are written: ``EXPORTS_DIR/jobs``, shared by every host's workers."""
        return Path(self.app.config["EXPORTS_DIR"]) / "jobs"


def make_queue(config) -> Huey:
    """huey on Redis, PostgreSQL or a SQLite file, from the settings (see the module's text)."""
    from huey import MemoryHuey, PostgresHuey, RedisHuey, SqliteHuey

    name = "incometrack"
    if config.get("JOBS_IMMEDIATE"):  # tests: a job runs as soon as it is queued, in the caller
        return MemoryHuey(name, immediate=True, results=False)
    if url := config.get("REDIS_URL"):
        return RedisHuey(name, url=url, results=False)
    database = make_url(config["SQLALCHEMY_DATABASE_URI"])
    if database.get_backend_name() == "postgresql":
        dsn = postgres_dsn(config["SQLALCHEMY_DATABASE_URI"])
        return PostgresHuey(name, dsn=dsn, table_prefix=TABLE_PREFIX, results=False)
    return SqliteHuey(name, filename=queue_file(config), results=False)


def postgres_dsn(url: str) -> str:
    """The app's SQLAlchemy URL (``postgresql+psycopg://…``) as psycopg's own connection string."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def queue_file(config) -> str:
    if path := config.get("JOBS_QUEUE_FILE"):
        return str(path)
    database = make_url(config["SQLALCHEMY_DATABASE_URI"]).database
    if database in (None, "", ":memory:"):
        return str(Path(tempfile.gettempdir()) / "incometrack-jobs.db")
    path = Path(database)
    return str(path.with_name(f"{path.stem}-jobs.db"))


def init_app(app: Flask) -> None:
    """Give the app its queue (made when first used, so starting the app connects to nothing)."""
    holder: dict[str, Jobs] = {}

    def jobs() -> Jobs:
        if "jobs" not in holder:
            from huey import crontab

            queue = make_queue(app.config)

            @queue.task(name="run_job")
            def run(job_id: str) -> None:
                run_job(app, job_id)

            @queue.periodic_task(crontab(minute="*"), name="recover_jobs")
            def recover() -> None:
                recover_jobs(app)

            holder["jobs"] = Jobs(queue, run, recover, app)
        return holder["jobs"]

    app.extensions["jobs"] = jobs


def jobs_of(app: Flask) -> Jobs:
    return app.extensions["jobs"]()


# Starting a job (in the request) -----------------------------------------------------------


def start(title: str, *, total: int, back: str) -> Response:
    """Record this request as a job for the signed-in person, queue it, and send them to its
    progress page."""
    form = {key: values for key, values in request.form.lists() if key != "csrf_token"}
    start_writing(db.session)
    job = job_service.create(
        db.session,
        owner=current_user,
        title=title,
        method=request.method,
        path=request.full_path.rstrip("?"),
        form=form,
        back=back,
        total=total,
    )
    job_id = job.id
    db.session.commit()
    jobs_of(current_app).run(job_id)
    return redirect(url_for("jobs.progress", job_id=job_id), 303)


def current() -> Handle | None:
    """The job this request is being made for inside a worker; None in a person's own request."""
    return g.get("job")


# Running a job (in the worker) -------------------------------------------------------------


class JobFailed(Exception):
    """The job could not be done; the message says why in plain words."""


class Handle:
    """What a view making a job's request writes its file through and reports progress to."""

    def __init__(self, jobs: Jobs, job: Job) -> None:
        self.jobs, self.id, self.total = jobs, job.id, job.total
        self.file_name: str | None = None
        self.mimetype: str | None = None
        self._reported = 0.0

    @property
    def target(self) -> Path:
        return file_path(self.jobs.folder, self.id)

    def progress(self, done: int, *, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._reported >= PROGRESS_SECONDS:
            self._reported = now
            self.jobs.queue.put(f"progress:{self.id}", done)

    def counting(self, rows: Iterable) -> Iterator:
        """``rows`` as they are, reporting how many have been read."""
        done = 0
        for done, row in enumerate(rows, start=1):
            if done % 500 == 0:
                self.progress(done)
            yield row
        self.progress(done, force=True)

    def write_file(self, file_name: str, mimetype: str, write: Callable[[BinaryIO], None]) -> str:
        """Write the job's file (atomically: whole or not at all); return its SHA-256."""
        checksum = write_atomically(self.target, write)
        self.file_name, self.mimetype = file_name, mimetype
        return checksum

    def done(self) -> Response:
        """What the view returns once it has written the file."""
        return Response(status=200)


def file_path(folder: Path, job_id: str) -> Path:
    return folder / job_id


def progress_of(app: Flask, job_id: str) -> int:
    return jobs_of(app).queue.get(f"progress:{job_id}", peek=True) or 0


def run_job(app: Flask, job_id: str) -> None:
    """Claim the job, make its request again as its owner, and record what came of it."""
    jobs = jobs_of(app)
    with app.app_context():
        if not job_service.claim(db.session, job_id):
            db.session.rollback()
            return
        job = db.session.get(Job, job_id)
        db.session.expunge(job)
        db.session.commit()  # the replay begins its own transaction, reading (see _replay)
        jobs.queue.put(f"beat:{job_id}", time.time())
        handle = Handle(jobs, job)
        stop = threading.Event()
        beating = threading.Thread(target=_beat, args=(jobs, job_id, stop), daemon=True)
        beating.start()
        try:
            result_url, message = _replay(app, job, handle)
        except Exception as error:  # whatever went wrong, the job is marked failed
            db.session.rollback()
            _discard(jobs.folder, job_id)
            reason = (
                str(error) if isinstance(error, JobFailed) else "Something went wrong while producing it."
            )
            if not isinstance(error, JobFailed):
                log.exception("Job %s failed", job_id)
            job_service.fail(db.session, job_id, reason)
            db.session.commit()
            return
        finally:
            stop.set()
            beating.join()
            g.pop("sqlite_begin", None)
        job_service.finish(
            db.session,
            job_id,
            file_name=handle.file_name,
            mimetype=handle.mimetype,
            message=message,
            result_url=result_url,
        )
        db.session.commit()
        jobs.queue.delete(f"beat:{job_id}")


def _beat(jobs: Jobs, job_id: str, stop: threading.Event) -> None:
    while not stop.wait(BEAT_SECONDS):
        with contextlib.suppress(Exception):  # a missed beat is made up by the next
            jobs.queue.put(f"beat:{job_id}", time.time())


def _replay(app: Flask, job: Job, handle: Handle) -> tuple[str, str]:
    """Make the job's request as its owner; return where its result is and what it said."""
    data = MultiDict([(key, value) for key, values in (job.form or {}).items() for value in values])
    with app.test_request_context(job.path, method=job.method, data=data, base_url=app.config["APP_URL"]):
        # Read first, whatever the method: a view that writes calls start_writing, so SQLite's
        # write lock is held for the writing only (as a person's own request does).
        g.sqlite_begin = "DEFERRED"
        owner = db.session.get(User, job.owner_id)
        if owner is None or not owner.active:
            raise JobFailed("The account that asked for this can no longer sign in.")
        login_user(owner)
        g.csrf_valid = True  # the person's own request passed the CSRF check when it asked
        g.job = handle
        try:
            response = app.make_response(app.dispatch_request())
        except HTTPException as error:
            raise JobFailed(error.description or error.name) from error
        finally:
            db.session.rollback()
        flashed = get_flashed_messages(with_categories=True)
        problems = [text for category, text in flashed if category == "error"]
        if problems or response.status_code >= 400:
            raise JobFailed(" ".join(problems) or "It could not be done.")
        location = response.headers.get("Location", "") if 300 <= response.status_code < 400 else ""
        return location, " ".join(text for _category, text in flashed)


def _discard(folder: Path, job_id: str) -> None:
    """Delete a job's file and any half-written copy of it."""
    file_path(folder, job_id).unlink(missing_ok=True)
    for leftover in folder.glob(f".{job_id}.*.part"):
        leftover.unlink(missing_ok=True)


def recover_jobs(app: Flask) -> None:
    """Put back or fail jobs whose worker stopped, re-queue jobs waiting too long, delete files
    kept longer than ``JOB_FILE_HOURS`` and temporary folders of workers that are gone."""
    jobs = jobs_of(app)
    now = time.time()
    stall = int(app.config["JOBS_STALL_SECONDS"])
    with app.app_context():
        beating = set()
        for job_id in job_service.running_ids(db.session):
            beat = jobs.queue.get(f"beat:{job_id}", peek=True)
            if beat is not None and now - beat <= stall:
                beating.add(job_id)
        # a job claimed a moment ago may not have beaten yet: only jobs started a while ago count
        cutoff = utcnow() - timedelta(seconds=stall)
        again = job_service.waiting_since(db.session, utcnow() - REQUEUE_WAITING_AFTER)
        for job in job_service.stalled(db.session, cutoff, beating):
            _discard(jobs.folder, job.id)
            if job.attempts < job_service.MAX_ATTEMPTS:
                if job_service.requeue(db.session, job.id):
                    again.append(job.id)
                    log.warning("Job %s lost its worker; queued again", job.id)
            else:
                job_service.fail(
                    db.session,
                    job.id,
                    "It stopped before it finished, twice (its worker was stopped). Try again later.",
                )
                log.error("Job %s lost its worker again; marked failed", job.id)
        hours = float(app.config["JOB_FILE_HOURS"])
        expired = job_service.expire(db.session, utcnow() - timedelta(hours=hours))
        db.session.commit()
    for job_id in again:
        jobs.run(job_id)
    for job_id in expired:
        _discard(jobs.folder, job_id)
    sweep_worker_folders(jobs.folder)


# The worker's own temporary folder ---------------------------------------------------------


def worker_temp_folder(folder: Path) -> Path:
    """This worker process's temporary folder (openpyxl writes its sheets to temporary files
    first): one a process, so files a killed worker left are found and deleted."""
    return folder / "tmp" / f"{socket.gethostname()}-{os.getpid()}"


def sweep_worker_folders(folder: Path) -> None:
    """Delete the temporary folders of this host's worker processes that are no longer running."""
    host = socket.gethostname()
    for path in (folder / "tmp").glob(f"{host}-*"):
        pid = path.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run_worker(app: Flask, *, workers: int) -> None:
    """Run jobs until stopped (SIGTERM or Ctrl+C finish the running jobs first)."""
    jobs = jobs_of(app)
    jobs.folder.mkdir(parents=True, exist_ok=True)
    own = worker_temp_folder(jobs.folder)
    own.mkdir(parents=True, exist_ok=True)
    tempfile.tempdir = str(own)
    recover_jobs(app)
    consumer = jobs.queue.create_consumer(workers=workers, worker_type="thread", periodic=True)
    try:
        consumer.run()
    finally:
        shutil.rmtree(own, ignore_errors=True)
