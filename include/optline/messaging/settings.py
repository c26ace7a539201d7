"""Messaging settings: the provider, the dispatcher's pace and the welcome texts.

Read from `config/messaging.yaml` (or OPTLINE_MESSAGING_CONFIG) at call time. Every error
names the file and the key. Quiet hours are compliance policy and live elsewhere
(`optline.quiethours`, expectations/policies/quiet_hours.yaml).
"""

from __future__ import annotations

import datetime as dt
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from optline.config import PROJECT_DIR, ConfigError, message_provider, messaging_config_file, paths
from optline.intake.manifest import read_limited_yaml
from optline.messaging import links

PROVIDERS = ("sandbox", "twilio", "webhook")
WELCOME_PLACEHOLDERS = frozenset({"first_name", "list", "confirm_keyword", "confirm_url"})
LINK_PLACEHOLDER = "confirm_url"  # `confirm_base_url` + a signed, expiring token (messaging.links)
MAX_BASE_URL_CHARS = 200
MAX_LINK_TTL_DAYS = 90
_KEYWORD = re.compile(r"[A-Za-z0-9]+")
# A rendered welcome is at most 640 characters: 4 SMS segments of 160 (fewer with
# non-GSM characters, but bounded). A template whose longest body is over it is refused at
# load; a message that would still be over it (a list name longer than MAX_LIST_NAME_CHARS)
# is refused when rendered, never truncated.
MAX_BODY_CHARS = 640
# The longest values the load-time bound assumes. A first name longer than this is not used
# (the fallback is); 50 is the contact import's default `first_name` limit (policies/default.yaml).
MAX_FIRST_NAME_CHARS = 50
MAX_LIST_NAME_CHARS = 80
_MAX_KEYWORD_CHARS = len("START")


def _written(name: str, conversion: str | None, spec: str | None) -> str:
    """A replacement field as the template wrote it (for error messages)."""
    return "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"


