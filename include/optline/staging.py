"""Stage one inbox file into `staging.contact_rows`: every record as text, with lineage.

Staging is one transaction: a file that fails to read leaves no trace in the warehouse.
A file already imported with the same settings (same import key) is not read again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from optline import warehouse
from optline.fields import FIELDS, field_for_header, header_key
from optline.manifest import Manifest, ManifestError
from optline.readers import (
    MalformedFileError, decode, detect_delimiter, file_format, read_delimited, read_lines, read_xlsx,
)

log = logging.getLogger(__name__)

CHUNK_ROWS = 100_000
_STAGING_COLUMNS = ["batch_id", "row_number", "line_number", "read_issue", "read_detail",
                    *FIELDS.values(), "extra"]
_PHONE_LIKE_DIGITS = 7


@dataclass(frozen=True)
class RunContext:
    """Who is importing: the Airflow DAG and run (or the CLI), and the rules' clock."""
    as_of: datetime
    dag_id: str | None = None
    run_id: str | None = None


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
    """Which cell index feeds which staging column; the rest go to `extra`."""
    by_column: dict[str, int]
    extra: dict[int, str]
    width: int | None  # expected cells per row (header width), None when there is no header


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def import_key(file_sha256: str, manifest: Manifest) -> str:
    return hashlib.sha256(f"{file_sha256}:{manifest.fingerprint()}".encode()).hexdigest()


def _looks_like_phone(cell: str | None) -> bool:
    return bool(cell) and sum(ch.isdigit() for ch in cell) >= _PHONE_LIKE_DIGITS


def _is_header(cells: list[str | None]) -> bool:
    named = any(c and field_for_header(c) for c in cells)
    return named and not any(_looks_like_phone(c) for c in cells)


def map_columns(header: list[str | None] | None, manifest: Manifest, first_row: list[str | None],
                file_name: str) -> ColumnMap:
    """Resolve the manifest's `columns:` and the recognized header names to cell indexes."""
    by_field: dict[str, int] = {}
    keys = [header_key(h or "") for h in header] if header else []
    for fld, target in manifest.columns.items():
        if isinstance(target, int):
            by_field[fld] = target - 1
            continue
        if not header:
            raise ManifestError(f"{file_name}: `columns.{fld}` names header {target!r}, but the file has no header; "
                                "use a column number (1 = first column)")
        key = header_key(target)
        if key not in keys:
            raise ManifestError(f"{file_name}: `columns.{fld}` names header {target!r}, which the file does not have; "
                                f"its headers are {[h for h in header]}")
        by_field[fld] = keys.index(key)
    taken = set(by_field.values())
    for index, cell in enumerate(header or []):
        fld = field_for_header(cell or "")
        if fld and fld not in by_field and index not in taken:
            by_field[fld] = index
            taken.add(index)
    if "phone" not in by_field:
        if not header and len(first_row) == 1:
            by_field["phone"] = 0
        elif header:
            raise MalformedFileError(file_name, 1, f"no phone column among the headers {header}; add "
                                     "`columns: {phone: <header>}` to the manifest")
        else:
            raise MalformedFileError(file_name, 1, "no header and several columns; map them in the manifest, "
                                     "e.g. `columns: {phone: 1, first_name: 2}`")
    width = len(header) if header else None
    extra = {i: (header[i] or f"column_{i + 1}") if header else f"column_{i + 1}"
             for i in range(width or 0) if i not in taken}
    return ColumnMap({FIELDS[f]: i for f, i in by_field.items()}, extra, width)


def _records(path: Path, fmt: str, manifest: Manifest) -> tuple[Iterator[tuple[int, list]], dict]:
    if fmt == "xlsx":
        return read_xlsx(path, manifest.sheet), {"encoding": None, "delimiter": None}
    decoded = decode(path.read_bytes(), path.name, manifest.encoding)
    delimiter = manifest.delimiter
    if fmt == "text" and delimiter is None:
        return read_lines(decoded.text), {"encoding": decoded.encoding, "delimiter": None}
    delimiter = delimiter or detect_delimiter(decoded.text) or ","
    return read_delimited(decoded.text, path.name, delimiter), {"encoding": decoded.encoding, "delimiter": delimiter}


def _clean(cell: str | None) -> str | None:
    if cell is None:
        return None
    cell = cell.strip()
    return cell or None


