"""A stand-in for Twilio's Messages API (REST 2010-04-01) on 127.0.0.1, for tests.

It speaks what twilio-python 9.x sends:

* ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``, form-encoded ``To``, ``From`` or
  ``MessagingServiceSid``, ``Body``; HTTP basic auth must be the configured SID and token
  (else 401, code 20003). 201 with a Message resource as Twilio writes it (sid ``SM`` + 32
  hex, RFC 2822 dates, ``status`` queued, or accepted via a messaging service, ``date_sent``
  null, ``direction`` outbound-api, ``uri``, ...). A ``To`` that is not E.164 (optionally
  ``whatsapp:``-prefixed) is refused like Twilio does (400, code 21211).
* ``GET …/Messages.json`` with ``To``, ``From``, ``DateSent``, ``DateSent<``, ``DateSent>``
  (the SDK's names for ``DateSent<=`` / ``DateSent>=``), ``PageSize`` (default 50), ``Page``
  and ``PageToken``; newest first (by date_created); Twilio's paging fields (``uri``,
  ``first_page_uri``, ``next_page_uri``, ``previous_page_uri``, ``page``, ``page_size``,
  ``start``, ``end``) so that ``messages.stream()`` follows the pages.
* ``GET …/Messages/{Sid}.json``.
* Errors in Twilio's JSON shape ``{code, message, more_info, status}``.

Fault injection, per successive authenticated POST (``script([...])`` or a callable taking
the request record and returning a mode; after the list runs out every POST is "ok"):

================== ========= ============================================================
mode               stored?   response
================== ========= ============================================================
ok                 yes       201 Message
429                no        429, code 20429, ``Retry-After`` (``retry_after``)
500                no        500, code 20500
503                no        503, code 20503, ``Retry-After``
500_after_accept   yes       500, code 20500
timeout            yes       201 after ``delay`` seconds (longer than the client waits)
drop_after_accept  yes       connection closed without a response
kill_after_accept  yes       ``os.kill(kill_pid, SIGKILL)``, then the connection is closed
invalid_number     no        400, code 21211
unsubscribed       no        400, code 21610
================== ========= ============================================================

and per successive authenticated list GET (``fail_lists([...])``): ok, 500, 429, drop, timeout.

Records (each a list of dicts, copies): ``received`` (every POST to Messages.json, refused
or dropped ones included: to, from, messaging_service_sid, body, time, mode, auth_ok,
account_ok, sid, status), ``accepted`` (Message resources stored from a POST), ``messages``
(everything listable, seeded ones included), ``list_requests`` (params, time, mode).
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import email.utils
import re
import secrets
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.standins import FaultScript, LoopbackServer, ModeSource, StandInHandler

DEFAULT_ACCOUNT_SID = "AC" + "5e" * 16
DEFAULT_AUTH_TOKEN = "standin-auth-token-" + "7f" * 8
POST_MODES = ("ok", "429", "500", "503", "500_after_accept", "timeout", "drop_after_accept",
              "kill_after_accept", "invalid_number", "unsubscribed")
LIST_MODES = ("ok", "500", "429", "drop", "timeout")
API = "/2010-04-01"
_ADDRESS = re.compile(r"(whatsapp:)?\+[1-9]\d{6,14}")
_PATH = re.compile(r"/2010-04-01/Accounts/(?P<account>[^/]+)/Messages(?:/(?P<sid>[^/]+))?\.json")


def rfc2822(value: dt.datetime | None) -> str | None:
    """Twilio's date format: ``Thu, 24 Aug 2023 05:01:45 +0000``."""
    return None if value is None else email.utils.format_datetime(value.astimezone(dt.UTC)).replace(
        "-0000", "+0000")


def _parse_date_filter(value: str) -> dt.datetime | dt.date | None:
    value = value.strip()
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d"):
        try:
            parsed = dt.datetime.strptime(value, fmt)
        except ValueError:
            continue
        return parsed.replace(tzinfo=dt.UTC) if "T" in fmt else parsed.date()
    return None


def _error(code: int, status: int, message: str) -> dict[str, Any]:
    return {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status}