def _parse_template(value: Any, where: str) -> list[tuple[str, str | None]]:
    """The template as (literal text, placeholder or None) pairs; only the documented
    placeholders, plain: no attribute or index access, no !r/!s conversion, no format spec."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where} must be a non-empty text")
    known = ", ".join(sorted("{" + p + "}" for p in WELCOME_PLACEHOLDERS))
    try:
        parsed = list(string.Formatter().parse(value))
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc} (write a literal brace as {{{{ or }}}})") from exc
    parts: list[tuple[str, str | None]] = []
    for literal, name, spec, conversion in parsed:
        if name is not None and (name not in WELCOME_PLACEHOLDERS or spec or conversion):
            written = _written(name, conversion, spec)
            if name not in WELCOME_PLACEHOLDERS:
                why = "is not a known placeholder (no attribute or index access, no positional {})"
            else:
                why = "has a conversion or format spec, which templates do not allow"
            raise ConfigError(f"{where}: placeholder {written} {why}; use only {known}, written plainly "
                              "(see docs/messaging.md)")
        parts.append((literal, name))
    return parts


def _longest_body(parts: list[tuple[str, str | None]], fallback: str, keyword: str, base_url: str | None) -> int:
    widths = {"first_name": max(MAX_FIRST_NAME_CHARS, len(fallback)), "list": MAX_LIST_NAME_CHARS,
              "confirm_keyword": max(_MAX_KEYWORD_CHARS, len(keyword)),
              LINK_PLACEHOLDER: len(base_url or "") + links.TOKEN_CHARS}
    return sum(len(literal) + (widths[name] if name else 0) for literal, name in parts)


MAX_CONCURRENCY = 64
"""The most provider calls a dispatcher has in flight at once (`dispatch.concurrency`)."""


@dataclass(frozen=True)
class DispatchSettings:
    batch_size: int = 2000         # messages claimed (and recorded) per transaction, at most
    rate_per_second: float = 10.0  # provider calls started per second, at most
    concurrency: int = 8           # provider calls in flight at once, at most (threads)
    max_messages_per_run: int = 2000
    max_seconds_per_run: float = 600.0
    max_attempts: int = 5
    retry_backoff_seconds: float = 60.0


@dataclass(frozen=True)
class WelcomeSettings:
    confirm_keyword: str = "YES"
    first_name_fallback: str = "there"
    template: str = ("Hi {first_name}, {list} would like to send you texts. Reply {confirm_keyword} to join, "
                     "STOP to opt out. Msg & data rates may apply.")
    lists: dict[str, str] = field(default_factory=dict)  # list name (lower case) -> template
    # {confirm_url} = confirm_base_url + a token (messaging.links) valid link_ttl_days after queuing
    confirm_base_url: str | None = None
    link_ttl_days: float = 7.0

    def __post_init__(self) -> None:
        # Built in code or by parse_config (which checked each template already, naming the file):
        # every template a WelcomeSettings holds is safe to render.
        for key, text in [("template", self.template), *((f"lists.{n}", t) for n, t in self.lists.items())]:
            _check_template(text, f"WelcomeSettings.{key}", self.first_name_fallback, self.confirm_keyword,
                            self.confirm_base_url)

    def template_for(self, list_name: str) -> str:
        return self.lists.get(list_name.strip().lower(), self.template)

    @staticmethod
    def uses_link(template: str) -> bool:
        """The template has a `{confirm_url}`: its welcome carries a confirmation link."""
        return any(name == LINK_PLACEHOLDER for _, name in _parse_template(template, "welcome template"))

    def uses_links(self) -> bool:
        """Some template (the default or a list's) carries a confirmation link."""
        return any(self.uses_link(t) for t in (self.template, *self.lists.values()))

    def link_ttl(self) -> dt.timedelta:
        return dt.timedelta(days=self.link_ttl_days)

    def render(self, template: str, *, first_name: str | None, list_name: str, confirm_url: str | None = None) -> str:
        """The body. Raises ValueError (naming no value) if it would be over MAX_BODY_CHARS, and
        ConfigError if the template has `{confirm_url}` but no URL was given."""
        name = (first_name or "").strip()
        if confirm_url is None and self.uses_link(template):
            raise ConfigError("the welcome template has {confirm_url}: pass the link "
                              "(optline.messaging.outbox builds it from `welcome.confirm_base_url`)")
        values = {
            "first_name": name if name and len(name) <= MAX_FIRST_NAME_CHARS else self.first_name_fallback,
            "list": list_name,
            "confirm_keyword": self.confirm_keyword,
            LINK_PLACEHOLDER: confirm_url or "",
        }
        parts = _parse_template(template, "welcome template")
        body = "".join(literal + (values[p] if p else "") for literal, p in parts)
        if len(body) > MAX_BODY_CHARS:
            raise ValueError(f"the welcome would be {len(body)} characters, longer than {MAX_BODY_CHARS} "
                             f"(list names over {MAX_LIST_NAME_CHARS} characters make it so)")
        return body


@dataclass(frozen=True)
class MessagingConfig:
    provider: str = "sandbox"
    dispatch: DispatchSettings = field(default_factory=DispatchSettings)
    welcome: WelcomeSettings = field(default_factory=WelcomeSettings)
    path: str | None = None


def config_path() -> Path:
    return messaging_config_file() or PROJECT_DIR / "config" / "messaging.yaml"


def _check_template(value: Any, where: str, fallback: str, keyword: str, base_url: str | None) -> str:
    parts = _parse_template(value, where)
    if base_url is None and any(name == LINK_PLACEHOLDER for _, name in parts):
        raise ConfigError(f"{where}: the text has {{{LINK_PLACEHOLDER}}} but `welcome.confirm_base_url` is not "
                          "set; set it to the sign-up site's confirmation page (e.g. https://example.org/c/), "
                          "or take {confirm_url} out of the text")
    longest = _longest_body(parts, fallback, keyword, base_url)
    if longest > MAX_BODY_CHARS:
        raise ConfigError(f"{where}: the text can render to {longest} characters (first name "
                          f"{MAX_FIRST_NAME_CHARS}, list name {MAX_LIST_NAME_CHARS}, link "
                          f"{len(base_url or '') + links.TOKEN_CHARS}), over the "
                          f"{MAX_BODY_CHARS}-character bound (4 SMS segments); shorten it")
    return value.strip()


def _number(section: dict, key: str, where: str, default: float, *, integer: bool) -> Any:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0 \
            or (integer and int(value) != value):
        kind = "a whole number" if integer else "a number"
        raise ConfigError(f"{where}: `dispatch.{key}` must be {kind} above 0, not {value!r}")
    return int(value) if integer else float(value)


def parse_config(raw: Any, where: str = "messaging config") -> MessagingConfig:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a YAML mapping")
    unknown = set(raw) - {"provider", "dispatch", "welcome"}
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)}; known: dispatch, provider, welcome")
    provider = str(raw.get("provider", "sandbox")).strip().lower()
    if provider not in PROVIDERS:
        raise ConfigError(f"{where}: `provider` must be one of {PROVIDERS}, not {provider!r}")
    d = raw.get("dispatch") or {}
    if not isinstance(d, dict):
        raise ConfigError(f"{where}: `dispatch` must be a mapping")
    known_d = {f for f in DispatchSettings.__dataclass_fields__}
    if set(d) - known_d:
        raise ConfigError(f"{where}: unknown `dispatch` keys {sorted(set(d) - known_d)}; known: {sorted(known_d)}")
    defaults = DispatchSettings()
    dispatch = DispatchSettings(**{
        k: _number(d, k, where, getattr(defaults, k), integer=isinstance(getattr(defaults, k), int))
        for k in known_d
    })
    if dispatch.concurrency > MAX_CONCURRENCY:
        raise ConfigError(f"{where}: `dispatch.concurrency` must be at most {MAX_CONCURRENCY}, not "
                          f"{dispatch.concurrency}")
    w = raw.get("welcome") or {}
    if not isinstance(w, dict):
        raise ConfigError(f"{where}: `welcome` must be a mapping")
    known_w = {"confirm_keyword", "first_name_fallback", "template", "lists", "confirm_base_url", "link_ttl_days"}
    if set(w) - known_w:
        raise ConfigError(f"{where}: unknown `welcome` keys {sorted(set(w) - known_w)}; known: {sorted(known_w)}")
    base = WelcomeSettings()
    keyword = str(w.get("confirm_keyword", base.confirm_keyword)).strip().upper()
    if keyword not in ("YES", "START"):
        # Only the opt-in words are read as a confirmation (optline.keywords.OPT_IN_WORDS).
        raise ConfigError(f"{where}: `welcome.confirm_keyword` must be YES or START (the replies read as "
                          f"a confirmation), not {keyword!r}")
    lists = w.get("lists") or {}
    if not isinstance(lists, dict):
        raise ConfigError(f"{where}: `welcome.lists` must map a list name to its template")
    fallback = str(w.get("first_name_fallback", base.first_name_fallback)).strip()
    if not fallback or len(fallback) > MAX_FIRST_NAME_CHARS:
        raise ConfigError(f"{where}: `welcome.first_name_fallback` must be a text of 1 to "
                          f"{MAX_FIRST_NAME_CHARS} characters")
    base_url = _base_url(w.get("confirm_base_url"), where)
    ttl = w.get("link_ttl_days", base.link_ttl_days)
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not 0 < ttl <= MAX_LINK_TTL_DAYS:
        raise ConfigError(f"{where}: `welcome.link_ttl_days` must be a number of days above 0 and at most "
                          f"{MAX_LINK_TTL_DAYS}, not {ttl!r}")
    welcome = WelcomeSettings(
        confirm_keyword=keyword,
        first_name_fallback=fallback,
        template=_check_template(w.get("template", base.template), f"{where}: `welcome.template`",
                                 fallback, keyword, base_url),
        lists={str(name).strip().lower(): _check_template(text, f"{where}: `welcome.lists.{name}`",
                                                          fallback, keyword, base_url)
               for name, text in lists.items()},
        confirm_base_url=base_url,
        link_ttl_days=float(ttl),
    )
    return MessagingConfig(provider=provider, dispatch=dispatch, welcome=welcome)


