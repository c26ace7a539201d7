"""What each step reads and writes, named as lineage datasets (OpenLineage's namespace + name).

No Airflow here: `optline.tasks.lineage` turns these into OpenLineage datasets on the task's
events. The names are the Assets' (`optline.tasks.assets`): a table `core.contacts` is the
dataset `optline.core.contacts` in the namespace `duckdb://optline`, the Asset
`duckdb://optline/core/contacts`. An input file is `file://optline` + its path under the data
folder (`inbox/store_events.xlsx`; a file elsewhere: its absolute path), a message provider
`provider://<name>` + `messages`. Names only: never a value of a row.

A view (`marts.audiences`) is never written; it changes when a table it reads changes. So a
step that writes a table also lists, as outputs marked `VIEW`, every view reading that table,
directly or through other views or macros (read from their files in sql/views, sql/macros).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from optline import config

WAREHOUSE = "duckdb://optline"
FILES = "file://optline"
PROVIDERS = "provider://"
PREFIX = "optline."
SCHEMAS = ("core", "staging", "ops", "msg", "marts", "quality")


@dataclass(frozen=True)
class Field:
    """A column of a source dataset an output column comes from."""

    dataset: str  # "schema.table"
    column: str
    how: str = "IDENTITY"  # OpenLineage's DIRECT subtype: IDENTITY (copied) or TRANSFORMATION


@dataclass(frozen=True)
class Dataset:
    namespace: str
    name: str
    view: bool = False
    columns: tuple[tuple[str, tuple[Field, ...]], ...] = ()  # output column -> its sources


@dataclass(frozen=True)
class Step:
    """The tables a step reads and writes ("schema.table"), and the column lineage it knows."""

    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    columns: dict[str, dict[str, tuple[Field, ...]]] = field(default_factory=dict)


def table(qualified: str, *, columns: dict[str, tuple[Field, ...]] | None = None) -> Dataset:
    """`core.contacts` -> `duckdb://optline` + `optline.core.contacts` (the Asset's name)."""
    schema, _, name = qualified.partition(".")
    if schema not in SCHEMAS or not name:
        raise ValueError(f"{qualified!r} is not a warehouse table: write it schema.table, the schema one of {SCHEMAS}")
    return Dataset(WAREHOUSE, PREFIX + qualified, view=qualified in views(),
                   columns=tuple(sorted((columns or {}).items())))


def asset(name: str, uri: str) -> Dataset:
    """The dataset of an Airflow Asset declared with a `duckdb://optline/...` uri (others: none)."""
    if not uri.startswith(WAREHOUSE + "/"):
        raise ValueError(f"Asset {name!r} ({uri}) is not in the warehouse {WAREHOUSE}")
    return Dataset(WAREHOUSE, name)


def data_file(path: Path) -> Dataset:
    """An input file: its path under the data folder, else its absolute path."""
    resolved = path.expanduser().resolve()
    try:
        name = resolved.relative_to(config.paths().data_dir.resolve()).as_posix()
    except ValueError:
        name = resolved.as_posix()
    return Dataset(FILES, name)


def provider(name: str) -> Dataset:
    """The messages a provider (sandbox, twilio, webhook) was handed."""
    return Dataset(PROVIDERS + name, "messages")


def datasets(step: Step, *, files: Iterable[Path] = (), sent_to: str | None = None
             ) -> tuple[list[Dataset], list[Dataset]]:
    """A step's inputs (its files, then its tables) and outputs (its tables, then the views they change)."""
    inputs = [data_file(f) for f in files] + [table(t) for t in step.reads]
    outputs = [table(t, columns=step.columns.get(t)) for t in step.writes]
    outputs += [table(v) for v in sorted(views_changed_by(step.writes))]
    if sent_to:
        outputs.append(provider(sent_to))
    return inputs, outputs


_REFERENCE = re.compile(r"\b(" + "|".join(SCHEMAS) + r")\.([a-z_][a-z0-9_]*)\b")


def _definitions(sql_dir: Path, kinds: tuple[str, ...] = ("views", "macros")) -> dict[str, Path]:
    return {f"{p.parent.name}.{p.stem}": p for kind in kinds for p in sorted((sql_dir / kind).glob("*/*.sql"))}


@cache
def _reads(sql_dir: Path) -> dict[str, frozenset[str]]:
    """Every view and macro -> the objects its text names (comments left out)."""
    found = {}
    for obj, path in _definitions(sql_dir).items():
        text = re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))
        found[obj] = frozenset(f"{s}.{n}" for s, n in _REFERENCE.findall(text)) - {obj}
    return found


