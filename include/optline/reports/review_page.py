"""The review report: one HTML page per batch that a compliance reviewer reads without tools.

Counts, shares, expectation outcomes and decisions only: no phone number, name or date of
birth ever reaches the page. Written to `reports/batches/<id>/report.html`, indexed in
`ops.reports`.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import jinja2

from optline import warehouse
from optline.contacts.rules import REASONS
from optline.reports.batches import batch_dir, clock_override_text, lookups_text, loosened_settings

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=jinja2.select_autoescape(["html", "j2"]),
    undefined=jinja2.StrictUndefined,
)


def timeout_text(minutes: float | None) -> str:
    """A review timeout as every page and message says it: hours from 2 hours up (2880 -> "48
    hours"), else minutes."""
    if not minutes:
        return "the policy's timeout"
    return f"{minutes / 60:g} hours" if minutes >= 120 else f"{minutes:g} minutes"


def expected_text(kwargs_json: str | None) -> str:
    """`{"max_value": 0.1}` -> `≤ 0.1`; `{"value_set": [false]}` -> `in [false]`."""
    kwargs = json.loads(kwargs_json or "{}")
    parts = []
    if kwargs.get("min_value") is not None:
        parts.append(f"≥ {kwargs['min_value']:g}" if isinstance(kwargs["min_value"], (int, float)) else "")
    if kwargs.get("max_value") is not None:
        parts.append(f"≤ {kwargs['max_value']:g}" if isinstance(kwargs["max_value"], (int, float)) else "")
    if "value_set" in kwargs:
        parts.append("in " + json.dumps(kwargs["value_set"]))
    if "regex" in kwargs:
        parts.append("matches " + kwargs["regex"])
    if kwargs.get("mostly") not in (None, 1, 1.0):
        parts.append(f"for at least {kwargs['mostly']:.0%} of rows")
    return ", ".join(p for p in parts if p)


def _number(value: str | None) -> str | None:
    try:
        return f"{float(value):.3g}" if value is not None else None
    except ValueError:
        return value


def _setting_value(value: object) -> str:
    """A policy value as the report shows it: `0.1`, `18`, `false`, `[FIXED_LINE, TOLL_FREE]`."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def render(conn: duckdb.DuckDBPyConnection, batch_id: int, timeout_minutes: float | None = None) -> str:
    batch = warehouse.fetch_dicts(conn, "reports/review_batch", batch_id=batch_id)[0]
    clock_override = clock_override_text(batch["as_of"], batch["clock_real_time"], batch["clock_override_by"])
    loosened = [{"setting": e["setting"], "change": f"{_setting_value(e['policy_value'])} → "
                 f"{_setting_value(e['override_value'])}"} for e in loosened_settings(batch["policy_loosened"])]
    expectations = [{**e, "expected": expected_text(e["kwargs"]), "observed_value": _number(e["observed_value"])}
                    for e in warehouse.fetch_dicts(conn, "reports/review_expectations", batch_id=batch_id)]
    rejects = [{**r, "meaning": REASONS.get(r["reason_code"], "")}
               for r in warehouse.fetch_dicts(conn, "rules/batch_rejects_by_reason", batch_id=batch_id)]
    decisions = warehouse.fetch_dicts(conn, "reports/review_decisions", batch_id=batch_id)
    return _ENV.get_template("review_report.html.j2").render(
        batch=batch, expectations=expectations, rejects=rejects, decisions=decisions,
        clock_override=clock_override, loosened=loosened,
        lookups=lookups_text(conn, batch_id),
        rejects_csv="rejects.csv" if batch["rows_rejected"] else None,
        timeout_text=timeout_text(timeout_minutes),
        generated_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def write(conn: duckdb.DuckDBPyConnection, batch_id: int, reports_dir: Path,
          timeout_minutes: float | None = None) -> Path:
    """Render the batch's report to its folder and index it in ops.reports."""
    out = batch_dir(reports_dir, batch_id) / "report.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".html.tmp")
    tmp.write_text(render(conn, batch_id, timeout_minutes), encoding="utf-8")
    tmp.replace(out)
    warehouse.run(conn, "reports/reports_index_upsert", batch_id=batch_id, kind="review_html", path=str(out))
    return out
