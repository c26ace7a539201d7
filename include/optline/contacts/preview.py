"""What an import of one contact file would do, without writing anything (`optline inspect`), and
the manifest a file without one would need (`optline import FILE --list NAME`).

An inspection runs the import's own steps, `staging.stage_file` and `rules.check_batch` (the
policy checked by `pipeline.checked_policy` first), against a throwaway warehouse: an in-memory
DuckDB database migrated like the real one (`scratch_warehouse`), closed when the inspection
ends. So it reads the file exactly as an import would, fails on the same errors with the same
messages, and counts the same verdicts; the real warehouse is never opened. What it cannot know
without the warehouse: whether a number opted out before (`previously_opted_out`: counted as
accepted here), whether the file was imported already, and the gate's verdict (the expectation
suite runs at the import's validate step). It reads the whole file: it takes as long as an
import's stage and check steps.

Nothing personal is shown unmasked: the first rows go through `optline.masking` (a phone keeps
its last two digits, names their first letter), and a header that looks like a phone is masked.
"""

from __future__ import annotations

import tempfile
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb

from optline import warehouse
from optline.config import hmac_key, paths
from optline.contacts import rules
from optline.contacts.batch import hand_over_policy, load_batch
from optline.contacts.pipeline import checked_policy
from optline.contacts.staging import map_columns, stage_file
from optline.intake.columns import is_header, looks_like_phone, resolve_columns, shown_headers
from optline.intake.discovery import require_inside
from optline.intake.fields import FIELDS
from optline.intake.manifest import Manifest, load_manifest, manifest_path_for, parse_manifest, read_yaml
from optline.intake.readers import FileLimits, MalformedFileError, clean_cell, file_format, first_filled, open_records
from optline.masking import MASKERS, mask_text
from optline.runs import RunContext

FIRST_ROWS = 5  # rows shown, masked
NO_MANIFEST_LIST = "(no manifest)"  # the list an inspection of a file without a manifest names
_FIELD_OF_COLUMN = {column: field for field, column in FIELDS.items()}
_SHOWN_AS_READ = ("opted_in_at", "last_contact_at", "tags")  # not personal: shown as the file has them


@dataclass(frozen=True)
class HowRead:
    """How staging reads a file: its kind (csv, text, xlsx, xls), encoding and delimiter (a
    text file), sheet and the sheets not read (a workbook), and whether its first row is a header."""
    file_format: str
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    other_sheets: tuple[str, ...]
    has_header: bool


@dataclass(frozen=True)
class Head:
    """A file's first filled record (its cells as read: personal data, never shown) and how the
    file is read, as staging decides it."""
    read: HowRead
    first_row: list[str | None]

    @property
    def header(self) -> list[str | None] | None:
        return self.first_row if self.read.has_header else None


def read_head(path: Path, manifest: Manifest, file_limits: dict[str, int] | None = None) -> Head:
    """The first filled record of `path` read as `staging.stage_file` reads it (the same reader,
    the manifest's settings, the same header decision)."""
    fmt = file_format(path)
    records, how = open_records(path, fmt, encoding=manifest.encoding, delimiter=manifest.delimiter,
                                sheet=manifest.sheet, limits=FileLimits(**(file_limits or {})))
    try:
        _, (_, cells) = first_filled(records, path.name)
    finally:
        records.close()  # a workbook's reader closes the workbook
    first = [clean_cell(c) for c in cells]
    has_header = manifest.header if manifest.header is not None else is_header(first, manifest.columns)
    return Head(HowRead(fmt, how["encoding"], how["delimiter"], how.get("sheet"),
                        tuple(o["name"] for o in how.get("other_sheets", ())), has_header), first)


@dataclass(frozen=True)
class ColumnUse:
    """One field the import fills, and from which cell: `column` counts from 1, `header` is the
    header's name for it (masked if it looks like a phone), None without a header."""
    field: str
    column: int
    header: str | None


def column_uses(head: Head, by_field: dict[str, int]) -> list[ColumnUse]:
    shown = shown_headers(head.header) if head.header else None
    return [ColumnUse(field, index + 1, shown[index] if shown and index < len(shown) else None)
            for field, index in sorted(by_field.items(), key=lambda item: item[1])]


