"""Sending any list as a download (``?format=csv`` or ``?format=xlsx``) with its current filters.

The list's view builds its :class:`~incometrack.reports.listings.Listing` from the same filters as
the page and hands it here. CSV is streamed as it is produced, however long; the workbook is built
in a private temporary file and streamed from there, so neither is held in memory whole. A
workbook of more than ``JOBS_ROW_THRESHOLD`` rows is made by a background job instead (about ten
seconds for 50,000 rows): the person is sent to its progress page at once, and the worker makes
this same request again and writes the file through the job.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from urllib.parse import urlencode

from flask import Response, abort, current_app, request, stream_with_context
from werkzeug.wsgi import wrap_file

from incometrack.jobs import queue as jobs
from incometrack.reports.listings import Listing

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def wanted() -> str | None:
    """The download format the request asks for, None for the page itself; 404 for another."""
    fmt = request.args.get("format")
    if fmt is None or fmt == "":
        return None
    if fmt not in FORMATS:
        abort(404)
    return fmt


def send(listing: Listing, fmt: str) -> Response:
    from incometrack.exports.files import write_private
    from incometrack.exports.listing import csv_chunks, write_xlsx

    filename = f"{listing.stem}-{date.today().isoformat()}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}
    if fmt == "csv":
        return Response(stream_with_context(csv_chunks(listing)), mimetype=FORMATS[fmt], headers=headers)
    if (job := jobs.current()) is not None:
        job.write_file(
            filename,
            FORMATS[fmt],
            lambda stream: write_xlsx(replace(listing, rows=job.counting(listing.rows)), stream),
        )
        return job.done()
    if listing.size is not None and (size := listing.size()) > current_app.config["JOBS_ROW_THRESHOLD"]:
        args = request.args.copy()
        args.pop("format")
        back = request.path + (f"?{urlencode(list(args.items(multi=True)))}" if args else "")
        return jobs.start(f"{listing.title}: workbook of {size:,} rows", total=size, back=back)
    handle, _ = write_private(lambda stream: write_xlsx(listing, stream))
    return Response(
        wrap_file(request.environ, handle), mimetype=FORMATS[fmt], headers=headers, direct_passthrough=True
    )


def described(form) -> str:
    """A filter form's chosen values in words: ``Financial year: 2026-27; Stream: LIB-PRINT …``."""
    parts = []
    for field in form:
        if field.type in ("CSRFTokenField", "SubmitField", "HiddenField") or field.errors:
            continue
        value = field.data
        if value in (None, "", [], ()):
            continue
        if choices := getattr(field, "choices", None):
            labels = {str(choice.value): choice.label for choice in choices}
            value = labels.get(str(value), value)
        elif isinstance(value, date):
            value = f"{value:%d/%m/%Y}"
        parts.append(f"{field.label.text}: {value}")
    return "; ".join(parts)
