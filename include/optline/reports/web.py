"""A small web app over the reports folder, mounted in Airflow by plugins/optline_reports.py.

It serves files Optline wrote for people (HTML review reports, masked rejects CSVs, the
welcome conversion per import) and nothing else: paths are built from an integer batch id
or are fixed, never taken from the request's text.
"""

from __future__ import annotations

import csv
import html
import re
from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, HTMLResponse

from optline.config import paths
from optline.reports.batches import batch_dir

_TITLE = re.compile(r"<title>(.*?)</title>", re.S)
_STATUS = re.compile(r'id="batch-status">(.*?)<', re.S)


def create_app(reports_dir: Path | None = None) -> FastAPI:
    app = FastAPI(title="Optline compliance reports")

    def root() -> Path:
        return reports_dir or paths().reports

    def existing(batch_id: int, name: str, media_type: str) -> FileResponse:
        path = batch_dir(root(), batch_id) / name
        if not path.is_file():
            raise HTTPException(404, f"no {name} for batch {batch_id}")
        return FileResponse(path, media_type=media_type)

    @app.get("/batches/{batch_id}/report")
    def batch_report(batch_id: int) -> FileResponse:
        return existing(batch_id, "report.html", "text/html; charset=utf-8")

    @app.get("/batches/{batch_id}/rejects.csv")
    def batch_rejects(batch_id: int) -> FileResponse:
        return existing(batch_id, "rejects.csv", "text/csv; charset=utf-8")

    @app.get("/reviews", response_class=HTMLResponse)
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

    @app.get("/conversion", response_class=HTMLResponse)
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

    @app.get("/conversion.csv")
    def conversion_csv() -> FileResponse:
        path = root() / "messaging" / "conversion.csv"
        if not path.is_file():
            raise HTTPException(404, "no conversion report yet: the message_dispatch DAG writes it")
        return FileResponse(path, media_type="text/csv; charset=utf-8")

    return app
