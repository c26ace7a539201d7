"""Who may decide: the access settings file and the operating-system account of the CLI.

One file, `config/access.yaml` (OPTLINE_ACCESS_CONFIG names another), says who may
**review** held batches, who may **delete** personal data, who may opt a number out or back
in by hand (**consent**) and who may **export** an audience with its numbers in full:

    review:
      airflow_users: [dana, {id: "3", name: lee}]   # whom batch_review's question is assigned to
      os_accounts: [dana]                           # who may run `optline review --approve/--refuse`
      os_groups: [compliance]                       # ... or belong to one of these groups
    delete:
      os_accounts: [dpo]                            # who may run `optline delete`
      os_groups: []
    consent:
      airflow_users: [dana]                         # who may opt a number out/in on the plugin's page
      os_accounts: [dana]                           # who may run `optline opt-out` / `opt-in`
    export:
      os_accounts: [crm]                            # who may run `optline export-audience --unmasked`

- `airflow_users` are Airflow user ids (SimpleAuthManager: the username; FAB: the numeric
  user id as text). Airflow's human-in-the-loop assignment names users, not roles; with
  none listed, anyone Airflow lets answer batch_review's Required Actions may (its roles).
  Under `consent`, they are who may opt a number out or in on the plugin's page (none
  listed: anyone Airflow lets answer batch_review's Required Actions).
- With no OS account and no group listed for an action (or no file at all) the owner of
  the data folder may: one person on one machine needs no settings.
- The CLI's account is the real uid's (`pwd`), never `$USER`, which anyone can set.
"""

from __future__ import annotations

import grp
import os
import pwd
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from optline import warehouse
from optline.config import PROJECT_DIR, ConfigError, access_config_file, paths
from optline.intake.manifest import read_limited_yaml

DEFAULT_FILE = PROJECT_DIR / "config" / "access.yaml"
ACTIONS = ("review", "delete", "consent", "export")
_LISTS = ("airflow_users", "os_accounts", "os_groups")


class AccessConfigError(ConfigError):
    """The access settings file is missing or says something Optline cannot apply."""


class AccessDenied(PermissionError):
    """The caller may not do this; the message names the settings file to change."""


@dataclass(frozen=True)
class Who:
    """Who may do one action."""
    airflow_users: tuple[dict[str, str], ...] = ()
    os_accounts: tuple[str, ...] = ()
    os_groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class AccessSettings:
    source: Path | None  # the file read; None: no file, the defaults
    review: Who = field(default_factory=Who)
    delete: Who = field(default_factory=Who)
    consent: Who = field(default_factory=Who)
    export: Who = field(default_factory=Who)

    def where(self) -> str:
        return str(self.source) if self.source else f"{DEFAULT_FILE} (absent; OPTLINE_ACCESS_CONFIG names another)"


def os_account() -> str:
    """The operating-system account running this process (real uid), never $USER or $LOGNAME."""
    uid = os.getuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def data_owner() -> str:
    """The account owning the data folder (or its nearest existing parent)."""
    folder = paths().data_dir
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return pwd.getpwuid(folder.stat().st_uid).pw_name
    except KeyError:
        return f"uid {folder.stat().st_uid}"


