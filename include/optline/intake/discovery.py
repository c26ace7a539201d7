"""The inbox: which files are waiting to be imported."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from optline.intake.manifest import manifest_path_for
from optline.intake.readers import FORMATS

log = logging.getLogger(__name__)


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
    """Data files below `inbox` (manifests, hidden and `_`-prefixed files aside), by path.

    A data file or its manifest that is a symlink resolving outside the inbox is skipped, with a
    warning naming the link (never its contents); a link that stays inside the inbox is kept."""
    if not inbox.is_dir():
        raise FileNotFoundError(f"inbox {inbox} does not exist: create it or set OPTLINE_INBOX")
    root = inbox.resolve()
    found = []
    for path in sorted(inbox.rglob("*")):
        rel = path.relative_to(inbox)
        if any(part.startswith((".", "_")) for part in rel.parts):
            continue
        if path.is_file() and path.suffix.lower() in FORMATS and ".manifest." not in path.name:
            outside = [p for p in (path, manifest_path_for(path)) if p is not None and not _inside(p, root)]
            if outside:
                log.warning("%s: not imported: %s is a link to a file outside the inbox %s; "
                            "copy the file into the inbox instead", rel, outside[0].relative_to(inbox), inbox)
                continue
            found.append(InboxFile(path))
    return found


def _inside(path: Path, root: Path) -> bool:
    """Whether `path`, its links followed, is a file in the folder `root` (already resolved)."""
    return path.resolve().is_relative_to(root)