@dataclass(frozen=True)
class Inspection:
    """What an import of the file would do (see the module docstring)."""
    file_name: str
    read: HowRead  # as the staged batch records it
    header: list[str]  # masked where a cell looks like a phone; empty without a header
    manifest_path: str | None  # None: the file has no manifest (the import refuses it)
    lists: tuple[str, ...]
    default_country: str
    channel: str
    policy: str
    columns: list[ColumnUse]
    not_mapped: list[str]  # headers of cells no field takes (the import keeps them in `extra`)
    lines_read: int
    rows_accepted: int
    rows_rejected: int
    rows_warned: int
    rejected_by_reason: dict[str, int]
    warned_by_reason: dict[str, int]
    first_rows: list[dict[str, Any]]  # line, verdict, warnings and each mapped field, masked

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@contextmanager
def scratch_warehouse() -> Iterator[duckdb.DuckDBPyConnection]:
    """A throwaway warehouse: an in-memory DuckDB database with the real one's schema (migrated
    from sql/schema), its memory limit and threads, spilling (only past the limit) to a private
    temporary folder removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="optline-inspect-") as spill:
        settings = warehouse.connection_settings(Path(spill) / "scratch")
        conn = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False, **settings})
        try:
            warehouse.session_settings(conn)
            warehouse.migrate(conn)
            yield conn
        finally:
            conn.close()


def manifest_for(path: Path, manifest_file: Path | None = None) -> tuple[Manifest, bool]:
    """The manifest an import of `path` would use (or `manifest_file`, when given), and whether
    there is one: without, the import's defaults naming the list NO_MANIFEST_LIST."""
    if manifest_file is not None:
        return parse_manifest(read_yaml(manifest_file), source=manifest_file), True
    if manifest_path_for(path) is None:
        return Manifest(lists=(NO_MANIFEST_LIST,)), False
    return load_manifest(path), True


def inspect_file(path: Path, run: RunContext, manifest_file: Path | None = None,
                 first_rows: int = FIRST_ROWS) -> Inspection:
    """Stage and check `path` as an import would (`run`'s clock, its manifest or `manifest_file`)
    in a scratch warehouse, and say what came of it. Raises what the import's stage step raises
    (MalformedFileError, ManifestError, ConfigError: the file, line and cause)."""
    hmac_key()  # as the import: the configuration first (the row rules name numbers by their HMAC)
    require_inside(path, paths().inbox)
    manifest, found = manifest_for(path, manifest_file)
    policy = checked_policy(manifest, run, path)
    with scratch_warehouse() as conn:
        staged = stage_file(conn, path, manifest, run, loosened=[entry.as_dict() for entry in policy.loosened],
                            file_limits=policy.file_limits)
        hand_over_policy(staged.batch_id, policy)
        checked = rules.check_batch(conn, load_batch(conn, staged.batch_id))
        how = warehouse.fetch_dicts(conn, "preview/batch_how_read", batch_id=staged.batch_id)[0]
        warned = dict(warehouse.run(conn, "preview/batch_warnings_by_reason", batch_id=staged.batch_id).fetchall())
        shown_rows = warehouse.fetch_dicts(conn, "preview/first_rows", batch_id=staged.batch_id, max_rows=first_rows)
    head = read_head(path, manifest, policy.file_limits)
    by_field = {_FIELD_OF_COLUMN[column]: index
                for column, index in map_columns(head.header, manifest, head.first_row, path.name).by_column.items()}
    uses = column_uses(head, by_field)
    taken = {use.column - 1 for use in uses}
    not_mapped = [name for index, name in enumerate(shown_headers(head.header) if head.header else [])
                  if index not in taken]
    return Inspection(
        file_name=path.name,
        read=HowRead(how["file_format"], how["encoding"], how["delimiter"], head.read.sheet, head.read.other_sheets,
                     bool(how["has_header"])),
        header=shown_headers(head.header) if head.header else [],
        manifest_path=manifest.path if found else None, lists=manifest.lists,
        default_country=manifest.default_country, channel=manifest.channel, policy=policy.name,
        columns=uses, not_mapped=not_mapped, lines_read=how["lines_read"],
        rows_accepted=checked.rows_loaded, rows_rejected=checked.rows_rejected, rows_warned=checked.rows_warned,
        rejected_by_reason=dict(checked.rejected_by_reason), warned_by_reason=warned,
        first_rows=[masked_row(row, uses) for row in shown_rows],
    )


def masked_row(row: dict[str, Any], uses: list[ColumnUse]) -> dict[str, Any]:
    """A staged row with its verdict, each mapped field masked (`optline.masking`)."""
    verdict = "accepted" if row["accepted"] else row["reason_code"]
    shown: dict[str, Any] = {"line": row["line_number"], "verdict": verdict,
                             "warnings": ", ".join(row["warnings"] or [])}
    for use in uses:
        shown[use.field] = masked(use.field, row[FIELDS[use.field]])
    return shown


