"""The manifest that travels with each inbox file: where its rows go and how to read them.

A file `spring.csv` takes its manifest from `spring.manifest.yaml` beside it, else from
`_manifest.yaml` in its folder. See docs/inbox.md for every key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

import phonenumbers
import yaml

from optline.intake.fields import FIELDS

FOLDER_MANIFEST = "_manifest.yaml"
# `delimiter:` by name (any case); any other single character is itself, unless REFUSED_DELIMITERS
# says why it cannot separate cells. YAML reads a bare `~` as empty, `#` as a comment and `|` as
# a block: quote them (`delimiter: "~"`) or name them.
DELIMITER_NAMES = {"tab": "\t", "pipe": "|", "space": " ", "semicolon": ";", "comma": ",", "tilde": "~",
                   "hash": "#", "caret": "^"}
DELIMITERS = {",": ",", ";": ";", "\t": "\t", "|": "|", **DELIMITER_NAMES}  # the usual ones and the names
_IN_NUMBERS = "is part of phone numbers as people write them (+1 (415) 555-0101, 415.555.0101)"
REFUSED_DELIMITERS = {
    '"': "is the quote character (a quoted cell may hold the separator)",
    "\0": "is a NUL byte (a file holding one is refused)",
    **dict.fromkeys("\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029", "is a line break: a row ends at a line break"),
    **dict.fromkeys("0123456789+-.()", _IN_NUMBERS),
    **dict.fromkeys(":/", "is part of dates and times (03/04/2026, 2026-03-04T12:30)"),
}
CHANNELS = ("sms", "whatsapp")
DATE_ORDERS = ("auto", "mdy", "dmy", "ymd")
ENCODINGS = ("auto", "utf-8", "cp1252")


class ManifestError(ValueError):
    """A manifest is missing or invalid; the message names the file and the key."""


def key_error(where: str) -> Callable[[str, str], ManifestError]:
    """`fail(key, why)`: the error naming the manifest `where` and its `key`, e.g.
    "spring.manifest.yaml: `channel` must be one of ..."."""
    def fail(key: str, why: str) -> ManifestError:
        return ManifestError(f"{where}: `{key}` {why}")

    return fail


def check_mapping(raw: Any, where: str, known: Iterable[str]) -> dict[str, Any]:
    """A manifest must be a mapping of known keys; the error names the file and the keys."""
    if not isinstance(raw, dict):
        raise ManifestError(f"{where}: must be a YAML mapping (key: value lines)")
    unknown = [key for key in raw if not isinstance(key, str) or key not in set(known)]
    if unknown:
        raise ManifestError(f"{where}: unknown keys {sorted(map(str, unknown))}; known keys: {sorted(known)}")
    return raw


def kind_of(value: Any) -> str:
    """What a YAML value is, for an error message that never repeats the value itself: "a
    number", "a list", "a mapping", "true/false", "a text"."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "empty"
    return "a text" if isinstance(value, str) else type(value).__name__


def text_setting(raw: dict[str, Any], key: str, default: str, fail: Callable[[str, str], ManifestError]) -> str:
    """The manifest's `key` as a non-empty text (`default` when absent); a number, true/false,
    list or mapping is an error naming the key."""
    value = raw.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise fail(key, f"must be a text, e.g. `{key}: {default}`, not {kind_of(value)}")
    return value.strip()


def require_manifest(data_file: Path, what_to_write: str) -> Path:
    """The manifest that governs `data_file`; without one, a ManifestError saying which file to
    add, then `what_to_write` (e.g. " with `channel:`; see docs/inbound.md")."""
    path = manifest_path_for(data_file)
    if path is None:
        raise ManifestError(f"{data_file.name}: no manifest. Add {data_file.name.split('.')[0]}.manifest.yaml "
                            f"(or {FOLDER_MANIFEST} for the folder){what_to_write}")
    return path


def channel(raw: dict[str, Any], where: str) -> str:
    """The manifest's `channel` (default sms), one of CHANNELS."""
    value = raw.get("channel", "sms")
    value = value.lower() if isinstance(value, str) else None
    if value not in CHANNELS:
        raise ManifestError(f"{where}: `channel` must be one of {CHANNELS}")
    return value


def check_texts(raw: dict[str, Any], keys: Iterable[str], where: str) -> None:
    """Each of `keys` the manifest gives must be a non-empty text."""
    for key in keys:
        if key in raw and not (isinstance(raw[key], str) and raw[key].strip()):
            raise ManifestError(f"{where}: `{key}` must be a non-empty text")


