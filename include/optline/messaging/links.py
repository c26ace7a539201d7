"""Confirmation links: one signed, expiring token per welcome, with no number in it.

A welcome whose template uses `{confirm_url}` carries `confirm_base_url` + a token. The token
is 44 URL-safe characters (base64url, no padding) of 33 bytes:

    version (1) | link id (12 random bytes) | expiry (4: Unix seconds, UTC) | MAC (16)

MAC = the first 16 bytes of HMAC-SHA256(link key, "optline/confirm-link" + the first 17
bytes). The link key is `config.link_key()` (OPTLINE_LINK_KEY or its key file), not the number
HMAC key: rotating it voids the links not yet used and nothing else. The link id (16
characters, base64url) is stored on the welcome (`msg.outbox.link_id`, with
`link_expires_at`); the token itself is stored only inside the body that was sent.

A token is a bearer credential: never logged, never in XCom, never stored outside that body;
the web-confirmations report shows its last 4 characters at most (`tail`).
See docs/messaging.md ("Confirmation links") and docs/confirmations.md.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

VERSION = 1
TOKEN_CHARS = 44  # base64url of 33 bytes
LINK_ID_CHARS = 16  # base64url of the 12-byte link id
_ID_BYTES, _EXPIRY_BYTES, _MAC_BYTES = 12, 4, 16
_PAYLOAD_BYTES = 1 + _ID_BYTES + _EXPIRY_BYTES
_DOMAIN = b"optline/confirm-link"
_MAX_EXPIRY = dt.datetime(2106, 2, 7, tzinfo=dt.UTC)  # 4 bytes of Unix seconds
_TOKEN_SHAPE = re.compile(rf"[A-Za-z0-9_-]{{{TOKEN_CHARS}}}")

# Why a token cannot confirm anything before the warehouse is asked (docs/confirmations.md).
INVALID_SIGNATURE = "token_invalid_signature"  # garbled, another length or version, or forged


@dataclass(frozen=True)
class Link:
    """A link issued for one welcome: the token (secret), its id and its expiry."""
    token: str
    link_id: str
    expires_at: dt.datetime

    def __repr__(self) -> str:  # never the token
        return f"Link(link_id={self.link_id!r}, expires_at={self.expires_at.isoformat()!r})"


@dataclass(frozen=True)
class Checked:
    """A token read back: its link id and expiry when the signature holds, else the error."""
    link_id: str | None
    expires_at: dt.datetime | None
    error: str | None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, _DOMAIN + payload, hashlib.sha256).digest()[:_MAC_BYTES]


def issue(key: bytes, expires_at: dt.datetime) -> Link:
    """A new link expiring at `expires_at` (an aware time, kept to the second)."""
    if expires_at.tzinfo is None:
        raise ValueError("a link's expiry must be an aware datetime (UTC)")
    expiry = min(expires_at.astimezone(dt.UTC), _MAX_EXPIRY - dt.timedelta(seconds=1)).replace(microsecond=0)
    link_id = secrets.token_bytes(_ID_BYTES)
    payload = bytes([VERSION]) + link_id + int(expiry.timestamp()).to_bytes(_EXPIRY_BYTES, "big")
    return Link(token=_b64(payload + _mac(key, payload)), link_id=_b64(link_id), expires_at=expiry)


def check(key: bytes, token: str) -> Checked:
    """Read a token: its link id and expiry if the signature holds under `key`; else
    `token_invalid_signature` (garbled, truncated, another version, or signed with another key)."""
    text = token.strip()
    bad = Checked(None, None, INVALID_SIGNATURE)
    if len(text) != TOKEN_CHARS:
        return bad
    try:
        raw = base64.urlsafe_b64decode(text.encode("ascii") + b"=" * (-len(text) % 4))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return bad
    if _b64(raw) != text:  # only the canonical spelling (no +, /, or stray bits)
        return bad
    payload, mac = raw[:_PAYLOAD_BYTES], raw[_PAYLOAD_BYTES:]
    if payload[0] != VERSION or not hmac.compare_digest(mac, _mac(key, payload)):
        return bad
    expires = dt.datetime.fromtimestamp(int.from_bytes(payload[1 + _ID_BYTES:], "big"), dt.UTC)
    return Checked(_b64(payload[1:1 + _ID_BYTES]), expires, None)


def looks_like_token(text: str | None) -> bool:
    """A cell that could be a token (44 base64url characters): masked wherever a cell is shown."""
    return bool(text) and _TOKEN_SHAPE.fullmatch(text.strip()) is not None


def tail(token: str | None) -> str | None:
    """What a report may show of a token: its last 4 characters, after an ellipsis."""
    if not token:
        return None
    return "…" + token.strip()[-4:]


def token_in(body: str, base_url: str) -> str | None:
    """The token of the confirmation URL (built on `base_url`) inside a welcome's body, if any:
    what the sign-up site reads from the link it was opened with (the demo and tests use it)."""
    at = body.find(base_url) if base_url else -1
    if at < 0:
        return None
    candidate = body[at + len(base_url):at + len(base_url) + TOKEN_CHARS]
    return candidate if len(candidate) == TOKEN_CHARS else None
