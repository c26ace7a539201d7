"""A file's identity: the sha256 of its bytes, and the import key (file + effective manifest)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from optline.intake.manifest import ManifestSettings


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def import_key(file_sha256: str, manifest: ManifestSettings, kind: str | None = None) -> str:
    """The file's bytes under its effective settings: the same file under other settings, or
    dropped in another kind's inbox (`optouts`, `inbound`, `confirmations`), is another import.
    Contact lists have no kind (their keys predate the other kinds)."""
    prefix = f"{kind}:" if kind else ""
    return hashlib.sha256(f"{prefix}{file_sha256}:{manifest.fingerprint()}".encode()).hexdigest()
