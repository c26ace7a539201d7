"""A stand-in for a generic message webhook on 127.0.0.1, for tests of WebhookProvider.

* ``POST /messages`` with JSON ``{idempotency_key, to, channel, body}``, header
  ``Idempotency-Key`` (must equal the JSON key) and, when the stand-in has a token,
  ``Authorization: Bearer <token>`` (else 401). A new key is stored and answered 201
  ``{"id": "WH" + 32 hex, "status": "accepted"}``; a key already stored is not stored again and
  is answered 200 with the same id and ``"duplicate": true`` (idempotency-key dedupe).
* ``GET /messages/{key}``: 200 ``{"id", "idempotency_key", "status"}`` or 404 ``{"error"}``.

Fault injection per successive POST that passes auth and validation (``script([...])`` or a
callable(request) -> mode): ok; 429 (not stored, Retry-After); 500 / 503 (not stored);
500_after_accept (stored, then 500); timeout (stored, answered after ``delay`` s);
drop_after_accept (stored, connection closed without a response); kill_after_accept
(stored, ``os.kill(kill_pid, SIGKILL)``, then dropped); reject (422, not stored);
ok_without_id (stored, 202 with an empty body). Per successive lookup
(``fail_lookups([...])``): ok, 500, drop, timeout.

Records (copies): ``received`` (every POST: idempotency_key (header), key (JSON), to, channel,
body, time, mode, auth_ok, authorization, duplicate, id, status), ``accepted`` (stored
messages: id, idempotency_key, to, channel, body, time), ``lookups`` (key, time, mode).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import secrets
from typing import Any
from urllib.parse import unquote, urlsplit

from tests.standins import FaultScript, LoopbackServer, ModeSource, StandInHandler

POST_MODES = ("ok", "429", "500", "503", "500_after_accept", "timeout", "drop_after_accept",
              "kill_after_accept", "reject", "ok_without_id")
LOOKUP_MODES = ("ok", "500", "drop", "timeout")


class WebhookStandIn(LoopbackServer):
    """``with WebhookStandIn(token="t") as hook: ...``; ``hook.messages_url`` is where to POST,
    ``hook.lookup_url`` the ``{key}`` template for lookups.

    token: the bearer token required (None: no auth). delay: seconds the "timeout" fault waits.
    retry_after: Retry-After on 429/503 (None: no header). kill_pid: for "kill_after_accept".
    """

    def __init__(self, token: str | None = None, *, delay: float = 2.0, retry_after: str | None = "1",
                 kill_pid: int | None = None, port: int = 0) -> None:
        super().__init__(delay=delay, kill_pid=kill_pid, port=port)
        self.token = token
        self.retry_after = retry_after
        self._posts = FaultScript(POST_MODES, "POST")
        self._lookup_script = FaultScript(LOOKUP_MODES, "lookup")
        self._received: list[dict[str, Any]] = []
        self._accepted: dict[str, dict[str, Any]] = {}   # key -> message
        self._lookups: list[dict[str, Any]] = []

    @property
    def messages_url(self) -> str:
        return self.url + "/messages"

    @property
    def lookup_url(self) -> str:
        return self.url + "/messages/{key}"

    def script(self, modes: ModeSource) -> None:
        self._posts.set(modes)

    def fail_lookups(self, modes: ModeSource) -> None:
        self._lookup_script.set(modes)

    @property
    def received(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._received)

    @property
    def accepted(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(list(self._accepted.values()))

    @property
    def lookups(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._lookups)


class _WebhookHandler(StandInHandler):
    owner: WebhookStandIn

    def _auth_ok(self) -> bool:
        token = self.owner.token
        if token is None:
            return True
        header = self.headers.get("Authorization") or ""
        return header.startswith("Bearer ") and secrets.compare_digest(header[7:], token)

    def _retry_after(self) -> dict[str, str]:
        value = self.owner.retry_after
        return {} if value is None else {"Retry-After": str(value)}

    def do_POST(self) -> None:
        owner = self.owner
        raw = self.read_body()
        if urlsplit(self.path).path.rstrip("/") != "/messages":
            self.send_json(404, {"error": "not found"})
            return
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            data = None
        data = data if isinstance(data, dict) else {}
        record: dict[str, Any] = {
            "idempotency_key": self.headers.get("Idempotency-Key"), "key": data.get("idempotency_key"),
            "to": data.get("to"), "channel": data.get("channel"), "body": data.get("body"),
            "time": dt.datetime.now(dt.UTC), "mode": None, "auth_ok": self._auth_ok(),
            "authorization": self.headers.get("Authorization"), "content_type": self.headers.get("Content-Type"),
            "duplicate": False, "id": None, "status": None,
        }
        with owner._lock:
            owner._received.append(record)

        def answer(status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            record["status"] = status
            self.send_json(status, payload, headers)

        if not record["auth_ok"]:
            answer(401, {"error": "unauthorized"}, {"WWW-Authenticate": "Bearer"})
            return
        key = record["key"]
        if not key or not record["to"] or not record["body"] or record["idempotency_key"] != key:
            answer(400, {"error": "idempotency_key (JSON and Idempotency-Key header), to and body are required"})
            return
        mode = owner._posts.next(dict(record))
        record["mode"] = mode
        if mode == "reject":
            answer(422, {"error": "recipient refused"})
            return
        if mode == "429":
            answer(429, {"error": "slow down"}, self._retry_after())
            return
        if mode in ("500", "503"):
            answer(int(mode), {"error": "unavailable"}, self._retry_after() if mode == "503" else None)
            return
        with owner._lock:
            message = owner._accepted.get(key)
            record["duplicate"] = message is not None
            if message is None:
                message = {"id": "WH" + secrets.token_hex(16), "idempotency_key": key, "to": record["to"],
                           "channel": record["channel"], "body": record["body"], "time": record["time"]}
                owner._accepted[key] = message
            record["id"] = message["id"]
        if mode == "500_after_accept":
            answer(500, {"error": "internal error"})
        elif mode == "drop_after_accept":
            self.drop()
        elif mode == "kill_after_accept":
            self.kill_sender()
        elif mode == "ok_without_id":
            record["status"] = 202
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            if mode == "timeout":
                self.hold()
            payload = {"id": record["id"], "status": "accepted"}
            if record["duplicate"]:
                payload["duplicate"] = True
            answer(200 if record["duplicate"] else 201, payload)

    def do_GET(self) -> None:
        owner = self.owner
        path = urlsplit(self.path).path
        if not path.startswith("/messages/"):
            self.send_json(404, {"error": "not found"})
            return
        if not self._auth_ok():
            self.send_json(401, {"error": "unauthorized"}, {"WWW-Authenticate": "Bearer"})
            return
        key = unquote(path[len("/messages/"):])
        record = {"key": key, "time": dt.datetime.now(dt.UTC), "mode": None}
        record["mode"] = mode = owner._lookup_script.next(dict(record))
        with owner._lock:
            owner._lookups.append(record)
        if mode == "drop":
            self.drop()
            return
        if mode == "500":
            self.send_json(500, {"error": "internal error"})
            return
        if mode == "timeout":
            self.hold()
        with owner._lock:
            message = owner._accepted.get(key)
        if message is None:
            self.send_json(404, {"error": "no such message"})
        else:
            self.send_json(200, {"id": message["id"], "idempotency_key": key, "status": "accepted"})


WebhookStandIn.handler_class = _WebhookHandler
