"""`python -m optline.tasks.settings`: put config/airflow_settings.yaml's pools and connections
into Airflow's metadata database (`make airflow-db`, compose's airflow-init, the tests).

One line printed per pool and connection: what was set, or why a connection was skipped (the
environment variables it needs, or AIRFLOW_CONN_<ID> already giving it). Pools get the file's
slots even when resized by hand. Exit status 1, naming the problem, when the file is wrong.
No value of a connection is ever printed.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from optline.config import PROJECT_DIR, ConfigError

SETTINGS_FILE = PROJECT_DIR / "config" / "airflow_settings.yaml"
APPLY = "python -m optline.tasks.settings"
CONNECTION_FIELDS = ("host", "port", "schema", "login", "password", "extra")


@dataclass(frozen=True)
class PoolSpec:
    name: str
    slots: int
    description: str
    include_deferred: bool = False


@dataclass(frozen=True)
class ConnectionSpec:
    conn_id: str
    conn_type: str
    description: str
    fixed: dict[str, Any] = field(default_factory=dict)  # fields given in the file (never secrets)
    from_env: dict[str, str] = field(default_factory=dict)  # field -> variable, all required
    optional_from_env: dict[str, str] = field(default_factory=dict)
    environment_only: bool = False  # only ever AIRFLOW_CONN_<ID>: never stored
    unset: str = ""  # what happens while it is not set

    @property
    def env_var(self) -> str:
        return f"AIRFLOW_CONN_{self.conn_id.upper()}"


@dataclass(frozen=True)
class AirflowSettings:
    pools: tuple[PoolSpec, ...]
    connections: tuple[ConnectionSpec, ...]


def load(path: Path = SETTINGS_FILE) -> AirflowSettings:
    """The settings file, checked: a wrong key or type raises ConfigError naming it."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    unknown = sorted(set(raw) - {"pools", "connections"})
    if unknown:
        raise ConfigError(f"{path}: unknown section(s) {unknown}; known: pools, connections")
    pools = []
    for name, spec in (raw.get("pools") or {}).items():
        slots = spec.get("slots")
        if isinstance(slots, bool) or not isinstance(slots, int) or slots < 1 or not spec.get("description"):
            raise ConfigError(f"{path}: pool {name!r} needs slots (a whole number above 0) and a description")
        pools.append(PoolSpec(name, slots, str(spec["description"]), bool(spec.get("include_deferred", False))))
    connections = []
    known = {"conn_type", "description", "from_env", "optional_from_env", "environment_only", "unset",
             *(f for f in CONNECTION_FIELDS if f != "password")}  # a password only ever from the environment
    for conn_id, spec in (raw.get("connections") or {}).items():
        bad = sorted(set(spec) - known)
        if bad or not spec.get("conn_type"):
            raise ConfigError(f"{path}: connection {conn_id!r}: needs conn_type; unknown key(s) {bad}; "
                              f"known: {sorted(known)}")
        envs = {k: dict(spec.get(k) or {}) for k in ("from_env", "optional_from_env")}
        for kind, mapping in envs.items():
            if set(mapping) - set(CONNECTION_FIELDS):
                raise ConfigError(f"{path}: connection {conn_id!r}: {kind} maps fields {list(CONNECTION_FIELDS)} "
                                  f"to variable names, not {sorted(set(mapping) - set(CONNECTION_FIELDS))}")
        connections.append(ConnectionSpec(
            conn_id, str(spec["conn_type"]), str(spec.get("description", "")),
            {k: spec[k] for k in CONNECTION_FIELDS if k in spec}, envs["from_env"], envs["optional_from_env"],
            bool(spec.get("environment_only", False)), str(spec.get("unset", ""))))
    return AirflowSettings(tuple(pools), tuple(connections))


def connection_fields(spec: ConnectionSpec, env: dict[str, str]) -> dict[str, Any] | list[str]:
    """The connection's fields from the file and `env`, or the names of the variables missing."""
    missing = [var for var in spec.from_env.values() if not env.get(var)]
    if missing:
        return missing
    fields = {**spec.fixed, **{k: env[v] for k, v in spec.from_env.items()},
              **{k: env[v] for k, v in spec.optional_from_env.items() if env.get(v)}}
    if "port" in fields:
        fields["port"] = int(fields["port"])
    if isinstance(fields.get("extra"), dict):
        fields["extra"] = json.dumps(fields["extra"])
    return fields


def apply(path: Path = SETTINGS_FILE, env: dict[str, str] | None = None) -> list[str]:
    """Create or update the file's pools and connections; one line per item, saying what it did."""
    from airflow.models.connection import Connection
    from airflow.models.pool import Pool
    from airflow.utils.session import create_session
    from sqlalchemy import select

    env = dict(os.environ if env is None else env)
    settings = load(path)
    lines = []
    for pool in settings.pools:
        Pool.create_or_update_pool(pool.name, pool.slots, pool.description, pool.include_deferred)
        lines.append(f"pool {pool.name}: {pool.slots} slot(s)")
    with create_session() as session:
        for spec in settings.connections:
            stored = session.scalar(select(Connection).where(Connection.conn_id == spec.conn_id))
            if env.get(spec.env_var):
                lines.append(f"connection {spec.conn_id}: from the environment ({spec.env_var})")
                continue
            fields = [] if spec.environment_only else connection_fields(spec, env)
            if isinstance(fields, list):
                why = ("kept as defined in Airflow" if stored is not None
                       else f"not set: {spec.unset or 'Optline works without it'}")
                needs = f"{spec.env_var}" + (f", or {', '.join(fields)}" if fields else "")
                lines.append(f"connection {spec.conn_id}: {why} (to set it: {needs})")
                continue
            if stored is None:
                stored = Connection(conn_id=spec.conn_id)
                session.add(stored)
            stored.conn_type, stored.description = spec.conn_type, spec.description
            for name in CONNECTION_FIELDS:
                if name in fields:
                    setattr(stored, name, fields[name])
            names = ", ".join(f"{k} from {v}" for k, v in {**spec.from_env, **spec.optional_from_env}.items()
                              if k in fields)
            lines.append(f"connection {spec.conn_id}: set ({names})")
    return lines


def main() -> int:
    try:
        lines = apply()
    except ConfigError as exc:
        print(f"airflow-settings: {exc}", file=sys.stderr)
        return 1
    for line in lines:
        print(f"airflow-settings: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