def default_country(raw: dict[str, Any], where: str) -> str:
    """The manifest's `default_country` (default US), a region phonenumbers knows."""
    value = raw.get("default_country", "US")
    if not isinstance(value, str):
        raise ManifestError(f"{where}: `default_country` must be an ISO region code (US, CA, GB, ...), "
                            f"not {kind_of(value)}")
    country = value.strip().upper()
    if country not in phonenumbers.SUPPORTED_REGIONS:
        raise ManifestError(f"{where}: `default_country` is {country[:20]!r}, not an ISO region phonenumbers knows "
                            "(US, CA, GB, ...)")
    return country


class ManifestSettings:
    """For the frozen manifest dataclasses (each with `path`, `date_order` and `default_country`
    fields): the effective settings, JSON-ready, their fingerprint (the same file under other
    settings is another import), and the date order dates are read in."""

    date_order: str
    default_country: str
    # Keys added after manifests were first fingerprinted: left out of the settings while at their
    # default, so a file imported before they existed keeps its import key (is not imported again).
    LATER_KEYS: ClassVar[tuple[str, ...]] = ()

    def settings(self) -> dict[str, Any]:
        d = asdict(self)  # type: ignore[call-overload]
        d.pop("path")
        defaults = {f.name: f.default for f in fields(self)}  # type: ignore[arg-type]
        for key in self.LATER_KEYS:
            if d.get(key) == defaults.get(key):
                d.pop(key, None)
        return d

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.settings(), sort_keys=True).encode()).hexdigest()

    def effective_date_order(self) -> str:
        return effective_date_order(self.date_order, self.default_country)


@dataclass(frozen=True)
class Manifest(ManifestSettings):
    lists: tuple[str, ...]
    default_country: str = "US"
    channel: str = "sms"
    tags: tuple[str, ...] = ()
    consent_source: str = ""
    consent_method: str = "import"
    header: bool | None = None  # None: decide from the first row
    delimiter: str | None = None  # None: detect
    encoding: str = "auto"
    date_order: str = "auto"
    columns: dict[str, str | int] = field(default_factory=dict)
    policy: str = "default"
    policy_overrides: dict[str, Any] = field(default_factory=dict)
    sheet: str | None = None
    create_lists: bool = True  # false: every list in `lists` must exist already
    # The consent evidence 16 CFR 310.5(a)(8) asks for, beside `consent:`: what was shown, and why.
    disclosure_text: str | None = None
    disclosure_version: str | None = None
    disclosure_url: str | None = None
    purpose: str | None = None
    path: str | None = None

    LATER_KEYS: ClassVar[tuple[str, ...]] = ("create_lists", "disclosure_text", "disclosure_version",
                                             "disclosure_url", "purpose")

    def settings(self) -> dict[str, Any]:
        """The effective settings, JSON-ready (stored with the batch)."""
        d = super().settings()
        d["lists"], d["tags"] = list(self.lists), list(self.tags)
        return d


def effective_date_order(date_order: str, default_country: str) -> str:
    """`auto` reads 03/04/2026 as March 4 for US/CA lists and as 3 April elsewhere."""
    if date_order != "auto":
        return date_order
    return "mdy" if default_country in ("US", "CA") else "dmy"


_KEYS = {
    "lists", "list", "default_country", "channel", "tags", "consent", "header", "delimiter",
    "encoding", "date_order", "columns", "policy", "policy_overrides", "sheet", "create_lists", "disclosure",
    "purpose",
}
DISCLOSURE_PARTS = ("text", "version", "url")
# Numbers of these types name a business, never a person: a disclosure may hold them.
_BUSINESS_NUMBER_TYPES = (phonenumbers.PhoneNumberType.TOLL_FREE, phonenumbers.PhoneNumberType.PREMIUM_RATE,
                          phonenumbers.PhoneNumberType.SHARED_COST, phonenumbers.PhoneNumberType.UAN)


def manifest_path_for(data_file: Path) -> Path | None:
    """The manifest that governs `data_file`, or None when there is none."""
    stem = data_file.name.split(".")[0]
    for candidate in (data_file.with_name(f"{stem}.manifest.yaml"), data_file.with_name(f"{stem}.manifest.yml"),
                      data_file.with_name(FOLDER_MANIFEST)):
        if candidate.is_file():
            return candidate
    return None


def load_manifest(data_file: Path) -> Manifest:
    path = require_manifest(data_file, " with at least `lists: [<list name>]`; see docs/inbox.md")
    return parse_manifest(read_yaml(path), source=path)


