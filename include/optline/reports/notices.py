"""What reviewers are told, and who is told what: the notices and config/notifications.yaml.

Three events:

* `batch_held`: the gate held an import batch for a compliance reviewer (batch id, file,
  counts, the gate's reason, the report link);
* `batch_rejected`: the gate rejected a batch, a critical expectation failed (the same);
* `opt_outs_near_limit`: an inbound export's opt-outs were applied near or beyond the
  10-business-day limit (counts, the oldest age in business days, the report folder).
* `revocations_near_limit`: possible revocations still undecided reached the last business days
  before the limit, or passed it (counts and the oldest age; once per message and level).

A notice carries ids, file names, counts, reasons and links only: never a phone number, a
name or a message body. The settings file (`OPTLINE_NOTIFICATIONS_CONFIG`, default
`config/notifications.yaml`) names the channels (e-mail recipients through an Airflow SMTP
connection; a webhook URL with an optional bearer token from an Airflow connection) and the
events sent; nothing configured means nothing is sent.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optline import config
from optline.consent.businessdays import FCC_OPT_OUT_LIMIT
from optline.intake.manifest import read_limited_yaml

EVENTS = ("batch_held", "batch_rejected", "opt_outs_near_limit", "revocations_near_limit")
DEFAULT_NEAR_LIMIT = 8  # business days: an opt-out applied this late or later is "near the limit"


class NotificationConfigError(ValueError):
    """The notifications settings file is malformed; the message names the key to fix."""


@dataclass(frozen=True)
class EmailSettings:
    to: tuple[str, ...]
    from_email: str | None = None  # None: the SMTP connection's `from_email` extra
    smtp_conn_id: str = "smtp_default"


@dataclass(frozen=True)
class WebhookSettings:
    url: str
    conn_id: str | None = None  # an Airflow connection whose password is sent as a bearer token
    timeout_s: float = 10.0


@dataclass(frozen=True)
class NotificationSettings:
    events: frozenset[str] = frozenset()
    email: EmailSettings | None = None
    webhook: WebhookSettings | None = None
    near_limit_business_days: int = DEFAULT_NEAR_LIMIT
    source: str | None = None

    @property
    def configured(self) -> bool:
        return bool(self.events) and (self.email is not None or self.webhook is not None)

    def wants(self, event: str) -> bool:
        return self.configured and event in self.events


@dataclass(frozen=True)
class Notice:
    """One message, for every channel: `subject` and `text` for people, `data` for the webhook."""

    event: str
    subject: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"event": self.event, "subject": self.subject, "text": self.text, **self.data}

    def as_html(self) -> str:
        return "".join(f"<p>{html.escape(line)}</p>" for line in self.text.splitlines() if line)


def settings_path() -> Path:
    """OPTLINE_NOTIFICATIONS_CONFIG, else the project's config/notifications.yaml."""
    return config.notifications_config_file() or config.PROJECT_DIR / "config" / "notifications.yaml"


def load_settings(path: Path | None = None) -> NotificationSettings:
    """The settings in `path` (default `settings_path()`); a missing default file or an empty
    one is "nothing configured". A file named by OPTLINE_NOTIFICATIONS_CONFIG must exist."""
    chosen = path or settings_path()
    if not chosen.is_file():
        if path is not None or config.notifications_config_file() is not None:
            raise NotificationConfigError(f"no notifications settings at {chosen}: fix OPTLINE_NOTIFICATIONS_CONFIG "
                                          "or create the file (see config/notifications.yaml)")
        return NotificationSettings()
    raw = read_limited_yaml(chosen, error=NotificationConfigError)  # no aliases, 64 KiB, depth 10, 4,096 chars
    if not isinstance(raw, dict):
        raise NotificationConfigError(f"{chosen}: expected a mapping with `events`, `email`, `webhook`")
    events = frozenset(raw.get("events") or ())
    unknown = sorted(events - set(EVENTS))
    if unknown:
        raise NotificationConfigError(f"{chosen}: unknown event(s) {unknown} under `events`; known: {list(EVENTS)}")
    return NotificationSettings(events=events, email=_email(raw.get("email"), chosen),
                                webhook=_webhook(raw.get("webhook"), chosen),
                                near_limit_business_days=int(raw.get("near_limit_business_days", DEFAULT_NEAR_LIMIT)),
                                source=str(chosen))


def _email(raw: Any, source: Path) -> EmailSettings | None:
    if not raw:
        return None
    to = raw.get("to") if isinstance(raw, dict) else None
    to = [to] if isinstance(to, str) else to
    if not to:
        raise NotificationConfigError(f"{source}: `email.to` needs at least one address")
    return EmailSettings(to=tuple(str(a) for a in to), from_email=raw.get("from"),
                         smtp_conn_id=str(raw.get("smtp_conn_id") or "smtp_default"))


def _webhook(raw: Any, source: Path) -> WebhookSettings | None:
    if not raw:
        return None
    url = raw.get("url") if isinstance(raw, dict) else None
    if not url or not str(url).startswith(("http://", "https://")):
        raise NotificationConfigError(f"{source}: `webhook.url` must be an http(s) URL")
    return WebhookSettings(url=str(url), conn_id=raw.get("conn_id"), timeout_s=float(raw.get("timeout_s", 10)))


