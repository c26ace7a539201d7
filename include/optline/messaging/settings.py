"""Messaging settings: the provider, the dispatcher's pace and the welcome texts.

Read from `config/messaging.yaml` (or OPTLINE_MESSAGING_CONFIG) at call time. Every error
names the file and the key. Quiet hours are compliance policy and live elsewhere
(`optline.quiethours`, expectations/policies/quiet_hours.yaml).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from optline.config import PROJECT_DIR, ConfigError, message_provider, messaging_config_file, paths

PROVIDERS = ("sandbox", "twilio", "webhook")
WELCOME_PLACEHOLDERS = frozenset({"first_name", "list", "confirm_keyword"})
_KEYWORD = re.compile(r"[A-Za-z0-9]+")


@dataclass(frozen=True)
class DispatchSettings:
    batch_size: int = 100
    rate_per_second: float = 10.0
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

    def template_for(self, list_name: str) -> str:
        return self.lists.get(list_name.strip().lower(), self.template)

    def render(self, template: str, *, first_name: str | None, list_name: str) -> str:
        return template.format_map({
            "first_name": (first_name or "").strip() or self.first_name_fallback,
            "list": list_name,
            "confirm_keyword": self.confirm_keyword,
        })


@dataclass(frozen=True)
class MessagingConfig:
    provider: str = "sandbox"
    dispatch: DispatchSettings = field(default_factory=DispatchSettings)
    welcome: WelcomeSettings = field(default_factory=WelcomeSettings)
    path: str | None = None


def config_path() -> Path:
    return messaging_config_file() or PROJECT_DIR / "config" / "messaging.yaml"


def _check_template(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where} must be a non-empty text")
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc} (write a literal brace as {{{{ or }}}})") from exc
    unknown = names - WELCOME_PLACEHOLDERS
    if unknown:
        raise ConfigError(f"{where} uses unknown placeholders {sorted(unknown)}; "
                          f"known: {sorted('{' + p + '}' for p in WELCOME_PLACEHOLDERS)}")
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
    w = raw.get("welcome") or {}
    if not isinstance(w, dict):
        raise ConfigError(f"{where}: `welcome` must be a mapping")
    known_w = {"confirm_keyword", "first_name_fallback", "template", "lists"}
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
    welcome = WelcomeSettings(
        confirm_keyword=keyword,
        first_name_fallback=str(w.get("first_name_fallback", base.first_name_fallback)),
        template=_check_template(w.get("template", base.template), f"{where}: `welcome.template`"),
        lists={str(name).strip().lower(): _check_template(text, f"{where}: `welcome.lists.{name}`")
               for name, text in lists.items()},
    )
    return MessagingConfig(provider=provider, dispatch=dispatch, welcome=welcome)


def load_config(path: Path | None = None) -> MessagingConfig:
    """The messaging settings; OPTLINE_MESSAGE_PROVIDER overrides the file's provider."""
    target = path or config_path()
    if target.is_file():
        try:
            raw = yaml.safe_load(target.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ConfigError(f"{target}: not valid YAML: {exc}") from exc
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
