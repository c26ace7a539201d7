"""The sandbox provider: sends nothing, records each accepted message in a JSON-lines file."""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import logging
import os
import threading
from collections.abc import Collection
from pathlib import Path

from optline.messaging.providers.base import LookupOutcome, OutgoingMessage, SendOutcome

try:  # POSIX: the sandbox file is shared by processes (Airflow workers)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)


def sandbox_message_id(idempotency_key: str) -> str:
    return "SB" + hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:32]


class SandboxProvider:
    """The demo provider: sends nothing anywhere, appends one JSON line per accepted message
    to ``folder/messages.jsonl`` (flushed and fsync'd before ``send`` returns).

    Safe to call from several threads (the dispatcher's pool): lines are appended one at a
    time, and one fsync covers every line written before it began (a group commit), so
    concurrent senders share fsyncs instead of queueing for one each.

    It does not deduplicate: a second send of the same key writes a second line, so a
    dispatcher that sends twice is visible in the file.
    """

    name = "sandbox"
    FILE_NAME = "messages.jsonl"

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / self.FILE_NAME
        self._lock = threading.Lock()        # one append at a time (this process; flock between processes)
        self._sync_lock = threading.Lock()   # one fsync at a time
        self._written = 0                    # lines appended by this object
        self._synced = 0                     # of those, the ones an fsync has covered

    def send(self, message: OutgoingMessage) -> SendOutcome:
        message_id = sandbox_message_id(message.idempotency_key)
        record = {
            "idempotency_key": message.idempotency_key,
            "to": message.to,
            "channel": message.channel,
            "body": message.body,
            "id": message_id,
            "sent_at": dt.datetime.now(dt.UTC).isoformat(),
        }
        data = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            with self._lock:
                self._append(data)
                self._written += 1
                mine = self._written
            self._sync(mine)
        except OSError as exc:
            # Part of the line may be on disk (lookup skips a torn line): look up first.
            name = errno.errorcode.get(exc.errno or 0, type(exc).__name__)
            log.warning("sandbox send %s: write failed (%s)", message.idempotency_key, name)
            return SendOutcome("unknown", error=f"sandbox write failed: {name}")
        log.info("sandbox send %s: accepted %s", message.idempotency_key, message_id)
        return SendOutcome("accepted", provider_message_id=message_id)

    def _append(self, data: bytes) -> None:
        created = not self.path.exists()
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                data = b"\n" + data  # a crash tore the last line: keep the next one whole
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)  # releases the flock
        if created:
            dir_fd = os.open(self.folder, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    def _sync(self, line: int) -> None:
        """Return once line number `line` (of this object's) is on disk: fsync unless another
        thread's fsync, begun after that line was written, has covered it."""
        with self._sync_lock:
            if self._synced >= line:
                return
            with self._lock:
                covered = self._written  # every line counted here was written before this fsync
            fd = os.open(self.path, os.O_RDONLY)
            try:
                os.fsync(fd)  # the file's data, whichever descriptor wrote it
            finally:
                os.close(fd)
            self._synced = covered

    def lookup(self, message: OutgoingMessage, known_ids: Collection[str]) -> LookupOutcome:
        try:
            with self.path.open("rb") as handle:
                lines = handle.read().splitlines()
        except FileNotFoundError:
            return LookupOutcome("not_found")
        except OSError as exc:
            return LookupOutcome("unknown", error=f"sandbox read failed: {type(exc).__name__}")
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a torn line from a crash mid-write
            if isinstance(record, dict) and record.get("idempotency_key") == message.idempotency_key \
                    and record.get("id") not in known_ids:
                return LookupOutcome("found", provider_message_id=record.get("id"), provider_status="recorded")
        return LookupOutcome("not_found")

    def close(self) -> None:
        pass
