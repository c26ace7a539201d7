"""A small web app over the reports folder and the warehouse, mounted in Airflow by
plugins/optline_reports.py.

It serves what Optline shows people, counts and decisions only (docs/pages.md):

- `/reviews`: every contact batch (dates, counts, status, its latest decision), a status filter,
  links to each review report and rejects.csv. Read from the warehouse (`sql/reports/reviews_*`);
  when the warehouse cannot be opened (one DuckDB file an import holds), the reports on disk.
- `/expectations`: each expectation's result per batch across the newest batches
  (`sql/reports/expectation_history.sql`, from `ops.expectation_results`).
- `/conversion` (and `.csv`): the welcome conversion per import in percentages, from the file
  the message_dispatch DAG writes.
- `/batches/<id>/report`, `/batches/<id>/rejects.csv`: a batch's files, as written.
- `/history`: one number's consent timeline (`optline.consent.timeline`), the number POSTed from
  a form so that it is never in a URL or an access log; with a form to opt it out, or back in at
  the person's request (`POST /history/consent`, `optline.consent.manual`), recorded as the
  Airflow user the page's `PageAuth.caller` names. The only pages that show a number in full
  (the one asked for) and the only one that writes: a POST must come from the page itself
  (same origin) or carry an Authorization header (no browser sends one by itself).

Paths are built from an integer batch id or are fixed, never taken from the request's text. The
pages are rendered from `templates/` (Jinja2, autoescaped) and share the review report's
stylesheet (`_style.html.j2`).

Who may read them is not this module's business (it knows no Airflow): `create_app` takes a
`PageAuth`, FastAPI dependencies that authenticate every route and authorize each group of
pages. The plugin passes Airflow's (`optline.tasks.web_auth.AIRFLOW_AUTH`); tests of the pages
themselves pass `ALLOW_ALL`. No API docs or schema are served (they would skip the checks).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode

import duckdb
import jinja2
from fastapi import Depends, FastAPI, Form, HTTPException, Query, Request, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from optline import access, lake, warehouse
from optline.config import paths
from optline.consent import manual, timeline
from optline.reports.batches import batch_dir
from optline.reports.review_page import expected_text

_TITLE = re.compile(r"<title>(.*?)</title>", re.S)
_STATUS = re.compile(r'id="batch-status">(.*?)<', re.S)

STATUSES = ("awaiting_review", "validated", "approved", "refused", "rejected", "merged", "checked", "staged")
"""A contact batch's statuses, in the order the reviews page's filter lists them (held first)."""
Status = Literal["awaiting_review", "validated", "approved", "refused", "rejected", "merged", "checked", "staged"]
MAX_REVIEW_ROWS = 500
"""The reviews page lists at most this many batches (held first, then the newest)."""
HISTORY_BATCHES = 20
"""The expectation history covers this many of the newest validated batches unless `?batches=` says."""


def _shown(value: Any, text: Callable[[Any], str]) -> str:
    """`text(value)` for a page; `–` for a missing value, a value that is no number as it is."""
    if value is None or value == "":
        return "–"
    try:
        return text(value)
    except (TypeError, ValueError):
        return str(value)


def _thousands(count: Any) -> str:
    """`12345` -> `12,345`."""
    return _shown(count, lambda n: f"{int(n):,}")


def _percent(share: Any) -> str:
    """A share as people read it: `0.4286` -> `42.9 %`; `–` when there is none (nothing messaged)."""
    return _shown(share, lambda s: f"{float(s) * 100:.1f} %")


_CONVERSION_COUNTS = ("batch_id", "imported", "waiting", "messaged", "not_messaged", "confirmed",
                      "confirmed_by_reply", "confirmed_by_link", "confirmed_by_number")


def _number_or_none(text: str | None, kind: type) -> Any:
    """A number from the conversion CSV; None for an empty or missing cell."""
    try:
        return kind(text) if text not in (None, "") else None
    except ValueError:
        return None


def _observed(value: str | None) -> str:
    """An expectation's observed value as the report shows it (3 significant digits)."""
    try:
        return f"{float(value):.3g}" if value is not None else ""
    except ValueError:
        return value or ""


