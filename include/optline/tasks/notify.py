"""Telling reviewers: the notices of optline.reports.notices through Airflow notifiers.

Channels (config/notifications.yaml, `OPTLINE_NOTIFICATIONS_CONFIG`):

* e-mail: Airflow's `SmtpNotifier` (apache-airflow-providers-smtp, installed with Airflow)
  over the SMTP connection named in the settings (default `smtp_default`);
* a webhook: `WebhookNotifier` below, a `BaseNotifier` that POSTs the notice's JSON with
  `requests`, with `Authorization: Bearer <password of conn_id>` when a connection is named.

`tell(event, notice, context)` sends one notice to every channel. It never raises: a channel
that fails is logged (its kind and the error's type) and the task goes on, so a mail server or
webhook that is down never fails an import. The notifiers' `notify()` is called directly, not
`__call__`: nothing in a notice (a file name holding `{{ }}`) is rendered as a Jinja template.
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from airflow.providers.smtp.notifications.smtp import SmtpNotifier
from airflow.sdk import BaseNotifier, Connection

from optline.reports.notices import EmailSettings, Notice, NotificationSettings, WebhookSettings, load_settings

log = logging.getLogger(__name__)

_told_unconfigured = False


class WebhookNotifier(BaseNotifier):
    """POST a notice's JSON to a webhook; a non-2xx answer raises."""

    template_fields = ()

    def __init__(self, *, url: str, payload: dict[str, Any], conn_id: str | None = None,
                 timeout_s: float = 10.0) -> None:
        super().__init__()
        self.url, self.payload, self.conn_id, self.timeout_s = url, payload, conn_id, timeout_s

    def notify(self, context: Any) -> None:
        headers = {"Content-Type": "application/json"}
        if self.conn_id:
            token = Connection.get(self.conn_id).password
            if token:
                headers["Authorization"] = f"Bearer {token}"
        response = requests.post(self.url, json=self.payload, headers=headers, timeout=self.timeout_s)
        response.raise_for_status()


def email_notifier(email: EmailSettings, notice: Notice) -> SmtpNotifier:
    return SmtpNotifier(to=list(email.to), from_email=email.from_email, subject=notice.subject,
                        html_content=notice.as_html(), smtp_conn_id=email.smtp_conn_id)


def webhook_notifier(webhook: WebhookSettings, notice: Notice) -> WebhookNotifier:
    return WebhookNotifier(url=webhook.url, payload=notice.as_json(), conn_id=webhook.conn_id,
                           timeout_s=webhook.timeout_s)


def notifiers(settings: NotificationSettings, notice: Notice) -> list[tuple[str, BaseNotifier]]:
    """(channel, notifier) for every channel the settings name."""
    found: list[tuple[str, BaseNotifier]] = []
    if settings.email is not None:
        found.append(("email", email_notifier(settings.email, notice)))
    if settings.webhook is not None:
        found.append(("webhook", webhook_notifier(settings.webhook, notice)))
    return found


def settings() -> NotificationSettings | None:
    """The notification settings; None (logged, never raised) when the file is malformed."""
    try:
        return load_settings()
    except Exception as exc:  # noqa: BLE001 - a bad settings file must not fail an import
        log.warning("notifications are off: %s", exc)
        return None


def tell(notice: Notice, context: dict[str, Any], chosen: NotificationSettings | None = None) -> list[str]:
    """Send `notice` on every configured channel; returns the channels that took it. Never raises."""
    global _told_unconfigured
    chosen = chosen if chosen is not None else settings()
    if chosen is None:
        return []
    if not chosen.configured:
        if not _told_unconfigured:
            log.info("no notifications configured (%s): reviewers are not told of %s or other events",
                     chosen.source or "config/notifications.yaml", notice.event)
            _told_unconfigured = True
        return []
    if not chosen.wants(notice.event):
        return []
    sent = []
    for channel, notifier in notifiers(chosen, notice):
        try:
            notifier.notify(context)
        except Exception as exc:  # noqa: BLE001 - logged; the task goes on
            status = getattr(getattr(exc, "response", None), "status_code", None)
            log.warning("%s notice %s not sent by %s (%s%s); the task goes on", notice.event,
                        notice.subject, channel, type(exc).__name__, f", HTTP {status}" if status else "")
        else:
            sent.append(channel)
    if sent:
        log.info("%s notice sent by %s", notice.event, ", ".join(sent))
    return sent