# Limits on manifest (and policy) YAML. A manifest is a handful of hand-written settings, so
# these are far above any real one yet stop a hostile or broken file before it can exhaust
# memory: a "billion laughs" file of nested aliases is a few hundred bytes and expands to GBs.
MAX_MANIFEST_BYTES = 64 * 1024  # the whole file; real manifests are well under 4 KiB
MAX_MANIFEST_DEPTH = 10  # nested mappings/lists, the top-level mapping being level 1
MAX_MANIFEST_STRING = 4096  # characters in one key or value


class _Refused(yaml.YAMLError):
    """A document the limited loader will not build; `problem` says why, `mark` where."""

    def __init__(self, problem: str, mark: yaml.Mark | None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.mark = mark


class _LimitedLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors and aliases and caps nesting depth and string length
    while composing, so nothing is expanded or built past the limits."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _Refused("uses a YAML alias (*name); aliases and anchors are not allowed, "
                           "write each value out in full", event.start_mark)
        if getattr(event, "anchor", None) is not None:
            raise _Refused("uses a YAML anchor (&name); anchors and aliases are not allowed, "
                           "write each value out in full", event.start_mark)
        if isinstance(event, yaml.ScalarEvent) and len(event.value) > MAX_MANIFEST_STRING:
            raise _Refused(f"has a value {len(event.value):,} characters long; at most "
                           f"{MAX_MANIFEST_STRING:,} are allowed", event.start_mark)
        if not isinstance(event, yaml.CollectionStartEvent):
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > MAX_MANIFEST_DEPTH:
                raise _Refused(f"is nested more than {MAX_MANIFEST_DEPTH} levels deep; "
                               "flatten the settings", event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def read_limited_yaml(path: Path, error: type[Exception] = ManifestError) -> Any:
    """`path`'s YAML within the MAX_MANIFEST_* limits, no anchors or aliases (an empty file is
    an empty mapping); anything else raises `error` naming the file and, where known, the line,
    never the offending value."""
    with path.open("rb") as handle:
        data = handle.read(MAX_MANIFEST_BYTES + 1)
    if len(data) > MAX_MANIFEST_BYTES:
        raise error(f"{path.name}: larger than {MAX_MANIFEST_BYTES // 1024} KiB; a settings file is a "
                    "few short lines, check that the right file was saved under this name")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{path.name}: not UTF-8 text (byte {exc.start + 1}); save it as UTF-8") from None
    loader = _LimitedLoader(text)
    try:
        return loader.get_single_data() or {}
    except _Refused as exc:
        line = f": line {exc.mark.line + 1}" if exc.mark else ""
        raise error(f"{path.name}{line}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise error(f"{path.name}: not valid YAML: {exc}") from exc
    finally:
        loader.dispose()


def read_yaml(path: Path) -> Any:
    """A manifest file's YAML, read within the limits above (see `read_limited_yaml`)."""
    return read_limited_yaml(path, ManifestError)


def delimiter_setting(value: Any, fail: Callable[[str, str], ManifestError]) -> str | None:
    """`delimiter:` as the one character that separates cells, None for `auto` (detect: `,` `;`
    tab `|`). Any single character (or a name in DELIMITER_NAMES) but those REFUSED_DELIMITERS
    lists, letters and other control characters than tab."""
    if value is None or value == "":
        raise fail("delimiter", "is empty: in YAML a bare `~` means empty, `#` starts a comment and `|` a block; "
                   'quote the character (`delimiter: "~"`) or name it (tilde, hash, pipe, space, ...)')
    if not isinstance(value, str):
        raise fail("delimiter", f"must be one character or auto, not {kind_of(value)}")
    if value.strip().lower() == "auto":
        return None
    character = DELIMITER_NAMES.get(value.strip().lower(), value)
    if len(character) != 1:
        raise fail("delimiter", f"must be one character (or auto, or a name: {', '.join(DELIMITER_NAMES)}), "
                   f"not a text of {len(character)} characters")
    why = REFUSED_DELIMITERS.get(character)
    if why is None and character.isalpha():
        why = "is a letter (names and words hold letters)"
    if why is None and not character.isprintable() and character != "\t":
        why = f"is the control character U+{ord(character):04X}"
    if why is not None:
        shown = f"`{character}`" if character.isprintable() and not character.isspace() else f"U+{ord(character):04X}"
        raise fail("delimiter", f"cannot be {shown}: it {why}; choose a character the cells do not hold, e.g. "
                   "`;`, tab, pipe or tilde")
    return character


def file_settings(raw: dict, fail: Callable[[str, str], ManifestError], fields: Collection[str]) -> dict[str, Any]:
    """How to read the file, as every kind of manifest says it: header, delimiter, encoding,
    date order, and `columns:` (a field of `fields` -> a header name or a 1-based number)."""
    header = raw.get("header", "auto")
    if not (isinstance(header, bool) or header == "auto"):
        raise fail("header", "must be true, false or auto")
    delimiter = delimiter_setting(raw.get("delimiter", "auto"), fail)
    encoding = raw.get("encoding", "auto")
    encoding = encoding.lower().replace("windows-1252", "cp1252").replace("utf8", "utf-8") \
        if isinstance(encoding, str) else None
    if encoding not in ENCODINGS:
        raise fail("encoding", f"must be one of {ENCODINGS}")
    date_order = raw.get("date_order", "auto")
    date_order = date_order.lower() if isinstance(date_order, str) else None
    if date_order not in DATE_ORDERS:
        raise fail("date_order", f"must be one of {DATE_ORDERS}")
    columns = raw.get("columns", {}) or {}
    if not isinstance(columns, dict):
        raise fail("columns", "must map fields to a header name or a 1-based column number, "
                   "e.g. `columns: {phone: \"Cell #\"}`")
    bad = [key for key in columns if not isinstance(key, str) or key not in set(fields)]
    if bad:
        raise fail("columns", f"names unknown fields {sorted(map(str, bad))}; fields are {sorted(fields)}")
    for key, value in columns.items():
        if not ((isinstance(value, str) and value.strip())
                or (isinstance(value, int) and not isinstance(value, bool) and value >= 1)):
            raise fail(f"columns.{key}", f"must be a header name or a column number from 1, not {kind_of(value)}")
    return {"header": None if header == "auto" else bool(header),
            "delimiter": delimiter,
            "encoding": encoding, "date_order": date_order, "columns": dict(columns)}


def create_lists_setting(raw: dict[str, Any], fail: Callable[[str, str], ManifestError]) -> bool:
    """`create_lists:` (default true): false imports only into lists that exist already."""
    value = raw.get("create_lists", True)
    if not isinstance(value, bool):
        raise fail("create_lists", f"must be true or false, not {kind_of(value)}")
    return value


def consent_evidence(raw: dict[str, Any], fail: Callable[[str, str], ManifestError], country: str) -> dict[str, Any]:
    """`disclosure:` (the text shown when consent was asked, or a mapping of `text`, `version`,
    `url`: at least one) and `purpose:` (why it was asked), together or not at all, as the
    Manifest's `disclosure_*` and `purpose` fields. Both are kept for good, also after people are
    deleted, so neither may hold a phone number that could be a person's (a toll-free one may)."""
    disclosure, purpose = raw.get("disclosure"), raw.get("purpose")
    if disclosure is None and purpose is None:
        return {}
    if disclosure is None:
        raise fail("disclosure", "is missing: `purpose` says why consent was asked, `disclosure` what was shown "
                   "(16 CFR 310.5(a)(8) keeps both); add `disclosure: {text: ..., version: ..., url: ...}`")
    if isinstance(disclosure, str):
        disclosure = {"text": disclosure}
    if not isinstance(disclosure, dict):
        raise fail("disclosure", "must be the text shown when consent was asked, or a mapping with `text`, "
                   f"`version` and/or `url`, not {kind_of(disclosure)}")
    unknown = [key for key in disclosure if key not in DISCLOSURE_PARTS]
    if unknown:
        raise fail("disclosure", f"has unknown keys {sorted(map(str, unknown))}; it takes {list(DISCLOSURE_PARTS)}")
    parts: dict[str, str] = {}
    for part in DISCLOSURE_PARTS:
        value = disclosure.get(part)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and part == "version":
            value = str(value)  # `version: 3`
        if value is None:
            continue
        if not (isinstance(value, str) and value.strip()):
            raise fail(f"disclosure.{part}", f"must be a non-empty text, not {kind_of(value)}")
        parts[part] = value.strip()
    if not parts:
        raise fail("disclosure", "must give at least one of `text`, `version` or `url`")
    url = parts.get("url")
    if url is not None and not url.lower().startswith(("https://", "http://")):
        raise fail("disclosure.url", "must be a web address starting with https:// (the page that showed it)")
    if purpose is None:
        raise fail("purpose", "is missing: say why consent was asked (e.g. `purpose: weekly offers by SMS`); "
                   "16 CFR 310.5(a)(8) keeps it with the disclosure")
    if not (isinstance(purpose, str) and purpose.strip()):
        raise fail("purpose", f"must be a non-empty text, not {kind_of(purpose)}")
    for key, text in [*((f"disclosure.{p}", v) for p, v in parts.items() if p != "url"), ("purpose", purpose)]:
        _refuse_person_numbers(text, key, fail, country)
    return {"disclosure_text": parts.get("text"), "disclosure_version": parts.get("version"),
            "disclosure_url": url, "purpose": purpose.strip()}


def _refuse_person_numbers(text: str, key: str, fail: Callable[[str, str], ManifestError], country: str) -> None:
    """A phone number in `text` that could be a person's (any valid number but toll-free,
    premium-rate, shared-cost and UAN ones) fails `key`, naming where it is, never the number."""
    for match in phonenumbers.PhoneNumberMatcher(text, country, leniency=phonenumbers.Leniency.VALID):
        if phonenumbers.number_type(match.number) not in _BUSINESS_NUMBER_TYPES:
            raise fail(key, f"holds a phone number (characters {match.start + 1}-{match.end}) that could be a "
                       "person's: it is kept for good, also after people are deleted, so it must hold none. Give "
                       "the sender's number as its short code or a toll-free number, or keep the text on the page "
                       "`disclosure.url` names")


def parse_manifest(raw: Any, source: Path | None = None) -> Manifest:
    """Validate a manifest mapping; every error names the manifest file and the key."""
    where = source.name if source else "manifest"
    fail = key_error(where)
    check_mapping(raw, where, _KEYS)

    if "lists" in raw and "list" in raw:
        raise fail("list", "and `lists` are both given; keep one, e.g. `lists: [Spring Promo]`")
    key = "list" if "list" in raw else "lists"
    lists = raw.get(key)
    if isinstance(lists, str):
        lists = [lists]
    if not isinstance(lists, list) or not lists or not all(isinstance(x, str) and x.strip() for x in lists):
        given = kind_of(lists) if not isinstance(lists, list) or not lists else \
            "a list of " + ", ".join(sorted({kind_of(x) for x in lists}))
        raise fail(key, f"must name at least one list, e.g. `lists: [Spring Promo]` (a list of texts), not {given}")

    country = default_country(raw, where)

    chosen_channel = channel(raw, where)

    tags = raw.get("tags", [])
    if isinstance(tags, str):
        tags = [tags]
    if not isinstance(tags, list) or not all(isinstance(t, (str, int)) and not isinstance(t, bool) for t in tags):
        raise fail("tags", "must be a list of tag names, e.g. `tags: [spring-2026]`")

    consent = raw.get("consent", {}) or {}
    if not isinstance(consent, dict) or set(consent) - {"source", "method"}:
        raise fail("consent", "must be a mapping with `source` and `method`")
    for part in ("source", "method"):
        value = consent.get(part)
        if value is not None and not isinstance(value, str):
            raise fail(f"consent.{part}", f"must be a text, not {kind_of(value)}")

    reading = file_settings(raw, fail, FIELDS)

    policy = text_setting(raw, "policy", "default", fail)
    overrides = raw.get("policy_overrides", {}) or {}
    if not isinstance(overrides, dict):
        raise fail("policy_overrides", "must be a mapping of policy settings, e.g. `policy_overrides: {min_age: 21}`, "
                   f"not {kind_of(overrides)}")
    not_names = [key for key in overrides if not isinstance(key, str)]
    if not_names:
        raise fail("policy_overrides", f"has keys that are not setting names ({sorted(map(str, not_names))}); "
                   "see expectations/policies/default.yaml for the settings")

    sheet = raw.get("sheet")
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        sheet = str(sheet)  # `sheet: 2026` is the sheet named 2026
    if sheet is not None and not (isinstance(sheet, str) and sheet.strip()):
        raise fail("sheet", f"must be the name of a sheet, e.g. `sheet: Contacts`, not {kind_of(sheet)}")

    return Manifest(
        lists=tuple(x.strip() for x in lists),
        default_country=country,
        channel=chosen_channel,
        tags=tuple(str(t).strip() for t in tags if str(t).strip()),
        consent_source=str(consent.get("source") or "file import"),
        consent_method=str(consent.get("method") or "import"),
        **reading,
        policy=policy,
        policy_overrides=dict(overrides),
        sheet=sheet,
        create_lists=create_lists_setting(raw, fail),
        **consent_evidence(raw, fail, country),
        path=str(source) if source else None,
    )


def _yaml_text(value: str) -> str:
    """A text as a YAML scalar that reads back as the same text (JSON's double-quoted form)."""
    return json.dumps(value, ensure_ascii=False)


def _commented(setting: str, comment: str) -> str:
    return f"{setting:<30} # {comment}"


def manifest_text(data_file: Path, lists: Sequence[str], *, has_header: bool, columns: dict[str, str | int],
                  not_mapped: Sequence[str] = (), encoding: str | None = None, delimiter: str | None = None,
                  sheet: str | None = None, other_sheets: Sequence[str] = (), written: str = "") -> str:
    """A contact file's manifest for a person to review (`optline import FILE --list NAME`): the
    format docs/inbox.md describes, with `lists`, the header decision and `columns:` (field ->
    header name or 1-based number) as guessed, the other keys at their defaults, and comments
    saying what to check (the lines marked CHECK). `parse_manifest` reads it back as written."""
    read_as = "tab" if delimiter == "\t" else delimiter
    lines = [
        f"# The manifest of {data_file.name}{(', written by ' + written) if written else ''}.",
        "# Nothing was imported. Check every line marked CHECK (docs/inbox.md has every key), then import",
        f"# the file again: `optline import {data_file.name}` reads this manifest.",
        f"lists: [{', '.join(_yaml_text(name) for name in lists)}]",
        _commented("default_country: US", "CHECK: the region of numbers written without +country code (US, GB, ...)"),
        _commented("channel: sms", "sms | whatsapp"),
        _commented("consent:", "CHECK: how these people agreed to receive messages (kept on every opt-in)"),
        '  source: "file import"',
        "  method: import",
        _commented("# disclosure:", "CHECK: what they were shown when asked (16 CFR 310.5(a)(8)), with `purpose`;"),
        _commented('#   text: "..."', "the words shown, and/or `version:` and `url:` (no person's number)"),
        _commented('# purpose: "..."', "why consent was asked (e.g. weekly offers by SMS)"),
        _commented("create_lists: true", "false: import only into lists that exist (an unknown name fails the file)"),
        _commented(f"header: {'true' if has_header else 'false'}",
                   "the first row names the columns" if has_header else "the first row is data (no header found)"),
    ]
    if read_as is not None:
        lines.append(_commented("delimiter: auto", f"read as `{read_as}`; if wrong, any one character, quoted "
                                '(`";"`, `"~"`), or tab, pipe, space'))
    if encoding is not None:
        lines.append(_commented("encoding: auto", f"read as {encoding}; set utf-8 or cp1252 if names look garbled"))
    lines.append(_commented("date_order: auto", "03/04/2026 is March 4 on US/CA lists, 3 April elsewhere; or mdy, "
                            "dmy, ymd"))
    if sheet is not None:
        others = f" (not read: {', '.join(map(_yaml_text, other_sheets))})" if other_sheets else ""
        lines.append(_commented(f"sheet: {_yaml_text(sheet)}", f"the sheet read{others}"))
    lines.append(_commented("columns:", "CHECK: which column holds which field (guessed from the "
                            + ("header)" if has_header else "first row)")))
    if "phone" not in columns:
        lines.append(_commented("  # phone: ...", "REQUIRED: no column looked like the phone: its header name or "
                                "number (1 = first), without the first #"))
    for fld, target in columns.items():
        lines.append(f"  {fld}: {target if isinstance(target, int) else _yaml_text(target)}")
    if not_mapped:
        lines.append(f"  # not read as fields (kept as extra): {', '.join(map(_yaml_text, not_mapped))}")
    lines.append(_commented("policy: default", "CHECK: expectations/policies/<name>.yaml (age, opt-in, recency)"))
    return "\n".join(lines) + "\n"


def write_new_manifest(data_file: Path, text: str) -> Path:
    """Write `text` as `data_file`'s own manifest (`<stem>.manifest.yaml` beside it: the one
    `manifest_path_for` finds first). A file that has a manifest already (its own, or the
    folder's) is refused with a ManifestError naming it: nothing is overwritten."""
    existing = manifest_path_for(data_file)
    if existing is not None:
        raise ManifestError(f"{data_file.name}: has a manifest already, {existing.name}; it was not changed. "
                            "Edit it, or import without --list")
    target = data_file.with_name(f"{data_file.name.split('.')[0]}.manifest.yaml")
    with target.open("x", encoding="utf-8") as handle:  # "x": never over a file made meanwhile
        handle.write(text)
    return target
