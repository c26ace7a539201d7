"""A file's identity: the sha256 of its bytes, and the import key (file + effective manifest).

Hashing reads every byte (~0.7 s for 700 MB here), so a contact file found again unchanged
on disk (`file_stat`: the same device, inode, size, modification and change times, as rsync's
and git's quick check) takes the sha256 recorded when it was staged (`known_sha256_of`); a
copy, a rewrite or a touch changes the stat and is hashed again."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from optline import warehouse
from optline.intake.manifest import ManifestSettings


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_stat(path: Path) -> str:
    """The file as it lies on disk: device, inode, size, modification and change times (ns).
    Any write changes the change time, so equal stats mean the same bytes."""
    st = path.stat()
    return f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}"


def known_sha256_of(conn: duckdb.DuckDBPyConnection, path: Path, stat: str) -> str:
    """The sha256 of a contact file: the one recorded for a batch staged from this very file,
    unchanged since (`stat`, from `file_stat`), else read from its bytes."""
    row = warehouse.run(conn, "batches/batch_sha_by_file_stat", file_stat=stat).fetchone()
    return row[0] if row else sha256_of(path)


def import_key(file_sha256: str, manifest: ManifestSettings, kind: str | None = None) -> str:
    """The file's bytes under its effective settings: the same file under other settings, or
    dropped in another kind's inbox (`optouts`, `inbound`, `confirmations`), is another import.
    Contact lists have no kind (their keys predate the other kinds)."""
    prefix = f"{kind}:" if kind else ""
    return hashlib.sha256(f"{prefix}{file_sha256}:{manifest.fingerprint()}".encode()).hexdigest()