def masked(field: str, value: str | None) -> str:
    """A field's value fit to show on a terminal: personal data masked as `optline.masking` masks
    it (a field it has no rule for, e.g. an address, keeps its first character and its length)."""
    if field in _SHOWN_AS_READ:
        return value or ""
    return MASKERS.get(field, mask_text)(value)


def format_inspection(found: Inspection) -> str:
    """An inspection for people (what `optline inspect` prints)."""
    from optline.reports.tables import aligned

    how = found.read
    read = [how.file_format]
    if how.encoding:
        read.append(f"encoding {how.encoding}")
    if how.delimiter:
        read.append("delimiter " + ("tab" if how.delimiter == "\t" else repr(how.delimiter)))
    if how.sheet:
        others = f" (not read: {', '.join(map(repr, how.other_sheets))})" if how.other_sheets else ""
        read.append(f"sheet {how.sheet!r}{others}")
    manifest = (Path(found.manifest_path).name if found.manifest_path
                else "none: the import refuses this file until it has one; "
                     f"`optline import {found.file_name} --list NAME` writes one for you to review")
    lines = [
        f"{found.file_name}: what an import would do (nothing was written)",
        f"  read as     {', '.join(read)}",
        "  header      " + (", ".join(found.header) if how.has_header else "none (the first row is data)"),
        f"  manifest    {manifest}",
    ]
    if found.manifest_path:
        lines.append(f"              lists {', '.join(found.lists)}; default country {found.default_country}; "
                     f"channel {found.channel}; policy {found.policy}")
    lines.append(_wrapped("  columns     ", "; ".join(
        f"{use.field} <- {use.column}" + (f" {use.header!r}" if use.header else "") for use in found.columns)))
    if found.not_mapped:
        lines.append(_wrapped(" " * 14, f"kept as extra (no field): {', '.join(found.not_mapped)}"))
    lines.append(f"  rows read   {found.lines_read:,}: {found.rows_accepted:,} accepted"
                 + (f" ({found.rows_warned:,} with a warning)" if found.rows_warned else "")
                 + f", {found.rows_rejected:,} rejected")
    for title, counts in (("rejected", found.rejected_by_reason), ("warnings", found.warned_by_reason)):
        if counts:
            lines.append(_wrapped(f"  {title:<11} ", ", ".join(f"{code} {n:,}" for code, n in counts.items())))
    if found.first_rows:
        columns = list(found.first_rows[0])
        lines.append(f"  first {len(found.first_rows)} row(s), masked:")
        table = aligned(columns, [[row[c] for c in columns] for row in found.first_rows])
        lines.extend("    " + line for line in table)
    lines.append(_wrapped("  not known   ", "numbers that opted out before (previously_opted_out: counted as accepted "
                          "here), whether the file was imported already, the gate (the expectation suite); the "
                          "import knows them"))
    return "\n".join(lines)


def _wrapped(first: str, text: str, width: int = 110) -> str:
    return textwrap.fill(text, width=width, initial_indent=first, subsequent_indent=" " * len(first),
                         break_on_hyphens=False)


@dataclass(frozen=True)
class Guess:
    """The manifest settings a file without a manifest seems to need, from its first row."""
    head: Head
    columns: dict[str, str | int]  # field -> the header's name, or a column number without a header
    not_mapped: list[str]  # headers no field takes


def guess_manifest(path: Path) -> Guess:
    """Read `path`'s first row as an import with the default settings would, and say which column
    feeds which field: by header name (every header Optline recognizes); without a header, `phone`
    is the only column, else the first whose cell looks like a phone (7 digits or more). A file
    whose phone column is not found gets no `phone` (the person writes it in)."""
    require_inside(path, paths().inbox, manifest=False)
    default = Manifest(lists=(NO_MANIFEST_LIST,))
    head = read_head(path, default)
    try:
        by_field = {_FIELD_OF_COLUMN[column]: index
                    for column, index in map_columns(head.header, default, head.first_row, path.name).by_column.items()}
    except MalformedFileError:  # no phone column: the other fields still help
        by_field = resolve_columns(head.header, {}, head.first_row, path.name)
        if head.header is None:  # rows of data only: the first cell that looks like a phone
            phone_like = [index for index, cell in enumerate(head.first_row) if looks_like_phone(cell)]
            by_field.update({"phone": phone_like[0]} if phone_like else {})
    header = head.header
    columns: dict[str, str | int] = {
        field: (header[index] or index + 1) if header else index + 1
        for field, index in sorted(by_field.items(), key=lambda item: item[1])}
    not_mapped = [cell or f"column {index + 1}" for index, cell in enumerate(header or [])
                  if index not in by_field.values()]
    return Guess(head, columns, not_mapped)
