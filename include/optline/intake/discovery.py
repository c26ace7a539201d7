"""The inbox: which files are waiting to be imported."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from optline.intake.readers import FORMATS


@dataclass(frozen=True)
class InboxFile:
    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    def as_xcom(self) -> dict:
        """What a task passes on: the path, never the contents."""
        return {"path": str(self.path), "name": self.path.name}


def discover(inbox: Path) -> list[InboxFile]:
    """Data files below `inbox` (manifests, hidden and `_`-prefixed files aside), by path."""
    if not inbox.is_dir():
        raise FileNotFoundError(f"inbox {inbox} does not exist: create it or set OPTLINE_INBOX")
    found = []
    for path in sorted(inbox.rglob("*")):
        rel = path.relative_to(inbox)
        if any(part.startswith((".", "_")) for part in rel.parts):
            continue
        if path.is_file() and path.suffix.lower() in FORMATS and ".manifest." not in path.name:
            found.append(InboxFile(path))
    return found
