"""A file's identity: the sha256 of its bytes, and the import key (file + effective manifest)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from optline.intake.manifest import Manifest


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def import_key(file_sha256: str, manifest: Manifest) -> str:
    return hashlib.sha256(f"{file_sha256}:{manifest.fingerprint()}".encode()).hexdigest()