_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
_ENV.filters.update(thousands=_thousands, percent=_percent)


def _page(template: str, page: str, **values: Any) -> str:
    return _ENV.get_template(template).render(
        page=page, generated_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), **values)


def _utc_text(stamp: str | None) -> str:
    """`2026-11-01T12:00:00+00:00` (the CSV's ISO time) -> `2026-11-01 12:00` (UTC)."""
    if not stamp:
        return ""
    try:
        when = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return (when.astimezone(dt.UTC) if when.tzinfo else when).strftime("%Y-%m-%d %H:%M")


def _anyone() -> None:
    return None


def _nobody() -> None:
    raise HTTPException(status.HTTP_403_FORBIDDEN, "changing consent is not allowed on these pages")


@dataclass(frozen=True)
class PageUser:
    """The caller as the auth manager knows them (never a typed name)."""
    name: str
    id: str


@dataclass(frozen=True)
class PageAuth:
    """The checks every page passes: FastAPI dependencies raising 401 (no caller) or 403."""
    authenticate: Callable[..., Any]          # every route: who is calling (401 without credentials)
    may_read_reviews: Callable[..., Any]      # review reports, rejects, the reviews index, the expectation history
    may_read_conversion: Callable[..., Any]   # the welcome conversion report
    login_url: Callable[[Request], str] | None = None  # where a browser without a session goes
    may_read_history: Callable[..., Any] | None = None  # a number's timeline (None: as may_read_reviews)
    may_change_consent: Callable[..., Any] = _nobody    # opt a number out or in by hand (default: nobody)
    caller: Callable[..., PageUser | None] = _anyone    # who records a change (None: no one known, refused)


ALLOW_ALL = PageAuth(authenticate=_anyone, may_read_reviews=_anyone, may_read_conversion=_anyone)
"""Reads every page, changes nothing (tests of the pages themselves)."""


def _same_origin(request: Request) -> None:
    """A POST from the page itself (Origin, else Referer, of this host) or with an Authorization
    header; else 403: another site's form cannot post with the reviewer's cookie."""
    if "authorization" in request.headers:
        return
    own = f"{request.url.scheme}://{request.url.netloc}"
    origin = request.headers.get("origin")
    referer = request.headers.get("referer", "")
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none") or \
            not (origin == own if origin else referer.startswith(own + "/")):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "a change must be posted from the page itself")


class _Unreadable(Exception):
    """The warehouse could not be opened for reading (its message says why)."""


def _read_only() -> duckdb.DuckDBPyConnection:
    return warehouse.connect(read_only=True)


@contextmanager
def _reading(connect: Callable[[], duckdb.DuckDBPyConnection]) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection for one request, closed after it (a DuckDB file is then free for the next writer)."""
    try:
        conn = connect()
    except (warehouse.WarehouseError, lake.LakeError, duckdb.Error) as exc:
        raise _Unreadable(str(exc).split("\n")[0]) from exc
    try:
        yield conn
    finally:
        conn.close()


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


def _status_filters(counts: dict[str, int], chosen: str | None) -> list[dict[str, Any]]:
    """The filter's links: every batch, then each status that has batches (held first)."""
    links = [{"href": "reviews", "label": "all", "batches": sum(counts.values()), "here": chosen is None}]
    links += [{"href": "reviews?" + urlencode({"status": s}), "label": s.replace("_", " "), "batches": counts[s],
               "here": s == chosen} for s in STATUSES if counts.get(s)]
    return links


def _history(rows: list[dict[str, Any]], has_report: Callable[[int], str | None]) -> list[dict[str, Any]]:
    """`sql/reports/expectation_history.sql`'s rows grouped per expectation: those that failed on any
    of the batches first, then in the query's order (suite, critical first, description)."""
    grouped: dict[tuple, dict[str, Any]] = {}
    for r in rows:
        key = (r["suite_name"], r["expectation_type"], r["column_name"], r["severity"], r["description"])
        group = grouped.setdefault(key, {k: r[k] for k in ("suite_name", "expectation_type", "column_name",
                                                            "severity", "description")} | {"results": []})
        group["results"].append({**r, "observed": _observed(r["observed_value"]),
                                 "expected": expected_text(r["kwargs"]), "report": has_report(r["batch_id"])})
    for group in grouped.values():
        group["failed"] = sum(not r["success"] for r in group["results"])
    return sorted(grouped.values(), key=lambda group: group["failed"] == 0)