def _segments(body: str) -> int:
    gsm = all(ord(ch) < 128 for ch in body)
    single, multi = (160, 153) if gsm else (70, 67)
    return 1 if len(body) <= single else -(-len(body) // multi)


class TwilioStandIn(LoopbackServer):
    """``with TwilioStandIn() as twilio: ...`` — see the module docstring.

    account_sid / auth_token: the credentials basic auth must carry.
    delay: seconds the "timeout" fault (and the list "timeout") waits before answering.
    retry_after: the Retry-After header value on 429/503 (None: no header).
    kill_pid: the process "kill_after_accept" kills (settable later: ``server.kill_pid = pid``).
    clock: the time messages are created at (default: now, UTC).
    """

    def __init__(self, account_sid: str = DEFAULT_ACCOUNT_SID, auth_token: str = DEFAULT_AUTH_TOKEN, *,
                 delay: float = 2.0, retry_after: str | None = "1", kill_pid: int | None = None,
                 clock: Callable[[], dt.datetime] | None = None, port: int = 0) -> None:
        super().__init__(delay=delay, kill_pid=kill_pid, port=port)
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.retry_after = retry_after
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._posts = FaultScript(POST_MODES, "POST")
        self._lists = FaultScript(LIST_MODES, "list")
        self._received: list[dict[str, Any]] = []
        self._accepted: list[dict[str, Any]] = []
        self._list_requests: list[dict[str, Any]] = []
        self._store: dict[str, dict[str, Any]] = {}   # sid -> {"resource", "created", "sent", "seq"}
        self._seq = 0
        self._store_lock = threading.Lock()

    # -- test controls

    def script(self, modes: ModeSource) -> None:
        """Modes for the next POSTs, in order (then "ok"), or a callable(request) -> mode."""
        self._posts.set(modes)

    def fail_lists(self, modes: ModeSource) -> None:
        """Modes for the next list GETs (ok, 500, 429, drop, timeout)."""
        self._lists.set(modes)

    def add_message(self, to: str, body: str, *, from_: str | None = "+15005550006",
                    messaging_service_sid: str | None = None, date_created: dt.datetime | None = None,
                    date_sent: dt.datetime | None = None, status: str = "queued",
                    direction: str = "outbound-api") -> dict[str, Any]:
        """Seed a message as if sent earlier (not in `received`/`accepted`); returns the resource."""
        return self._store_message(to=to, from_=from_, messaging_service_sid=messaging_service_sid, body=body,
                                   created=date_created or self.clock(), sent=date_sent, status=status,
                                   direction=direction)

    def set_status(self, sid: str, status: str, *, date_sent: dt.datetime | None = None) -> None:
        """Move a message on (e.g. sent / delivered), as Twilio does after accepting it."""
        with self._store_lock:
            entry = self._store[sid]
            now = self.clock()
            entry["resource"].update(status=status, date_updated=rfc2822(now))
            if date_sent is not None or status in ("sent", "delivered", "undelivered", "read"):
                entry["sent"] = date_sent or now
                entry["resource"]["date_sent"] = rfc2822(entry["sent"])

    @property
    def received(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._received)

    @property
    def accepted(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._accepted)

    @property
    def list_requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._list_requests)

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Every stored message, newest first."""
        with self._store_lock:
            return [copy.deepcopy(e["resource"]) for e in self._ordered()]

    def message(self, sid: str) -> dict[str, Any] | None:
        with self._store_lock:
            entry = self._store.get(sid)
            return copy.deepcopy(entry["resource"]) if entry else None

    # -- the model

    def _ordered(self) -> list[dict[str, Any]]:
        return sorted(self._store.values(), key=lambda e: (e["created"], e["seq"]), reverse=True)

    def _store_message(self, *, to: str, from_: str | None, messaging_service_sid: str | None, body: str,
                       created: dt.datetime, sent: dt.datetime | None = None, status: str | None = None,
                       direction: str = "outbound-api") -> dict[str, Any]:
        sid = "SM" + secrets.token_hex(16)
        via_service = messaging_service_sid is not None and from_ is None
        uri = f"{API}/Accounts/{self.account_sid}/Messages/{sid}.json"
        resource = {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": rfc2822(created),
            "date_sent": rfc2822(sent),
            "date_updated": rfc2822(created),
            "direction": direction,
            "error_code": None,
            "error_message": None,
            "from": from_,
            "messaging_service_sid": messaging_service_sid,
            "num_media": "0",
            "num_segments": "0" if via_service else str(_segments(body)),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": status or ("accepted" if via_service else "queued"),
            "subresource_uris": {"media": f"{API}/Accounts/{self.account_sid}/Messages/{sid}/Media.json"},
            "to": to,
            "uri": uri,
        }
        with self._store_lock:
            self._seq += 1
            self._store[sid] = {"resource": resource, "created": created, "sent": sent, "seq": self._seq}
        return copy.deepcopy(resource)

    def _list(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        try:
            page_size = max(1, min(1000, int(params.get("PageSize", "50"))))
            page = max(0, int(params.get("Page", "0")))
        except ValueError:
            return 400, _error(20001, 400, "Invalid paging parameter")
        filters: list[Callable[[dict[str, Any]], bool]] = []
        if "To" in params:
            filters.append(lambda e: e["resource"]["to"] == params["To"])
        if "From" in params:
            filters.append(lambda e: e["resource"]["from"] == params["From"])
        for key, compare in (("DateSent", lambda a, b: a == b), ("DateSent<", lambda a, b: a <= b),
                             ("DateSent>", lambda a, b: a >= b)):
            if key not in params:
                continue
            bound = _parse_date_filter(params[key])
            if bound is None:
                return 400, _error(20001, 400, f"Invalid {key} value")

            def check(e: dict[str, Any], bound: Any = bound, compare: Any = compare) -> bool:
                sent = e["sent"]
                if sent is None:
                    return False
                value = sent.date() if isinstance(bound, dt.date) and not isinstance(bound, dt.datetime) else sent
                return bool(compare(value, bound))
            filters.append(check)
        with self._store_lock:
            rows = [e for e in self._ordered() if all(f(e) for f in filters)]
        token = params.get("PageToken")
        if token and token.startswith("PA"):
            after = token[2:]
            index = next((i for i, e in enumerate(rows) if e["resource"]["sid"] == after), None)
            if index is None:
                return 400, _error(20001, 400, "Invalid PageToken")
            start = index + 1
        else:
            start = page * page_size
        chunk = rows[start:start + page_size]
        base = f"{API}/Accounts/{self.account_sid}/Messages.json"
        kept = {k: v for k, v in params.items() if k not in ("Page", "PageSize", "PageToken")}

        def uri(extra: dict[str, Any]) -> str:
            return f"{base}?{urlencode({**kept, 'PageSize': page_size, **extra})}"
        more = start + page_size < len(rows)
        payload = {
            "end": start + max(len(chunk), 1) - 1,
            "first_page_uri": uri({"Page": 0}),
            "messages": [copy.deepcopy(e["resource"]) for e in chunk],
            "next_page_uri": uri({"Page": page + 1, "PageToken": "PA" + chunk[-1]["resource"]["sid"]})
            if more and chunk else None,
            "page": page,
            "page_size": page_size,
            "previous_page_uri": uri({"Page": page - 1}) if page > 0 else None,
            "start": start,
            "uri": uri({"Page": page, **({"PageToken": token} if token else {})}),
        }
        return 200, payload


class _TwilioHandler(StandInHandler):
    owner: TwilioStandIn

    # -- auth

    def _auth_ok(self) -> bool:
        header = self.headers.get("Authorization") or ""
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return user == self.owner.account_sid and secrets.compare_digest(password, self.owner.auth_token)

    def _unauthorized(self) -> None:
        self.send_json(401, _error(20003, 401, "Authenticate"), {"WWW-Authenticate": 'Basic realm="Twilio API"'})

    def _not_found(self, path: str) -> None:
        self.send_json(404, _error(20404, 404, f"The requested resource {path} was not found"))

    def _retry_after(self) -> dict[str, str]:
        value = self.owner.retry_after
        return {} if value is None else {"Retry-After": str(value)}

    # -- methods

    def do_POST(self) -> None:
        owner = self.owner
        raw = self.read_body()
        path = urlsplit(self.path).path
        match = _PATH.fullmatch(path)
        if not match or match["sid"]:
            self._not_found(path)
            return
        form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items()}
        auth_ok = self._auth_ok()
        account_ok = match["account"] == owner.account_sid
        record: dict[str, Any] = {
            "to": form.get("To"), "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"), "body": form.get("Body"),
            "time": owner.clock(), "mode": None, "auth_ok": auth_ok, "account_ok": account_ok,
            "sid": None, "status": None, "form": form,
        }
        with owner._lock:
            owner._received.append(record)

        def answer(status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            record["status"] = status
            self.send_json(status, payload, headers)

        if not auth_ok:
            answer(401, _error(20003, 401, "Authenticate"), {"WWW-Authenticate": 'Basic realm="Twilio API"'})
            return
        if not account_ok:
            answer(404, _error(20404, 404, f"The requested resource {path} was not found"))
            return
        to, body = form.get("To"), form.get("Body")
        from_, service = form.get("From") or None, form.get("MessagingServiceSid") or None
        if not to:
            answer(400, _error(21604, 400, "A 'To' phone number is required."))
            return
        if not body:
            answer(400, _error(21602, 400, "Message body is required."))
            return
        if not from_ and not service:
            answer(400, _error(21603, 400, "A 'From' phone number is required."))
            return
        mode = owner._posts.next(dict(record))
        record["mode"] = mode
        if mode == "invalid_number" or not _ADDRESS.fullmatch(to):
            # Twilio's own text names the number: the provider must not pass it on.
            answer(400, _error(21211, 400, f"The 'To' number {to} is not a valid phone number."))
            return
        if mode == "unsubscribed":
            answer(400, _error(21610, 400, "Attempt to send to unsubscribed recipient"))
            return
        if mode == "429":
            answer(429, _error(20429, 429, "Too Many Requests"), self._retry_after())
            return
        if mode in ("500", "503"):
            status = int(mode)
            answer(status, _error(20000 + status, status, "Service unavailable" if status == 503
                                  else "Internal Server Error"), self._retry_after() if status == 503 else None)
            return
        resource = owner._store_message(to=to, from_=from_, messaging_service_sid=service, body=body,
                                        created=owner.clock())
        record["sid"] = resource["sid"]
        with owner._lock:
            owner._accepted.append(copy.deepcopy(resource))
        if mode == "500_after_accept":
            answer(500, _error(20500, 500, "Internal Server Error"))
        elif mode == "drop_after_accept":
            self.drop()
        elif mode == "kill_after_accept":
            self.kill_sender()
        else:
            if mode == "timeout":
                self.hold()
            answer(201, resource)

    def do_GET(self) -> None:
        owner = self.owner
        parts = urlsplit(self.path)
        match = _PATH.fullmatch(parts.path)
        if not self._auth_ok():
            self._unauthorized()
            return
        if not match or match["account"] != owner.account_sid:
            self._not_found(parts.path)
            return
        if match["sid"]:
            resource = owner.message(match["sid"])
            if resource is None:
                self._not_found(parts.path)
            else:
                self.send_json(200, resource)
            return
        params = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        record = {"params": params, "time": owner.clock(), "mode": None}
        record["mode"] = mode = owner._lists.next(dict(record))
        with owner._lock:
            owner._list_requests.append(record)
        if mode == "drop":
            self.drop()
            return
        if mode == "500":
            self.send_json(500, _error(20500, 500, "Internal Server Error"))
            return
        if mode == "429":
            self.send_json(429, _error(20429, 429, "Too Many Requests"), self._retry_after())
            return
        if mode == "timeout":
            self.hold()
        status, payload = owner._list(params)
        self.send_json(status, payload)

    def _method_not_allowed(self) -> None:
        self.read_body()
        self.send_json(405, _error(20004, 405, "Method not allowed"))

    do_PUT = do_DELETE = do_PATCH = _method_not_allowed


TwilioStandIn.handler_class = _TwilioHandler
