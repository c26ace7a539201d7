"""Stage one inbox file into `staging.contact_rows`: every record as text, with lineage.

Staging commits CHUNK_ROWS rows at a time (a status `staging` batch until the last commit moves
it to `staged`), yet is all-or-nothing: a file that fails to read has what was committed of it
deleted, leaving no trace in the warehouse; a run killed part-way leaves a `staging` batch that
the next run of the file stages again from scratch.
A file already imported with the same settings (same import key) is not read again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from optline import access, failpoints, ids, progress, warehouse
from optline.intake.chunks import staged_chunks
from optline.intake.columns import is_header, resolve_columns, shown_headers
from optline.intake.fields import FIELDS
from optline.intake.identity import file_stat, import_key, known_sha256_of
from optline.intake.manifest import Manifest
from optline.intake.readers import FileLimits, MalformedFileError, clean_cell, file_format, open_records, prepend
from optline.runs import RunContext

log = logging.getLogger(__name__)

# Rows inserted (and committed) at a time. 10M rows staged (2026-12-03): 24-26 s at 100k a chunk,
# 17-18 s at 250k with the next chunk read while one is inserted (`_read_ahead`); the stage's
# peak 510 -> 650 MB.
CHUNK_ROWS = 250_000
# A batch whose staging has not finished (its rows are committed chunk by chunk): a run that
# finds one for its file deletes its partial rows and stages the file again.
STAGING = "staging"
# A batch in one of these states needs nothing more from an import run (a held batch
# waits for its reviewer, in the batch_review DAG).
DONE_STATUSES = ("merged", "rejected", "refused", "awaiting_review")


@dataclass(frozen=True)
class StageResult:
    batch_id: int
    file_name: str
    status: str  # staged | checked | merged (already imported when `already_imported`)
    already_imported: bool
    lines_read: int

    def as_xcom(self) -> dict:
        return {"batch_id": self.batch_id, "file_name": self.file_name, "status": self.status,
                "already_imported": self.already_imported, "lines_read": self.lines_read}


@dataclass(frozen=True)
class ColumnMap:
    """Which cell index feeds which staging column; every other cell goes to `extra`."""
    by_column: dict[str, int]
    names: tuple[str, ...]  # unique names of the header's cells (`Notes`, `Notes_2`)
    width: int | None  # expected cells per row (header width), None when there is no header


def _unique_names(header: list[str | None]) -> tuple[str, ...]:
    seen: dict[str, int] = {}
    names = []
    for index, cell in enumerate(header):
        name = cell or f"column_{index + 1}"
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return tuple(names)


def map_columns(header: list[str | None] | None, manifest: Manifest, first_row: list[str | None],
                file_name: str) -> ColumnMap:
    """Resolve the manifest's `columns:` and the recognized header names to cell indexes."""
    by_field = resolve_columns(header, manifest.columns, first_row, file_name)
    if "phone" not in by_field:
        if not header and len(first_row) == 1:
            by_field["phone"] = 0
        elif header:
            raise MalformedFileError(file_name, 1, f"no phone column among the headers {shown_headers(header)}; add "
                                     "`columns: {phone: <header>}` to the manifest")
        else:
            raise MalformedFileError(file_name, 1, "no header and several columns; map them in the manifest, "
                                     "e.g. `columns: {phone: 1, first_name: 2}`")
    return ColumnMap({FIELDS[f]: i for f, i in by_field.items()}, _unique_names(header) if header else (),
                     len(header) if header else None)


def _stage_chunks(conn: duckdb.DuckDBPyConnection, data, batch_id: int, cmap: ColumnMap, file_name: str) -> int:
    """Insert the records CHUNK_ROWS at a time, each chunk in its own transaction (DuckDB holds
    an open transaction's inserted rows in memory beyond its memory limit); the last commit
    records the count and moves the batch to `staged`. Returns the rows read."""
    with progress.Progress(f"{file_name}: staging", None, "rows") as shown:
        read = _stage_chunk_by_chunk(conn, data, batch_id, cmap, file_name, shown)
    with warehouse.transaction(conn):
        stored = warehouse.run(conn, "staging/batch_staged_row_count", batch_id=batch_id).fetchone()[0]
        if stored != read:
            raise RuntimeError(f"{file_name}: read {read} rows but staged {stored}; batch abandoned")
        warehouse.run(conn, "staging/batch_mark_staged", batch_id=batch_id, lines_read=read)
    return read


def _stage_chunk_by_chunk(conn: duckdb.DuckDBPyConnection, data, batch_id: int, cmap: ColumnMap, file_name: str,
                          shown: progress.Progress) -> int:
    read = 0
    chunks = staged_chunks(data, batch_id=batch_id, data_columns=list(FIELDS.values()), by_column=cmap.by_column,
                           width=cmap.width, names=cmap.names, chunk_rows=CHUNK_ROWS)
    for chunk in _read_ahead(chunks):
        with warehouse.transaction(conn):
            conn.register("staging_chunk", chunk)
            try:
                warehouse.run(conn, "staging/contact_rows_insert_chunk")
            finally:
                conn.unregister("staging_chunk")
        read += chunk.num_rows
        shown.advance(chunk.num_rows)
        failpoints.reached("during_stage")
        log.debug("%s: staged %d rows so far", file_name, read)
    return read


