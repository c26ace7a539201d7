"""Named lists as users expect them: with `create_lists: false` a file goes only into lists that
exist already, so a typo in a list name fails the file instead of creating a new list.

`require_existing` is called before anything of the file is written (the contact import's stage
step, a touch-up file before its transaction); its error names the file, the manifest key, each
unknown name, the closest existing names (difflib) and what to do.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

import duckdb

from optline import warehouse
from optline.intake.manifest import Manifest, ManifestError

CLOSEST = 3  # existing names suggested per unknown one
LISTED = 10  # existing names shown when none is close


def name_key(name: str) -> str:
    """A list name as core.lists.name_key holds it: trimmed, lower case (names are unique so)."""
    return name.strip().lower()


def unknown_names(conn: duckdb.DuckDBPyConnection, names: Iterable[str]) -> tuple[list[str], dict[str, str]]:
    """The names (first spelling of each key, in the order given) that no list has, and every
    existing list's key -> name."""
    existing = {row["name_key"]: row["name"] for row in warehouse.fetch_dicts(conn, "staging/list_names")}
    unknown: dict[str, str] = {}
    for name in names:
        if name and name.strip() and name_key(name) not in existing:
            unknown.setdefault(name_key(name), name.strip())
    return list(unknown.values()), existing


def require_existing(conn: duckdb.DuckDBPyConnection, names: Iterable[str], *, file_name: str, manifest_name: str,
                     where_named: str) -> None:
    """Raise ManifestError (an input error: the file fails, nothing written) when a name in
    `names` is no existing list's. `where_named` says where the names come from (the manifest's
    `lists`, a touch-up's `list` column)."""
    unknown, existing = unknown_names(conn, names)
    if not unknown:
        return
    keys = list(existing)
    said = []
    for name in unknown:
        close = difflib.get_close_matches(name_key(name), keys, n=CLOSEST, cutoff=0.6)
        hint = (f" (closest: {', '.join(repr(existing[k]) for k in close)})" if close
                else " (no list has a similar name)")
        said.append(f"{name!r}{hint}")
    shown = ", ".join(repr(existing[k]) for k in keys[:LISTED]) + (", ..." if len(keys) > LISTED else "")
    lists = f"the lists are {shown}" if keys else "there are no lists yet"
    raise ManifestError(
        f"{file_name}: `create_lists: false` in {manifest_name}, but no list is named "
        f"{'; '.join(said)} ({where_named}; {lists}). Nothing was imported: correct the name, or set "
        "`create_lists: true` (or leave it out) to create the list")


def require_manifest_lists(conn: duckdb.DuckDBPyConnection, manifest: Manifest, path: Path) -> None:
    """A contact file's `lists:` must exist when its manifest says `create_lists: false`."""
    if not manifest.create_lists:
        require_existing(conn, manifest.lists, file_name=path.name,
                         manifest_name=Path(manifest.path).name if manifest.path else "its manifest",
                         where_named="`lists`")
