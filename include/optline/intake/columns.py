"""Which cell holds which field: header detection, the manifest's `columns:` resolved to cell
indexes, and headers as an error message may show them. Shared by every kind of input file."""

from __future__ import annotations

from collections.abc import Callable

from optline.intake.fields import field_for_header, header_key
from optline.intake.manifest import ManifestError
from optline.masking import mask_phone

_PHONE_LIKE_DIGITS = 7


def looks_like_phone(cell: str | None) -> bool:
    return bool(cell) and sum(ch.isdigit() for ch in cell) >= _PHONE_LIKE_DIGITS


def is_header(cells: list[str | None], columns: dict[str, str | int],
              field_for: Callable[[str], str | None] = field_for_header) -> bool:
    """A first row naming known fields (or the manifest's `columns:` headers), with no phone-like cell."""
    mapped = {header_key(t) for t in columns.values() if isinstance(t, str)}
    named = any(c and (field_for(c) or header_key(c) in mapped) for c in cells)
    return named and not any(looks_like_phone(c) for c in cells)


def shown_headers(header: list[str | None]) -> list[str]:
    """Headers as an error message may show them: a cell that looks like a phone is masked."""
    return [mask_phone(h) if looks_like_phone(h) else (h or "") for h in header]


def resolve_columns(header: list[str | None] | None, columns: dict[str, str | int], first_row: list[str | None],
                    file_name: str, field_for: Callable[[str], str | None] = field_for_header) -> dict[str, int]:
    """field -> cell index: the manifest's `columns:` (header name or 1-based number) first, then
    every header `field_for` recognizes. Errors name the file and the manifest key."""
    by_field: dict[str, int] = {}
    keys = [header_key(h or "") for h in header] if header else []
    width = len(header) if header else len(first_row)
    for fld, target in columns.items():
        if isinstance(target, int):
            if target > width:
                raise ManifestError(f"{file_name}: `columns.{fld}` is column {target}, but the file's "
                                    f"{'header' if header else 'first row'} has {width} column(s)")
            by_field[fld] = target - 1
            continue
        if not header:
            raise ManifestError(f"{file_name}: `columns.{fld}` names header {target!r}, but the file has no header; "
                                "use a column number (1 = first column)")
        key = header_key(target)
        if key not in keys:
            raise ManifestError(f"{file_name}: `columns.{fld}` names header {target!r}, which the file does not have; "
                                f"its headers are {shown_headers(header)}")
        by_field[fld] = keys.index(key)
    taken = set(by_field.values())
    for index, cell in enumerate(header or []):
        fld = field_for(cell or "")
        if fld and fld not in by_field and index not in taken:
            by_field[fld] = index
            taken.add(index)
    return by_field
