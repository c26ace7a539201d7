"""A stand-in for Twilio Lookup v2 on 127.0.0.1, for tests (the provider: it sees numbers).

``GET /v2/PhoneNumbers/{PhoneNumber}`` with ``Fields`` (``line_type_intelligence``,
``reassigned_number``, comma-separated) and, for reassigned_number, ``LastVerifiedDate``
(YYYYMMDD), as twilio-python 9.x sends them; HTTP basic auth must be the configured SID and
token (else 401, code 20003). The answer is Twilio's PhoneNumber resource
(``calling_country_code``, ``country_code``, ``phone_number``, ``national_format``, ``valid``,
``validation_errors``, every package field null unless asked for):

* ``line_type_intelligence``: ``{mobile_country_code, mobile_network_code, carrier_name, type,
  error_code}``; ``type`` from ``set_line_type`` (default ``mobile``);
* ``reassigned_number``: ``{last_verified_date (YYYY-MM-DD), is_number_reassigned, error_code}``:
  ``yes`` when ``set_reassigned`` gave the number a disconnect date on or after
  LastVerifiedDate, ``no`` when it was disconnected before, ``no_data_available`` for a number
  never set (as Twilio documents the three values). A missing LastVerifiedDate: 400, code 60617.

Faults per successive authenticated request (``script([...])`` or a callable given the request
record; after the list, "ok"): ok, 429 (code 20429, Retry-After), 500, 503, drop (connection
closed without a response). ``outage_after(n)``: the first n requests answered, every later one
503 (a provider going down in the middle of an import). ``requests``: each request received
(number, fields, last_verified_date, mode, auth_ok, status).
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import re
import secrets
import threading
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.standins import FaultScript, LoopbackServer, ModeSource, StandInHandler
from tests.standins.twilio_server import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, _error

MODES = ("ok", "429", "500", "503", "drop")
_PATH = re.compile(r"/v2/PhoneNumbers/(?P<number>[^/]+)")


class TwilioLookupStandIn(LoopbackServer):
    """``with TwilioLookupStandIn() as lookup: ...`` — see the module docstring."""

    def __init__(self, account_sid: str = DEFAULT_ACCOUNT_SID, auth_token: str = DEFAULT_AUTH_TOKEN, *,
                 retry_after: str | None = "0", port: int = 0) -> None:
        super().__init__(port=port)
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.retry_after = retry_after
        self._faults = FaultScript(MODES, "lookup")
        self._requests: list[dict[str, Any]] = []
        self._line_types: dict[str, tuple[str, str | None]] = {}
        self._disconnected: dict[str, dt.date] = {}
        self._data_lock = threading.Lock()

    # -- test controls

    def set_line_type(self, e164: str, line_type: str, carrier_name: str | None = None) -> None:
        with self._data_lock:
            self._line_types[e164] = (line_type, carrier_name)

    def set_reassigned(self, e164: str, disconnected_on: dt.date) -> None:
        """The number was permanently disconnected (and may be reassigned) on that date."""
        with self._data_lock:
            self._disconnected[e164] = disconnected_on

    def script(self, modes: ModeSource) -> None:
        self._faults.set(modes)

    def outage_after(self, answered: int) -> None:
        """Answer the next `answered` requests, then 503 every one after."""
        seen = {"n": 0}
        lock = threading.Lock()

        def choose(_: dict[str, Any]) -> str:
            with lock:
                seen["n"] += 1
                return "ok" if seen["n"] <= answered else "503"
        self._faults.set(choose)

    @property
    def requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._requests)

    def answered_numbers(self) -> list[str]:
        """The numbers of the requests answered 200, in order."""
        return [r["number"] for r in self.requests if r["status"] == 200]

    # -- the model

    def resource(self, number: str, fields: set[str], last_verified: str | None) -> tuple[int, dict[str, Any]]:
        valid = bool(re.fullmatch(r"\+[1-9]\d{6,14}", number))
        payload: dict[str, Any] = {
            "calling_country_code": "1" if number.startswith("+1") else None,
            "country_code": "US" if number.startswith("+1") else None,
            "phone_number": number, "national_format": number, "valid": valid,
            "validation_errors": [] if valid else ["NOT_A_NUMBER"],
            "caller_name": None, "sim_swap": None, "call_forwarding": None, "line_status": None,
            "line_type_intelligence": None, "identity_match": None, "reassigned_number": None,
            "sms_pumping_risk": None, "phone_number_quality_score": None, "pre_fill": None,
            "url": f"https://lookups.twilio.com/v2/PhoneNumbers/{number}",
        }
        with self._data_lock:
            line_type, carrier = self._line_types.get(number, ("mobile", "Standin Wireless"))
            disconnected = self._disconnected.get(number)
        if "line_type_intelligence" in fields and valid:
            payload["line_type_intelligence"] = {
                "mobile_country_code": "310" if line_type == "mobile" else None,
                "mobile_network_code": "456" if line_type == "mobile" else None,
                "carrier_name": carrier, "type": line_type, "error_code": None}
        if "reassigned_number" in fields:
            if not last_verified:
                return 400, _error(60617, 400, "LastVerifiedDate is required for reassigned_number")
            try:
                since = dt.datetime.strptime(last_verified, "%Y%m%d").date()
            except ValueError:
                return 400, _error(60617, 400, "LastVerifiedDate must be YYYYMMDD")
            said = "no_data_available" if disconnected is None else "yes" if disconnected >= since else "no"
            payload["reassigned_number"] = {"last_verified_date": since.isoformat(), "is_number_reassigned": said,
                                            "error_code": None}
        return 200, payload


class _LookupHandler(StandInHandler):
    owner: TwilioLookupStandIn

    def _auth_ok(self) -> bool:
        header = self.headers.get("Authorization") or ""
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return user == self.owner.account_sid and secrets.compare_digest(password, self.owner.auth_token)

    def do_GET(self) -> None:
        owner = self.owner
        parts = urlsplit(self.path)
        match = _PATH.fullmatch(parts.path)
        params = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        record: dict[str, Any] = {
            "number": unquote(match["number"]) if match else None,
            "fields": sorted(f for f in params.get("Fields", "").split(",") if f),
            "last_verified_date": params.get("LastVerifiedDate"), "mode": None,
            "auth_ok": self._auth_ok(), "status": None,
        }
        with owner._lock:
            owner._requests.append(record)
        if not record["auth_ok"]:
            record["status"] = 401
            self.send_json(401, _error(20003, 401, "Authenticate"), {"WWW-Authenticate": 'Basic realm="Twilio API"'})
            return
        if match is None:
            record["status"] = 404
            self.send_json(404, _error(20404, 404, f"The requested resource {parts.path} was not found"))
            return
        record["mode"] = mode = owner._faults.next(dict(record))
        if mode == "drop":
            self.drop()
            return
        if mode == "429":
            record["status"] = 429
            headers = {} if owner.retry_after is None else {"Retry-After": owner.retry_after}
            self.send_json(429, _error(20429, 429, "Too Many Requests"), headers)
            return
        if mode in ("500", "503"):
            record["status"] = int(mode)
            self.send_json(int(mode), _error(20000 + int(mode), int(mode), "Service unavailable"))
            return
        status, payload = owner.resource(record["number"], set(record["fields"]), record["last_verified_date"])
        record["status"] = status
        self.send_json(status, payload)


TwilioLookupStandIn.handler_class = _LookupHandler
