"""Provider configuration: settings from a mapping or an Airflow connection, checked, turned
into a provider (``build_provider``, ``build_from_connection``, ``connection_id``).

This module does not import Airflow: ``settings_from_connection`` takes any object with
Airflow Connection's attributes. Errors are ConfigErrors naming the setting and where to set it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from optline.config import ConfigError
from optline.messaging.providers.base import Provider
from optline.messaging.providers.sandbox import SandboxProvider
from optline.messaging.providers.twilio import TwilioProvider, TwilioSettings
from optline.messaging.providers.webhook import WebhookProvider, WebhookSettings

PROVIDER_NAMES = ("sandbox", "twilio", "webhook")
_CONNECTION_IDS = {"twilio": "optline_twilio", "webhook": "optline_webhook"}
_TWILIO_SETTINGS = ("account_sid", "auth_token", "from_number", "messaging_service_sid", "whatsapp_from",
                    "base_url", "timeout", "lookup_page_size", "lookup_max_pages")
_WEBHOOK_SETTINGS = ("url", "token", "lookup_url", "timeout")
_SANDBOX_SETTINGS = ("folder",)
_TWILIO_EXTRAS = ("from_number", "messaging_service_sid", "whatsapp_from", "timeout",
                  "lookup_page_size", "lookup_max_pages")
_WEBHOOK_EXTRAS = ("lookup_url", "timeout")


def _present(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Settings with None and blank strings dropped."""
    return {k: v.strip() if isinstance(v, str) else v for k, v in settings.items()
            if v is not None and not (isinstance(v, str) and not v.strip())}


def _check_known(provider: str, settings: Mapping[str, Any], known: tuple[str, ...]) -> None:
    unknown = sorted(set(settings) - set(known))
    if unknown:
        raise ConfigError(f"{provider} provider: unknown setting(s) {unknown}; known: {list(known)}")


def _seconds(provider: str, value: Any) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if isinstance(value, bool) or not seconds > 0:
        raise ConfigError(f"{provider} provider: timeout must be a number of seconds above 0, not {value!r}")
    return seconds


