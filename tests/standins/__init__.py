"""Local stand-ins for the services Optline sends messages through, on 127.0.0.1.

`twilio_server.TwilioStandIn` speaks the part of Twilio's REST API 2010-04-01 the SDK uses;
`webhook_server.WebhookStandIn` is a generic webhook receiver. Both run a
`ThreadingHTTPServer` on an ephemeral loopback port in a daemon thread, record every request
they receive, and fail on purpose when told to (`script([...])`), so the once-only contract of
`optline.messaging.providers` can be tested over real HTTP.

This module holds what the two share: the server thread, the connection bookkeeping (so that
`stop()` really cuts every open connection, pooled keep-alive ones included) and the fault
script.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Mode = str
ModeSource = Iterable[Mode] | Callable[[dict[str, Any]], Mode]


class FaultScript:
    """What to do with each successive request: a queue of modes (then "ok"), or a callable
    given the request record and returning a mode. Thread-safe."""

    def __init__(self, known: Iterable[str], what: str) -> None:
        self.known = frozenset(known)
        self.what = what
        self._lock = threading.Lock()
        self._queue: deque[Mode] = deque()
        self._chooser: Callable[[dict[str, Any]], Mode] | None = None

    def set(self, modes: ModeSource) -> None:
        with self._lock:
            if callable(modes):
                self._chooser, self._queue = modes, deque()
                return
            queue = deque(str(m) for m in modes)
            for mode in queue:
                self._check(mode)
            self._chooser, self._queue = None, queue

    def _check(self, mode: Mode) -> Mode:
        if mode not in self.known:
            raise ValueError(f"unknown {self.what} mode {mode!r}; known: {sorted(self.known)}")
        return mode

    def next(self, request: dict[str, Any]) -> Mode:
        with self._lock:
            if self._chooser is not None:
                return self._check(self._chooser(request))
            return self._queue.popleft() if self._queue else "ok"

    @property
    def pending(self) -> list[Mode]:
        with self._lock:
            return list(self._queue)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # keep-alive handler threads must not hold up stop()
    owner: LoopbackServer


class StandInHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive like the real services; quiet (the default handler logs each
    request line, query string and all, to stderr)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once, no 40 ms delayed-ACK stalls
    server: _Server

    @property
    def owner(self) -> Any:
        return self.server.owner

    def setup(self) -> None:
        super().setup()
        self.owner._track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.owner._untrack(self.connection)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:  # the client gave up (timed out) before we answered
            self.close_connection = True

    def drop(self) -> None:
        """Close the connection without a byte of response."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def hold(self) -> None:
        """The "timeout" fault: answer only after the owner's delay (or when it stops)."""
        self.owner._stopping.wait(self.owner.delay)

    def kill_sender(self) -> None:
        """The "kill_after_accept" fault: SIGKILL the sending process, then drop."""
        pid = self.owner.kill_pid
        if pid is None:
            self.owner.errors.append("kill_after_accept without kill_pid: dropped instead")
        else:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError as exc:
                self.owner.errors.append(f"kill {pid}: {exc}")
        self.drop()


class LoopbackServer:
    """A ThreadingHTTPServer on 127.0.0.1 (port 0 unless given) in a daemon thread; a context
    manager. Subclasses set `handler_class`."""

    handler_class: type[StandInHandler] = StandInHandler

    def __init__(self, *, delay: float = 2.0, kill_pid: int | None = None, port: int = 0) -> None:
        self.delay = delay          # seconds the "timeout" fault waits before answering
        self.kill_pid = kill_pid    # the process "kill_after_accept" kills
        self.port = port
        self.errors: list[str] = []
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._url: str | None = None

    # -- life cycle

    def start(self) -> LoopbackServer:
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server(("127.0.0.1", self.port), self.handler_class)
        server.owner = self
        self._server = server
        host, port = server.server_address[:2]
        self._url = f"http://{host}:{port}"
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"{type(self).__name__}:{port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and cut every open connection; `url` keeps the old address, which
        now refuses connections."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        with self._lock:
            connections, self._connections = list(self._connections), set()
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._url

    @property
    def running(self) -> bool:
        return self._server is not None

    # -- bookkeeping

    def _track(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.add(conn)

    def _untrack(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.discard(conn)
