"""Assets the DAGs update, so later DAGs can be scheduled on them (no Airflow logic here
beyond the declarations)."""

from __future__ import annotations

from airflow.sdk import Asset

IMPORT_BATCHES = Asset(name="optline.ops.batches", uri="duckdb://optline/ops/batches", group="optline")
CONTACTS = Asset(name="optline.core.contacts", uri="duckdb://optline/core/contacts", group="optline")
LISTS = Asset(name="optline.core.memberships", uri="duckdb://optline/core/memberships", group="optline")
CONSENT_EVENTS = Asset(name="optline.core.consent_events", uri="duckdb://optline/core/consent_events", group="optline")
REVIEW_REQUESTS = Asset(name="optline.review_requests", uri="duckdb://optline/ops/batches/awaiting_review",
                        group="optline")
OUTBOX = Asset(name="optline.msg.outbox", uri="duckdb://optline/msg/outbox", group="optline")