def _read_ahead(chunks: Iterator[pa.Table]) -> Iterator[pa.Table]:
    """The chunks, the next one read in a thread while the caller inserts this one (the reader's
    Arrow work and DuckDB's insert both release the GIL). A reader's error is raised here, at
    the chunk it could not read; a caller that stops early waits for at most one chunk."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="optline-read-ahead") as pool:
        pending = pool.submit(next, chunks, None)
        while (chunk := pending.result()) is not None:
            pending = pool.submit(next, chunks, None)
            yield chunk


def _abandon(conn: duckdb.DuckDBPyConnection, batch_id: int, file_name: str) -> None:
    """Staging failed part-way: delete what it committed (its rows, then its batch row) so the
    warehouse is as before. If even that fails, the batch stays `staging` and the next run of
    the file stages it again from scratch."""
    try:
        with warehouse.transaction(conn):
            warehouse.run(conn, "staging/contact_rows_delete_batch", batch_id=batch_id)
            warehouse.run(conn, "staging/batch_delete_staging", batch_id=batch_id)
    except Exception:  # noqa: BLE001 - the original error is the one to report
        log.exception("%s: could not remove the part-staged batch %d; the next run stages it again",
                      file_name, batch_id)


def stage_file(conn: duckdb.DuckDBPyConnection, path: Path, manifest: Manifest, run: RunContext,
               loosened: list[dict] | None = None, file_limits: dict[str, int] | None = None) -> StageResult:
    """Stage `path` (all-or-nothing). Returns the batch; an already imported file is not read again.
    `loosened`: the manifest's overrides that loosen its policy, recorded on the batch.
    `file_limits`: the policy's `file_limits` (Policy.file_limits) the file is read within;
    None reads within the defaults (FileLimits())."""
    fmt = file_format(path)
    stat = file_stat(path)
    file_sha = known_sha256_of(conn, path, stat)
    key = import_key(file_sha, manifest)
    existing = warehouse.fetch_dicts(conn, "batches/batch_by_import_key", import_key=key)
    restage = None
    if existing and existing[0]["status"] == STAGING:
        restage = existing[0]["batch_id"]
        log.warning("%s: batch %s was left part-staged by an interrupted run; staging it again from scratch",
                    path.name, restage)
    elif existing:
        batch_id, status, lines = existing[0]["batch_id"], existing[0]["status"], existing[0]["lines_read"]
        log.info("%s: already imported as batch %s (status %s); not read again", path.name, batch_id, status)
        return StageResult(batch_id, path.name, status, status in DONE_STATUSES, lines)

    records, how = open_records(path, fmt, encoding=manifest.encoding, delimiter=manifest.delimiter,
                                sheet=manifest.sheet, limits=FileLimits(**(file_limits or {})))
    leading_blank: list[tuple[int, list]] = []
    first = next(records, None)
    while first is not None and not any(clean_cell(c) for c in first[1]):
        leading_blank.append(first)
        first = next(records, None)
    if first is None:
        raise MalformedFileError(path.name, None, "the file has no rows (it is empty or blank)")
    first_cells = [clean_cell(c) for c in first[1]]
    has_header = manifest.header if manifest.header is not None else is_header(first_cells, manifest.columns)
    header = first_cells if has_header else None
    cmap = map_columns(header, manifest, first_cells, path.name)
    # Blank lines above a header are not rows; above data they are (rejected as blank_row).
    data = records if has_header else prepend([*leading_blank, first], records)

    batch_fields = dict(
        file_name=path.name, file_path=str(path),
        file_bytes=path.stat().st_size, file_stat=stat, file_format=fmt, encoding=how["encoding"],
        delimiter=how["delimiter"], has_header=has_header, manifest_path=manifest.path,
        manifest=json.dumps(manifest.settings()), policy_name=manifest.policy,
        list_names=list(manifest.lists), channel=manifest.channel,
        default_country=manifest.default_country, dag_id=run.dag_id, run_id=run.run_id,
        as_of=run.as_of,
        clock_override_by=run.clock_override_by, clock_real_time=run.real_time,
        policy_loosened=json.dumps(loosened or []), imported_by=access.importer(run),
    )
    with warehouse.transaction(conn):
        if restage is not None:
            batch_id = restage
            warehouse.run(conn, "staging/contact_rows_delete_batch", batch_id=batch_id)
            warehouse.run(conn, "staging/batch_restage", batch_id=batch_id, **batch_fields)
        else:
            batch_id = ids.insert_one(conn, "staging/batch_insert", "batch_id", import_key=key,
                                      file_sha256=file_sha, **batch_fields)
    try:
        read = _stage_chunks(conn, data, batch_id, cmap, path.name)
    except BaseException:
        _abandon(conn, batch_id, path.name)
        raise
    log.info("%s: staged as batch %d: %d rows (%s, header=%s)", path.name, batch_id, read, fmt, has_header)
    return StageResult(batch_id, path.name, "staged", False, read)