def _base_url(value: Any, where: str) -> str | None:
    """`welcome.confirm_base_url`: an http(s) address the token is appended to, as written."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = value.strip() if isinstance(value, str) else ""
    parts = urlsplit(text) if text else None
    if (not parts or parts.scheme not in ("https", "http") or not parts.netloc or parts.fragment
            or len(text) > MAX_BASE_URL_CHARS or any(c.isspace() or c in "{}<>\\\"'" for c in text)):
        raise ConfigError(f"{where}: `welcome.confirm_base_url` must be an https:// address of at most "
                          f"{MAX_BASE_URL_CHARS} characters that the token is appended to (e.g. "
                          "https://example.org/c/ or https://example.org/confirm?t=), with no spaces, braces, "
                          "quotes or #fragment")
    return text


def load_config(path: Path | None = None) -> MessagingConfig:
    """The messaging settings; OPTLINE_MESSAGE_PROVIDER overrides the file's provider."""
    target = path or config_path()
    if target.is_file():
        # no aliases, 64 KiB, depth 10, 4,096 characters (a template is at most MAX_BODY_CHARS)
        raw = read_limited_yaml(target, error=ConfigError)
        config = parse_config(raw, str(target))
        config = MessagingConfig(config.provider, config.dispatch, config.welcome, str(target))
    elif path is not None or messaging_config_file() is not None:
        raise ConfigError(f"no messaging config at {target}: copy config/messaging.yaml there")
    else:
        config = MessagingConfig()
    override = message_provider()
    if override:
        if override not in PROVIDERS:
            raise ConfigError(f"OPTLINE_MESSAGE_PROVIDER must be one of {PROVIDERS}, not {override!r}")
        config = MessagingConfig(override, config.dispatch, config.welcome, config.path)
    return config


def sandbox_dir() -> Path:
    """Where the sandbox provider records what it would have sent."""
    return paths().data_dir / "sandbox"