def _writer() -> duckdb.DuckDBPyConnection:
    return warehouse.connect()


def create_app(reports_dir: Path | None = None, *, auth: PageAuth,
               connect: Callable[[], duckdb.DuckDBPyConnection] = _read_only,
               connect_writer: Callable[[], duckdb.DuckDBPyConnection] = _writer) -> FastAPI:
    """The pages; `connect` opens the warehouse for one request (default: read-only, from
    configuration), `connect_writer` for a change of consent."""
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

    def link(batch_id: int, name: str, route: str) -> str | None:
        """The page's relative link to a batch's file, if it was written."""
        return f"batches/{batch_id}/{route}" if (batch_dir(root(), batch_id) / name).is_file() else None

    @app.get("/batches/{batch_id}/report", dependencies=reviews_only)
    def batch_report(batch_id: int) -> FileResponse:
        return existing(batch_id, "report.html", "text/html; charset=utf-8")

    @app.get("/batches/{batch_id}/rejects.csv", dependencies=reviews_only)
    def batch_rejects(batch_id: int) -> FileResponse:
        return existing(batch_id, "rejects.csv", "text/csv; charset=utf-8")

    def reports_on_disk() -> list[dict[str, Any]]:
        found = []
        for report in sorted((root() / "batches").glob("*/report.html"), reverse=True):
            text = report.read_text(encoding="utf-8", errors="replace")
            title, shown = _TITLE.search(text), _STATUS.search(text)
            found.append({"batch_id": int(report.parent.name), "title": title.group(1) if title else report.parent.name,
                          "status": shown.group(1).strip() if shown else ""})
        return found

    @app.get("/reviews", response_class=HTMLResponse, dependencies=reviews_only)
    def reviews(status: Status | None = None) -> HTMLResponse:
        try:
            with _reading(connect) as conn:
                counts = {r["status"]: r["batches"]
                          for r in warehouse.fetch_dicts(conn, "reports/reviews_status_counts")}
                batches = warehouse.fetch_dicts(conn, "reports/reviews_batches", status=status,
                                                max_rows=MAX_REVIEW_ROWS)
        except _Unreadable as exc:
            return HTMLResponse(_page("reviews.html.j2", "reviews", unreadable=str(exc), on_disk=reports_on_disk()))
        for b in batches:
            b["report"] = link(b["batch_id"], "report.html", "report")
            b["rejects"] = link(b["batch_id"], "rejects.csv", "rejects.csv") if b["rows_rejected"] else None
        return HTMLResponse(_page("reviews.html.j2", "reviews", unreadable=None, status=status,
                                  filters=_status_filters(counts, status), batches=batches,
                                  truncated=len(batches) >= MAX_REVIEW_ROWS))

    @app.get("/expectations", response_class=HTMLResponse, dependencies=reviews_only)
    def expectations(batches: int = Query(HISTORY_BATCHES, ge=1, le=200)) -> HTMLResponse:
        try:
            with _reading(connect) as conn:
                rows = warehouse.fetch_dicts(conn, "reports/expectation_history", max_batches=batches)
        except _Unreadable as exc:
            return HTMLResponse(_page("expectations.html.j2", "expectations", unreadable=str(exc),
                                      max_batches=batches), status_code=status.HTTP_503_SERVICE_UNAVAILABLE)
        history = _history(rows, lambda batch_id: link(batch_id, "report.html", "report"))
        return HTMLResponse(_page("expectations.html.j2", "expectations", unreadable=None, max_batches=batches,
                                  expectations=history))

    def conversion_file() -> Path:
        return root() / "messaging" / "conversion.csv"

    @app.get("/conversion", response_class=HTMLResponse, dependencies=conversion_only)
    def conversion() -> str:
        """The double opt-in conversion per import, as message_dispatch's report task last wrote it."""
        path = conversion_file()
        rows, written_at = [], None
        if path.is_file():
            with path.open(encoding="utf-8", newline="") as fh:
                rows = [{**r, "merged_at": _utc_text(r.get("merged_at"))} for r in csv.DictReader(fh)]
            written_at = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        rows = [{"file_name": r.get("file_name") or "", "merged_at": r["merged_at"],
                 **{c: _number_or_none(r.get(c), int) for c in _CONVERSION_COUNTS},
                 **{c: _number_or_none(r.get(c), float) for c in ("conversion_rate", "confirmed_of_messaged")}}
                for r in rows]
        return _page("conversion.html.j2", "conversion", rows=rows, written_at=written_at)

    @app.get("/conversion.csv", dependencies=conversion_only)
    def conversion_csv() -> FileResponse:
        path = conversion_file()
        if not path.is_file():
            raise HTTPException(404, "no conversion report yet: the message_dispatch DAG writes it")
        return FileResponse(path, media_type="text/csv; charset=utf-8")

    history_only = [Depends(auth.may_read_history or auth.may_read_reviews)]

    def history_page(number: str | None = None, country: str = "US", notice: str | None = None,
                     error: str | None = None, code: int = status.HTTP_200_OK) -> HTMLResponse:
        found = None
        if number and error is None:
            try:
                with _reading(connect) as conn:
                    found = timeline.timeline(conn, number, country)
            except manual.ManualConsentError as exc:
                error, code = str(exc), status.HTTP_422_UNPROCESSABLE_CONTENT
            except _Unreadable as exc:
                error, code = f"the warehouse cannot be read now: {exc}", status.HTTP_503_SERVICE_UNAVAILABLE
        return HTMLResponse(_page("history.html.j2", "history", found=found, country=country, notice=notice,
                                  error=error, source=timeline.source_text, when=timeline.when_text,
                                  min_evidence=manual.MIN_EVIDENCE_CHARS), status_code=code,
                            headers={"Cache-Control": "no-store"})  # it shows a number in full

    @app.get("/history", response_class=HTMLResponse, dependencies=history_only)
    def history_form() -> HTMLResponse:
        return history_page()

    @app.post("/history", response_class=HTMLResponse, dependencies=history_only)
    def history(number: str = Form(max_length=64), country: str = Form("US", max_length=2)) -> HTMLResponse:
        return history_page(number, country.upper())

    @app.post("/history/consent", response_class=HTMLResponse,
              dependencies=[*history_only, Depends(_same_origin), Depends(auth.may_change_consent)])
    def change_consent(number: str = Form(max_length=64), request: Literal["opt_out", "opt_in"] = Form(),
                       channel: Literal["sms", "whatsapp", "all"] = Form("all"),
                       note: str = Form("", max_length=1000),
                       user: PageUser | None = Depends(auth.caller)) -> HTMLResponse:  # noqa: B008 (auth is local)
        if user is None:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "no user is known to record the change as")
        if not access.may_airflow_user("consent", user.id, user.name):
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                f"{user.name} is not listed under consent: airflow_users in the access settings")
        try:
            with _reading(connect_writer) as conn:
                change = manual.record(conn, number, request, channel, note=note,
                                       by=manual.Recorder(name=user.name, id=user.id, via="web"))
        except manual.NothingToChange as exc:
            return history_page(number, notice=str(exc))
        except manual.ManualConsentError as exc:
            return history_page(number, error=str(exc), code=status.HTTP_422_UNPROCESSABLE_CONTENT)
        except _Unreadable as exc:
            return history_page(number, error=f"the warehouse cannot be written now: {exc}",
                                code=status.HTTP_503_SERVICE_UNAVAILABLE)
        return history_page(number, notice=f"{change.kind} on {change.scope} recorded by {change.recorded_by} "
                                           f"(consent event {change.event_id}), effective now")

    return app
