"""A small web app over the reports folder, mounted in Airflow by plugins/optline_reports.py.

It serves files Optline wrote for people (HTML review reports, masked rejects CSVs, the
welcome conversion per import) and nothing else: paths are built from an integer batch id
or are fixed, never taken from the request's text.

Who may read them is not this module's business (it knows no Airflow): `create_app` takes a
`PageAuth`, FastAPI dependencies that authenticate every route and authorize each group of
pages. The plugin passes Airflow's (`optline.tasks.web_auth.AIRFLOW_AUTH`); tests of the pages
themselves pass `ALLOW_ALL`. No API docs or schema are served (they would skip the checks).
"""

from __future__ import annotations

import csv
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from optline.config import paths
from optline.reports.batches import batch_dir

_TITLE = re.compile(r"<title>(.*?)</title>", re.S)
_STATUS = re.compile(r'id="batch-status">(.*?)<', re.S)


def _anyone() -> None:
    return None


@dataclass(frozen=True)
class PageAuth:
    """The checks every page passes: FastAPI dependencies raising 401 (no caller) or 403."""
    authenticate: Callable[..., Any]          # every route: who is calling (401 without credentials)
    may_read_reviews: Callable[..., Any]      # review reports, rejects, the reviews index
    may_read_conversion: Callable[..., Any]   # the welcome conversion report
    login_url: Callable[[Request], str] | None = None  # where a browser without a session goes


ALLOW_ALL = PageAuth(authenticate=_anyone, may_read_reviews=_anyone, may_read_conversion=_anyone)


def _login_redirect(app: FastAPI, login_url: Callable[[Request], str]) -> None:
    """A browser (HTML accepted, no Authorization header) without a session goes to the login
    and comes back; API clients keep the 401."""
    @app.exception_handler(StarletteHTTPException)
    async def _to_login(request: Request, exc: StarletteHTTPException):
        if (exc.status_code == status.HTTP_401_UNAUTHORIZED and request.method in ("GET", "HEAD")
                and "authorization" not in request.headers
                and "text/html" in request.headers.get("accept", "")):
            return RedirectResponse(login_url(request), status_code=status.HTTP_303_SEE_OTHER)
        return await http_exception_handler(request, exc)


def create_app(reports_dir: Path | None = None, *, auth: PageAuth) -> FastAPI:
    app = FastAPI(title="Optline compliance reports", dependencies=[Depends(auth.authenticate)],
                  docs_url=None, redoc_url=None, openapi_url=None)
    if auth.login_url is not None:
        _login_redirect(app, auth.login_url)
    reviews_only = [Depends(auth.may_read_reviews)]
    conversion_only = [Depends(auth.may_read_conversion)]

    def root() -> Path:
        return reports_dir or paths().reports

    def existing(batch_id: int, name: str, media_type: str) -> FileResponse:
        path = batch_dir(root(), batch_id) / name
        if not path.is_file():
            raise HTTPException(404, f"no {name} for batch {batch_id}")
        return FileResponse(path, media_type=media_type)

    @app.get("/batches/{batch_id}/report", dependencies=reviews_only)
    def batch_report(batch_id: int) -> FileResponse:
        return existing(batch_id, "report.html", "text/html; charset=utf-8")

    @app.get("/batches/{batch_id}/rejects.csv", dependencies=reviews_only)
    def batch_rejects(batch_id: int) -> FileResponse:
        return existing(batch_id, "rejects.csv", "text/csv; charset=utf-8")

    @app.get("/reviews", response_class=HTMLResponse, dependencies=reviews_only)
    def reviews() -> str:
        rows = []
        for report in sorted((root() / "batches").glob("*/report.html"), reverse=True):
            text = report.read_text(encoding="utf-8", errors="replace")
            title = _TITLE.search(text)
            status = _STATUS.search(text)
            batch_id = int(report.parent.name)
            rows.append(f'<tr><td><a href="batches/{batch_id}/report">'
                        f"{html.escape(title.group(1) if title else str(batch_id))}</a></td>"
                        f"<td>{html.escape(status.group(1).strip() if status else '')}</td></tr>")
        body = "".join(rows) or '<tr><td colspan="2">No report yet.</td></tr>'
        return ("<!doctype html><html><head><meta charset='utf-8'><title>Compliance reviews</title></head>"
                "<body style='font-family: system-ui, sans-serif; max-width: 900px; margin: 2rem auto'>"
                "<h1>Compliance reviews</h1><table><thead><tr><th>Batch</th><th>Status</th></tr></thead>"
                f"<tbody>{body}</tbody></table></body></html>")

    @app.get("/conversion", response_class=HTMLResponse, dependencies=conversion_only)
    def conversion() -> str:
        """The double opt-in conversion per import, as message_dispatch's report task last wrote it."""
        path = root() / "messaging" / "conversion.csv"
        rows = list(csv.DictReader(path.open(encoding="utf-8"))) if path.is_file() else []
        columns = ("batch_id", "file_name", "imported", "waiting", "messaged", "not_messaged", "confirmed",
                   "conversion_rate", "confirmed_of_messaged")
        head = "".join(f"<th>{html.escape(c.replace('_', ' '))}</th>" for c in columns)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(r.get(c, ''))}</td>" for c in columns) + "</tr>"
                       for r in rows) or f'<tr><td colspan="{len(columns)}">No conversion report yet: the ' \
                                          "message_dispatch DAG writes it.</td></tr>"
        return ("<!doctype html><html><head><meta charset='utf-8'><title>Welcome conversion</title></head>"
                "<body style='font-family: system-ui, sans-serif; max-width: 1100px; margin: 2rem auto'>"
                "<h1>Welcome conversion per import</h1><p>imported: list &times; number pairs added as pending; "
                "messaged: welcome sent; confirmed: YES/START, keyword or web; rate: confirmed / imported. "
                "<a href='conversion.csv'>CSV</a></p>"
                f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></body></html>")

    @app.get("/conversion.csv", dependencies=conversion_only)
    def conversion_csv() -> FileResponse:
        path = root() / "messaging" / "conversion.csv"
        if not path.is_file():
            raise HTTPException(404, "no conversion report yet: the message_dispatch DAG writes it")
        return FileResponse(path, media_type="text/csv; charset=utf-8")

    return app