def _chunks(records: Iterable[tuple[int, list]], cmap: ColumnMap, batch_id: int,
            first_row_number: int) -> Iterator[pa.Table]:
    columns: dict[str, list] = {c: [] for c in _STAGING_COLUMNS}
    row_number = first_row_number - 1
    mapped = list(cmap.by_column.items())
    for line_number, raw_cells in records:
        row_number += 1
        cells = [_clean(c) for c in raw_cells]
        issue = detail = None
        if not any(cells):
            issue, detail = "blank_row", "the row is empty"
        elif cmap.width is not None and len(cells) > cmap.width and any(cells[cmap.width:]):
            issue = "extra_fields"
            detail = f"the row has {len(cells)} fields; the header has {cmap.width}"
        columns["batch_id"].append(batch_id)
        columns["row_number"].append(row_number)
        columns["line_number"].append(line_number)
        columns["read_issue"].append(issue)
        columns["read_detail"].append(detail)
        width = len(cells)
        for col, index in mapped:
            columns[col].append(cells[index] if index < width else None)
        extra = {name: cells[i] for i, name in cmap.extra.items() if i < width and cells[i]}
        columns["extra"].append(json.dumps(extra, ensure_ascii=False) if extra else None)
        if len(columns["row_number"]) >= CHUNK_ROWS:
            yield _table(columns)
            columns = {c: [] for c in _STAGING_COLUMNS}
    if columns["row_number"]:
        yield _table(columns)


def _table(columns: dict[str, list]) -> pa.Table:
    n = len(columns["row_number"])
    arrays = {}
    for name, values in columns.items():
        if name in ("batch_id", "row_number", "line_number"):
            arrays[name] = pa.array(values, pa.int64())
        else:
            arrays[name] = pa.array(values if values else [None] * n, pa.string())
    return pa.table(arrays)


def stage_file(conn: duckdb.DuckDBPyConnection, path: Path, manifest: Manifest, run: RunContext) -> StageResult:
    """Stage `path` (all-or-nothing). Returns the batch; an already imported file is not read again."""
    fmt = file_format(path)
    file_sha = sha256_of(path)
    key = import_key(file_sha, manifest)
    existing = conn.execute(
        "select batch_id, status, lines_read from ops.batches where import_key = ?", [key]).fetchone()
    if existing:
        batch_id, status, lines = existing
        log.info("%s: already imported as batch %s (status %s); not read again", path.name, batch_id, status)
        return StageResult(batch_id, path.name, status, status == "merged", lines)

    records, how = _records(path, fmt, manifest)
    first = next(records, None)
    if first is None:
        raise MalformedFileError(path.name, None, "the file is empty")
    first_cells = [_clean(c) for c in first[1]]
    has_header = manifest.header if manifest.header is not None else _is_header(first_cells)
    header = first_cells if has_header else None
    cmap = map_columns(header, manifest, first_cells, path.name)
    data = records if has_header else _prepend(first, records)

    with warehouse.transaction(conn):
        batch_id = warehouse.run(
            conn, "staging/batch_insert",
            import_key=key, file_name=path.name, file_path=str(path), file_sha256=file_sha,
            file_bytes=path.stat().st_size, file_format=fmt, encoding=how["encoding"],
            delimiter=how["delimiter"], has_header=has_header, manifest_path=manifest.path,
            manifest=json.dumps(manifest.settings()), policy_name=manifest.policy,
            list_names=list(manifest.lists), channel=manifest.channel,
            default_country=manifest.default_country, dag_id=run.dag_id, run_id=run.run_id,
            as_of=run.as_of,
        ).fetchone()[0]
        read = 0
        for chunk in _chunks(data, cmap, batch_id, first_row_number=1):
            conn.register("staging_chunk", chunk)
            conn.execute(f"insert into staging.contact_rows ({', '.join(_STAGING_COLUMNS)}) "
                         f"select {', '.join(_STAGING_COLUMNS)} from staging_chunk")
            conn.unregister("staging_chunk")
            read += chunk.num_rows
            log.info("%s: staged %d rows so far", path.name, read)
        warehouse.run(conn, "staging/batch_set_lines_read", batch_id=batch_id, lines_read=read)
        stored = warehouse.run(conn, "staging/batch_staged_row_count", batch_id=batch_id).fetchone()[0]
        if stored != read:
            raise RuntimeError(f"{path.name}: read {read} rows but staged {stored}; batch abandoned")
    log.info("%s: staged as batch %d: %d rows (%s, header=%s)", path.name, batch_id, read, fmt, has_header)
    return StageResult(batch_id, path.name, "staged", False, read)


def _prepend(first: tuple[int, list], rest: Iterator[tuple[int, list]]) -> Iterator[tuple[int, list]]:
    yield first
    yield from rest