def views() -> frozenset[str]:
    """The views of sql/views ("schema.name")."""
    return frozenset(_definitions(config.sql_dir(), ("views",)))


def views_changed_by(tables: Iterable[str]) -> set[str]:
    """The views reading any of `tables`, directly or through views and macros."""
    reads = _reads(config.sql_dir())
    changed, frontier = set(), set(tables)
    while frontier:
        frontier = {obj for obj, names in reads.items() if names & frontier} - changed
        changed |= frontier
    return changed & views()


# --- the steps ---------------------------------------------------------------------------------

_OUTCOMES, _ROWS = "staging.row_outcomes", "staging.contact_rows"

CONTACT_COLUMNS = {
    "e164": (Field(_OUTCOMES, "e164"),),
    **{c: (Field(_OUTCOMES, c),) for c in ("first_name", "last_name", "email", "dob")},
    **{c: (Field(_ROWS, c),) for c in ("title", "address_line1", "address_line2", "city", "state", "postcode",
                                         "company", "alternate_phone")},
    "name_key": (Field(_OUTCOMES, "first_name", "TRANSFORMATION"), Field(_OUTCOMES, "last_name", "TRANSFORMATION")),
    "first_batch_id": (Field(_OUTCOMES, "batch_id"),),
    "last_batch_id": (Field(_OUTCOMES, "batch_id"),),
}
"""core.contacts' columns from the staged batch (sql/merge/incoming_contacts_create.sql, then
contacts_insert_new_named / _nameless and contacts_update_matched)."""
CONTACT_COLUMNS_FROM_NO_COLUMN = frozenset({"contact_id", "created_at", "updated_at"})
"""Numbered by optline.ids, or the clock's."""

CONTACT_STAGE = Step(writes=(_ROWS, "ops.batches"))
CONTACT_CHECK = Step(reads=(_ROWS, "core.suppressed_numbers", "core.contacts"),
                     writes=("staging.phone_parses", _OUTCOMES, "ops.batches"))
CONTACT_VALIDATE = Step(reads=(_OUTCOMES, _ROWS), writes=("ops.expectation_results", "ops.batches"))
REVIEW_REQUEST = Step(reads=("ops.batches",), writes=())  # + the review-requests Asset (the task's outlet)
CONTACT_MERGE = Step(reads=(_OUTCOMES, _ROWS),
                     writes=("core.phone_numbers", "core.lists", "core.contacts", "core.memberships",
                             "core.contact_channels", "core.tags", "core.contact_tags", "core.consent_disclosures",
                             "core.consent_events", "staging.row_contacts", "ops.batches"),  # each row's contact
                     columns={"core.contacts": CONTACT_COLUMNS})
OPTOUT_APPLY = Step(reads=("core.contacts", "core.phone_numbers"),
                    writes=("staging.optout_rows", "staging.optout_phone_parses", "staging.optout_outcomes",
                            "staging.optout_numbers", "ops.optout_batches", "core.consent_events"))
INBOUND_APPLY = Step(reads=("core.contacts", "core.lists", "core.memberships", "core.consent_events"),
                     writes=("staging.inbound_messages", "staging.inbound_outcomes", "ops.inbound_batches",
                             "core.consent_events", "core.phone_numbers", "core.contacts", "core.lists",
                             "core.memberships", "core.contact_channels", "core.confirmations", "msg.keyword_joins",
                             "msg.outbox"))
TOUCHUP_APPLY = Step(reads=("core.contacts", "core.lists", "core.memberships"),
                     writes=("staging.touchup_rows", "ops.touchup_batches", "core.lists", "core.memberships",
                             "core.tags", "core.contact_tags", "core.number_status_events", "core.consent_events"))
CONFIRMATIONS_APPLY = Step(reads=("core.contacts", "core.memberships"),
                           writes=("staging.web_confirmations", "staging.web_confirmation_matches",
                                   "ops.confirmation_batches", "core.confirmations", "core.consent_events",
                                   "core.memberships"))
WELCOME_ENQUEUE = Step(reads=("core.memberships", "core.lists", "core.contacts", "core.suppressed_numbers"),
                       writes=("msg.outbox",))
DISPATCH = Step(reads=("msg.outbox", "core.suppressed_numbers"), writes=("msg.outbox", "msg.send_attempts"))
DELIVERY_APPLY = Step(reads=("msg.send_attempts",),
                      writes=("staging.delivery_lines", "ops.delivery_files", "msg.outbox", "msg.delivery_events"))