def _whole(provider: str, key: str, value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if isinstance(value, bool) or number < 1 or str(number) != str(value).strip():
        raise ConfigError(f"{provider} provider: {key} must be a whole number above 0, not {value!r}")
    return number


def _http_url(provider: str, key: str, value: str, how: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{provider} provider: {key} must be an http(s) URL, not {value!r} ({how})")
    return value


def connection_id(name: str) -> str | None:
    """The Airflow connection that holds a provider's credentials (None for the sandbox)."""
    return _CONNECTION_IDS.get(name)


def build_from_connection(name: str, connection: Any | None, *, sandbox_dir: Path) -> Provider:
    """The provider `name` configured from its Airflow connection (none needed for the sandbox)."""
    if name == "sandbox":
        return build_provider(name, {}, sandbox_dir=sandbox_dir)
    if name not in _CONNECTION_IDS:
        raise ConfigError(f"provider must be one of sandbox, {', '.join(_CONNECTION_IDS)}, not {name!r}")
    if connection is None:
        raise ConfigError(f"provider {name!r} needs the Airflow connection {_CONNECTION_IDS[name]!r}; "
                          "see docs/messaging.md")
    return build_provider(name, settings_from_connection(connection), sandbox_dir=sandbox_dir)


def build_provider(name: str, settings: Mapping[str, Any], *, sandbox_dir: Path) -> Provider:
    """The provider called ``name`` (sandbox | twilio | webhook) with ``settings``.

    Raises ConfigError naming the missing or wrong setting and where to set it.
    """
    kind = (name or "").strip().lower()
    given = _present(settings or {})
    if kind == "sandbox":
        _check_known("sandbox", given, _SANDBOX_SETTINGS)
        return SandboxProvider(Path(given.get("folder") or sandbox_dir))
    if kind == "twilio":
        _check_known("twilio", given, _TWILIO_SETTINGS)
        conn = _CONNECTION_IDS["twilio"]
        if "account_sid" not in given:
            raise ConfigError(f"twilio provider needs account_sid: set the login of the Airflow connection "
                              f"{conn!r} to your Twilio Account SID (AC...)")
        if "auth_token" not in given:
            raise ConfigError(f"twilio provider needs auth_token: set the password of the Airflow connection "
                              f"{conn!r} to your Twilio Auth Token")
        if "from_number" not in given and "messaging_service_sid" not in given:
            raise ConfigError(f"twilio provider needs a sender: set from_number (E.164, e.g. +17025550100) or "
                              f"messaging_service_sid (MG...) in the extra of the Airflow connection {conn!r}")
        values: dict[str, Any] = {k: given[k] for k in ("account_sid", "auth_token", "from_number",
                                                         "messaging_service_sid", "whatsapp_from") if k in given}
        values = {k: str(v) for k, v in values.items()}
        if "base_url" in given:
            values["base_url"] = _http_url("twilio", "base_url", str(given["base_url"]).rstrip("/"),
                                           f"the host of the Airflow connection {conn!r}")
        if "timeout" in given:
            values["timeout"] = _seconds("twilio", given["timeout"])
        for key in ("lookup_page_size", "lookup_max_pages"):
            if key in given:
                values[key] = _whole("twilio", key, given[key])
        return TwilioProvider(TwilioSettings(**values))
    if kind == "webhook":
        _check_known("webhook", given, _WEBHOOK_SETTINGS)
        conn = _CONNECTION_IDS["webhook"]
        if "url" not in given:
            raise ConfigError(f"webhook provider needs url: set the host of the Airflow connection {conn!r} "
                              f"to the endpoint URL (https://...)")
        url = _http_url("webhook", "url", str(given["url"]), f"the host of the Airflow connection {conn!r}")
        lookup_url = given.get("lookup_url")
        if lookup_url is not None:
            lookup_url = str(lookup_url)
            if "{key}" not in lookup_url:
                raise ConfigError(f"webhook provider: lookup_url must contain {{key}} where the idempotency key "
                                  f"goes, not {lookup_url!r} (extra of the Airflow connection {conn!r})")
            _http_url("webhook", "lookup_url", lookup_url.replace("{key}", "k"),
                      f"extra of the Airflow connection {conn!r}")
        return WebhookProvider(WebhookSettings(
            url=url, token=str(given["token"]) if "token" in given else None, lookup_url=lookup_url,
            timeout=_seconds("webhook", given["timeout"]) if "timeout" in given else 10.0))
    raise ConfigError(f"unknown message provider {name!r}: choose one of {', '.join(PROVIDER_NAMES)} "
                      f"(messaging config `provider` or OPTLINE_MESSAGE_PROVIDER)")


def _connection_url(conn: Any) -> str | None:
    """The URL in a connection's host, as Airflow's HttpHook reads it: a full URL in host is used
    as is; a bare host gets the scheme from ``schema`` (http/https, default https) and the port."""
    host = (getattr(conn, "host", None) or "").strip()
    if not host:
        return None
    port = getattr(conn, "port", None)
    if "://" in host:
        parts = urlsplit(host)
        netloc = f"{parts.netloc}:{port}" if port and parts.port is None else parts.netloc
        path = parts.path if parts.path.strip("/") else ""
        return urlunsplit((parts.scheme, netloc, path, parts.query, ""))
    schema = (getattr(conn, "schema", None) or "").strip()
    scheme = schema.lower() if schema.lower() in ("http", "https") else "https"
    url = f"{scheme}://{host}" + (f":{port}" if port else "")
    if schema and schema.lower() not in ("http", "https"):
        url += "/" + schema.lstrip("/")
    return url


def _connection_kind(conn: Any) -> str:
    conn_id = (getattr(conn, "conn_id", None) or "").lower()
    conn_type = (getattr(conn, "conn_type", None) or "").lower()
    for kind in ("twilio", "webhook"):
        if kind in conn_id or conn_type == kind:
            return kind
    if conn_type in ("http", "https"):
        return "webhook"
    raise ConfigError(f"cannot tell which provider the connection {conn_id or '?'!r} is for: name it "
                      f"{_CONNECTION_IDS['twilio']!r} or {_CONNECTION_IDS['webhook']!r}, or pass provider=")


def settings_from_connection(conn: Any, provider: str | None = None) -> dict[str, Any]:
    """Provider settings from an Airflow Connection (or anything with its attributes).

    ``optline_twilio``: login = Account SID, password = Auth Token, host = base URL (optional),
    extra = {from_number, messaging_service_sid, whatsapp_from, timeout}.
    ``optline_webhook``: host = endpoint URL, password = bearer token, extra = {lookup_url, timeout}.
    The kind comes from ``provider``, else the conn_id, else the conn_type.
    """
    kind = (provider or _connection_kind(conn)).strip().lower()
    extra = getattr(conn, "extra_dejson", None) or {}
    if not isinstance(extra, Mapping):
        raise ConfigError(f"the extra of connection {getattr(conn, 'conn_id', '?')!r} must be a JSON object")
    conn_id = getattr(conn, "conn_id", None) or _CONNECTION_IDS.get(kind, "?")
    if kind == "twilio":
        known, settings = _TWILIO_EXTRAS, {"account_sid": getattr(conn, "login", None),
                                           "auth_token": getattr(conn, "password", None),
                                           "base_url": _connection_url(conn)}
    elif kind == "webhook":
        known, settings = _WEBHOOK_EXTRAS, {"url": _connection_url(conn), "token": getattr(conn, "password", None)}
    else:
        raise ConfigError(f"connections configure the twilio or webhook provider, not {kind!r}")
    unknown = sorted(set(extra) - set(known))
    if unknown:
        raise ConfigError(f"connection {conn_id!r}: unknown extra key(s) {unknown}; known: {list(known)}")
    settings.update({k: extra[k] for k in known if k in extra})
    return _present(settings)
