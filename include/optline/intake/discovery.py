"""The inbox: which files are waiting to be imported."""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from optline.intake.manifest import manifest_path_for
from optline.intake.readers import FORMATS, MalformedFileError

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
    warning naming the link (never its contents); a link that stays inside the inbox is kept.
    A special file under a data file's name (a named pipe, a device, a socket) is skipped with a
    warning, found by `stat` alone: it is never opened (a pipe would block its reader)."""
    if not inbox.is_dir():
        raise FileNotFoundError(f"inbox {inbox} does not exist: create it or set OPTLINE_INBOX")
    root = inbox.resolve()
    found = []
    for path in sorted(inbox.rglob("*")):
        rel = path.relative_to(inbox)
        if any(part.startswith((".", "_")) for part in rel.parts):
            continue
        special = _special_kind(path)
        if special and path.suffix.lower() in FORMATS and ".manifest." not in path.name:
            log.warning("%s: not imported: it is %s, not a regular file; drop a regular file instead", rel, special)
            continue
        if path.is_file() and path.suffix.lower() in FORMATS and ".manifest." not in path.name:
            outside = [p for p in (path, manifest_path_for(path)) if p is not None and not _inside(p, root)]
            if outside:
                log.warning("%s: not imported: %s is a link to a file outside the inbox %s; "
                            "copy the file into the inbox instead", rel, outside[0].relative_to(inbox), inbox)
                continue
            found.append(InboxFile(path))
    return found


def require_inside(path: Path, inbox: Path | None = None, *, manifest: bool = True) -> None:
    """Refuse, before anything opens it, a file a kind's `apply_file` (or a stage) was handed
    directly (the CLI, a DAG run's params) that discovery would not have found:

    - a symlink (the file, its manifest when `manifest`, or a folder above them) resolving
      outside the folder it was named in: `inbox` when the path lies inside it (so that a link
      from one inbox folder to another, which discovery keeps, is kept), else the folder that
      holds the path;
    - a missing file, or anything but a regular file: a named pipe (reading one blocks until
      someone writes to it: forever, in a nightly run), a device, a socket, a folder.

    Raises MalformedFileError (an input error: no retry) naming the file, never its contents
    nor where a link leads. Only `stat` is used: nothing is opened."""
    path = Path(path)
    folder = path.parent
    if inbox is not None and Path(os.path.abspath(path)).is_relative_to(os.path.abspath(inbox)):
        folder = Path(inbox)
    kind = _special_kind(path)
    if path.is_dir():
        raise MalformedFileError(path.name, None, "is a folder, not a file; name one file of it")
    if kind is None and not path.is_file():
        raise MalformedFileError(path.name, None, "no such file; check the path (a link must lead to an existing "
                                 "file)")
    if kind is not None:
        raise MalformedFileError(path.name, None, f"it is {kind}, not a regular file; drop (or name) a regular file "
                                 "with the data instead")
    root = folder.resolve()
    candidates = [path, manifest_path_for(path)] if manifest else [path]
    for candidate in candidates:
        if candidate is not None and not _inside(candidate, root):
            shown = path.name if candidate == path else f"{path.name}: its manifest {candidate.name}"
            raise MalformedFileError(shown, None, f"is a link to a file outside the folder {folder.name or folder}; "
                                     "links out of an inbox are not followed, copy the file into the folder instead")


def _special_kind(path: Path) -> str | None:
    """What `path` (its links followed) is when it exists and is neither a regular file nor a
    folder: "a named pipe (FIFO)", "a device", "a socket"; else None. Never opens it."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return None


def _inside(path: Path, root: Path) -> bool:
    """Whether `path`, its links followed, is a file in the folder `root` (already resolved)."""
    return path.resolve().is_relative_to(root)