def _names(value: Any, where: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise AccessConfigError(f"{where}: {key} must be a list of names")
    return tuple(str(v) for v in value)


def _airflow_users(value: Any, where: str, key: str) -> tuple[dict[str, str], ...]:
    users = []
    for entry in value or []:
        if isinstance(entry, str | int):
            users.append({"id": str(entry), "name": str(entry)})
        elif isinstance(entry, dict) and entry.get("id") not in (None, "") and set(entry) <= {"id", "name"}:
            users.append({"id": str(entry["id"]), "name": str(entry.get("name") or entry["id"])})
        else:
            raise AccessConfigError(f"{where}: each of {key} is a user id or {{id: ..., name: ...}}, not {entry!r}")
    if value is not None and not isinstance(value, list):
        raise AccessConfigError(f"{where}: {key} must be a list of user ids")
    return tuple(users)


def _who(data: Any, where: str, action: str) -> Who:
    if data is None:
        return Who()
    if not isinstance(data, dict):
        raise AccessConfigError(f"{where}: {action} must be a mapping with {', '.join(_LISTS)}")
    unknown = sorted(set(data) - set(_LISTS))
    if unknown:
        raise AccessConfigError(f"{where}: unknown settings {action}.{unknown}; known: {list(_LISTS)}")
    return Who(airflow_users=_airflow_users(data.get("airflow_users"), where, f"{action}.airflow_users"),
               os_accounts=_names(data.get("os_accounts"), where, f"{action}.os_accounts"),
               os_groups=_names(data.get("os_groups"), where, f"{action}.os_groups"))


def load_access() -> AccessSettings:
    """Read the access settings now; an action with no OS account or group gets the data folder's owner."""
    path = access_config_file()
    if path is not None and not path.is_file():
        raise AccessConfigError(f"OPTLINE_ACCESS_CONFIG names {path}, which does not exist")
    path = path or (DEFAULT_FILE if DEFAULT_FILE.is_file() else None)
    data: Any = {}
    if path is not None:
        # within the limits of every settings file: no aliases, 64 KiB, depth 10, 4,096 characters
        data = read_limited_yaml(path, error=AccessConfigError)
        if not isinstance(data, dict):
            raise AccessConfigError(f"{path}: must be a mapping with {' and '.join(ACTIONS)}")
        unknown = sorted(set(data) - set(ACTIONS))
        if unknown:
            raise AccessConfigError(f"{path}: unknown settings {unknown}; known: {list(ACTIONS)}")
    where = str(path) if path else "the access settings"
    owner = None
    who = {}
    for action in ACTIONS:
        w = _who(data.get(action), where, action)
        if not w.os_accounts and not w.os_groups:
            owner = owner or data_owner()
            w = Who(airflow_users=w.airflow_users, os_accounts=(owner,))
        who[action] = w
    return AccessSettings(source=path, **who)


def _in_group(account: str, group: str) -> bool:
    try:
        g = grp.getgrnam(group)
    except KeyError:
        return False
    if account in g.gr_mem:
        return True
    try:
        return pwd.getpwnam(account).pw_gid == g.gr_gid
    except KeyError:
        return False


def may(action: str, account: str, settings: AccessSettings | None = None) -> bool:
    """May this OS account do `action` (one of ACTIONS) from the command line?"""
    who: Who = getattr(settings or load_access(), action)
    return account in who.os_accounts or any(_in_group(account, g) for g in who.os_groups)


def require(action: str, settings: AccessSettings | None = None) -> str:
    """This process's OS account if it may do `action`; else AccessDenied saying where to list it."""
    settings = settings or load_access()
    account = os_account()
    if may(action, account, settings):
        return account
    who: Who = getattr(settings, action)
    allowed = ", ".join([*who.os_accounts, *(f"group {g}" for g in who.os_groups)])
    raise AccessDenied(f"the operating-system account {account!r} may not {action} (allowed: {allowed}); "
                       f"list it under {action}: os_accounts (or a group under os_groups) in {settings.where()}")


def may_airflow_user(action: str, user_id: str | None, user_name: str | None,
                     settings: AccessSettings | None = None) -> bool:
    """May this Airflow user do `action` in the plugin? Listed under `<action>: airflow_users`
    by id or name, or anyone (Airflow's permissions decided already) when none is listed."""
    listed = getattr(settings or load_access(), action).airflow_users
    return not listed or any(same_person(u["id"], user_id) or same_person(u["name"], user_name) for u in listed)


def same_person(importer: str | None, *identities: str | None) -> bool:
    """Is the importer one of these identities (an Airflow user id or name, an OS account)?"""
    if not importer:
        return False
    return importer.strip().casefold() in {i.strip().casefold() for i in identities if i}


def importer_of(conn: duckdb.DuckDBPyConnection, batch_id: int) -> str | None:
    """Who imported a batch: the import run's triggering Airflow user, or the CLI's OS account."""
    row = warehouse.run(conn, "quality/batch_importer", batch_id=batch_id).fetchone()
    return row[0] if row else None


def four_eyes_refusal(conn: duckdb.DuckDBPyConnection, batch_id: int, four_eyes: bool,
                      *identities: str | None) -> str | None:
    """The reason an approval by these identities is refused under four eyes, or None if it may stand."""
    importer = importer_of(conn, batch_id) if four_eyes else None
    if not same_person(importer, *identities):
        return None
    return (f"four eyes: {importer} imported batch {batch_id} and may not approve it; "
            "another reviewer must decide")


def importer(run: Any) -> str | None:
    """Who imports under this run (a `RunContext`): its triggering Airflow user, else for the
    CLI (dag_id 'cli' or none) this process's OS account; None for a scheduled Airflow run."""
    if getattr(run, "imported_by", None):
        return run.imported_by
    return os_account() if getattr(run, "dag_id", None) in (None, "cli") else None