# --- the notices -----------------------------------------------------------------------------

def batch_notice(event: str, *, batch_id: int, file_name: str, lines_read: int, rows_loaded: int,
                 rows_rejected: int, reason: str | None, report_url: str) -> Notice:
    """`batch_held` or `batch_rejected` for one import batch (counts and reason, no rows)."""
    held = event == "batch_held"
    what = "held for review" if held else "rejected"
    next_step = ("A compliance reviewer approves or refuses it in Airflow (Browse > Required Actions, "
                 "DAG batch_review); with no answer by the policy's timeout it is refused."
                 if held else "Nothing from it merges. Fix the file and import it again.")
    text = "\n".join([
        f"Import batch {batch_id} ({file_name}) was {what} by the compliance gate.",
        f"Rows read: {lines_read}; accepted: {rows_loaded}; rejected: {rows_rejected}.",
        f"Why: {reason or 'see the report'}",
        f"Report: {report_url}",
        next_step,
    ])
    data = {"batch_id": batch_id, "file_name": file_name, "status": "awaiting_review" if held else "rejected",
            "lines_read": lines_read, "rows_loaded": rows_loaded, "rows_rejected": rows_rejected,
            "reason": reason, "report_url": report_url}
    return Notice(event, f"Optline: import batch {batch_id} ({file_name}) {what}", text, data)


@dataclass(frozen=True)
class OptOutAges:
    """How late one export's opt-outs were applied, in business days (counts only)."""

    opt_outs: int
    near_limit: int  # at least `near` business days, within the limit
    over_limit: int  # beyond the limit
    oldest_business_days: int | None

    @property
    def worth_telling(self) -> bool:
        return self.near_limit + self.over_limit > 0


def opt_out_ages(business_days: list[int | None], near: int, limit: int = FCC_OPT_OUT_LIMIT) -> OptOutAges:
    """Count the opt-outs applied `near` or more business days after receipt (within `limit`)
    and beyond `limit`; unknown receipt times (None) count in neither."""
    known = [d for d in business_days if d is not None]
    return OptOutAges(opt_outs=len(business_days), near_limit=sum(1 for d in known if near <= d <= limit),
                      over_limit=sum(1 for d in known if d > limit), oldest_business_days=max(known, default=None))


def opt_out_notice(*, batch_id: int, file_name: str, ages: OptOutAges, report_dir: str,
                   limit: int = FCC_OPT_OUT_LIMIT) -> Notice:
    """`opt_outs_near_limit` for one inbound export: counts and the oldest age, never a number."""
    text = "\n".join([
        f"Inbound export {file_name} (inbound batch {batch_id}) held {ages.opt_outs} opt-out(s): "
        f"{ages.over_limit} applied beyond {limit} business days after receipt, "
        f"{ages.near_limit} applied close to the limit.",
        f"Oldest: {ages.oldest_business_days} business day(s) from receipt to application.",
        "Opt-outs must be honored within 10 business days: check that received texts are exported "
        "and imported promptly.",
        f"Report (opt_outs.csv, summary.json): {report_dir}",
    ])
    data = {"batch_id": batch_id, "file_name": file_name, "opt_outs": ages.opt_outs,
            "near_limit": ages.near_limit, "over_limit": ages.over_limit,
            "oldest_business_days": ages.oldest_business_days, "limit_business_days": limit,
            "report_dir": report_dir}
    subject = (f"Optline: {ages.over_limit} opt-out(s) beyond the {limit}-business-day limit ({file_name})"
               if ages.over_limit else f"Optline: {ages.near_limit} opt-out(s) near the {limit}-business-day "
               f"limit ({file_name})")
    return Notice("opt_outs_near_limit", subject, text, data)


def revocation_notice(rows: list[dict[str, Any]], limit: int = FCC_OPT_OUT_LIMIT) -> Notice:
    """`revocations_near_limit`: undecided possible revocations near or beyond the limit (rows as
    `optline.consent.revocations.due_reminders`): counts, the oldest age and what to do, never a
    number or a message."""
    over = sum(r["clock"] == "over_limit" for r in rows)
    near = len(rows) - over
    oldest = max(r["business_days"] for r in rows)
    text = "\n".join([
        f"{len(rows)} text(s) that may revoke consent wait for a person's decision: {over} beyond "
        f"{limit} business days after receipt, {near} close to the limit.",
        f"Oldest: {oldest} business day(s) since receipt.",
        "Decide each one: `optline revocations` lists them (masked), "
        "`optline revocations --decide BATCH:ROW --opt-out` (or --not-revocation) records the decision.",
    ])
    data = {"waiting": len(rows), "near_limit": near, "over_limit": over, "oldest_business_days": oldest,
            "limit_business_days": limit,
            "messages": [{"batch_id": r["batch_id"], "row_number": r["row_number"], "clock": r["clock"]}
                         for r in rows]}
    subject = (f"Optline: {over} possible revocation(s) undecided beyond the {limit}-business-day limit" if over
               else f"Optline: {near} possible revocation(s) undecided near the {limit}-business-day limit")
    return Notice("revocations_near_limit", subject, text, data)
