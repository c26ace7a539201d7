"""Static consistency checks of the Docker Compose stack.

No Docker engine is needed: the compose file is loaded with yaml.safe_load (which resolves
the ``x-airflow-common`` anchors and ``<<:`` merge keys), compose-style ``${VAR...}``
interpolation is applied by a small helper using the values documented in
docker/.env.example, and the results are cross-checked against each other, the Dockerfile
and pyproject.toml. Only pyyaml and the standard library are used.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "docker" / "Dockerfile"
ENV_EXAMPLE = ROOT / "docker" / ".env.example"
PYPROJECT = ROOT / "pyproject.toml"
LOCKFILE = ROOT / "docker" / "requirements.lock"

# service name -> the airflow sub-command it runs (None: a one-shot shell script).
AIRFLOW_SERVICES: dict[str, str | None] = {
    "airflow-init": None,
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
    "airflow-worker": "celery worker",
}
LONG_RUNNING_AIRFLOW = [name for name in AIRFLOW_SERVICES if name != "airflow-init"]
EXPECTED_SERVICES = {"postgres", "redis", *AIRFLOW_SERVICES}
PROJECT_MOUNT = "/opt/optline"
COMMON_ANCHOR = "x-airflow-common"

# Variables that hold secrets: they must be required (${VAR:?...}), never defaulted, and
# left empty in docker/.env.example.
SECRET_VARS = {
    "POSTGRES_PASSWORD",
    "AIRFLOW_FERNET_KEY",
    "AIRFLOW_JWT_SECRET",
    "AIRFLOW_API_SECRET_KEY",
    "AIRFLOW_ADMIN_PASSWORD",
    "OPTLINE_HMAC_KEY",
}
# Documented local-development defaults that may appear in a secret-named setting. There are
# none today; add "VAR": "default" here only together with a note in docker/.env.example.
ALLOWED_SECRET_DEFAULTS: dict[str, str] = {}
SECRET_NAME_RE = re.compile(r"PASSWORD|SECRET|FERNET|TOKEN|(^|_)KEY$", re.IGNORECASE)
SECRET_LOOKING_RE = re.compile(
    r"(?<![A-Za-z0-9_+/=-])(?:"
    r"[A-Za-z0-9_-]{43}="  # a Fernet key (32 bytes, urlsafe base64)
    r"|[0-9a-fA-F]{32,}"  # a long hex token (openssl rand -hex)
    r"|[A-Za-z0-9+/]{40,}={0,2}"  # a long base64 blob
    r")(?![A-Za-z0-9_+/=-])"
)

# --------------------------------------------------------------------------------------
# Compose interpolation: $$, $VAR, ${VAR}, ${VAR:-default}, ${VAR-default},
# ${VAR:?error}, ${VAR?error}, ${VAR:+alt}, ${VAR+alt}. Nesting is rejected on purpose.
# --------------------------------------------------------------------------------------

_TOKEN_RE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[^}]*)\}|(?P<named>[A-Za-z_][A-Za-z0-9_]*))"
)
_BRACED_RE = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>.*))?", re.S)


class MissingVariable(LookupError):
    """A ``${VAR:?message}`` whose variable is unset (or empty): compose would refuse."""


def _parse_braced(expr: str) -> tuple[str, str | None, str]:
    if "${" in expr or "$" in expr:
        raise ValueError(f"nested interpolation is not supported here: ${{{expr}}}")
    match = _BRACED_RE.fullmatch(expr)
    if match is None:
        raise ValueError(f"invalid interpolation: ${{{expr}}}")
    return match["name"], match["op"], match["arg"] or ""


def references(value: str) -> list[tuple[str, str | None, str]]:
    """The variables a string refers to, as (name, operator, argument)."""
    found = []
    for match in _TOKEN_RE.finditer(value):
        if match["escaped"]:
            continue
        if match["named"]:
            found.append((match["named"], None, ""))
        else:
            found.append(_parse_braced(match["braced"]))
    return found


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """Apply compose interpolation to one string."""

    def substitute(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        if match["named"]:
            return env.get(match["named"], "")
        name, op, arg = _parse_braced(match["braced"])
        current = env.get(name)
        if op is None:
            return current or ""
        missing = current is None or (op.startswith(":") and current == "")
        kind = op[-1]
        if kind == "-":
            return arg if missing else current
        if kind == "?":
            if missing:
                raise MissingVariable(f"{name}: {arg}")
            return current
        return "" if missing else arg  # "+"

    return _TOKEN_RE.sub(substitute, value)


def interpolate_tree(node: Any, env: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, dict):
        return {key: interpolate_tree(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate_tree(item, env) for item in node]
    return node


def walk_strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from walk_strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk_strings(item)


def parse_env_file(text: str) -> dict[str, str]:
    env = {}
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep, f"not KEY=VALUE in env file: {raw_line!r}"
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        env[key.strip()] = value
    return env


# --------------------------------------------------------------------------------------
# Compose structure helpers
# --------------------------------------------------------------------------------------


def environment_of(service: Mapping[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # ["KEY=value", ...]
        return dict(item.partition("=")[::2] for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def depends_on_of(service: Mapping[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return {name: "service_started" for name in deps}
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


def volumes_of(service: Mapping[str, Any]) -> list[dict[str, str]]:
    """Volumes in long form: {type, source, target}."""
    result = []
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            result.append(
                {
                    "type": volume.get("type", "volume"),
                    "source": volume.get("source", ""),
                    "target": volume["target"],
                }
            )
            continue
        parts = volume.split(":")
        if len(parts) == 1:  # anonymous volume
            result.append({"type": "volume", "source": "", "target": parts[0]})
            continue
        source, target = parts[0], parts[1]
        is_bind = source.startswith((".", "/", "~", "$"))
        result.append({"type": "bind" if is_bind else "volume", "source": source, "target": target})
    return result


def published_ports(service: Mapping[str, Any]) -> list[tuple[str | None, int]]:
    """(host port, container port) pairs of a service's `ports`."""
    result = []
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            result.append((str(port.get("published")) if port.get("published") else None, int(port["target"])))
            continue
        spec = str(port).split("/")[0]
        parts = spec.rsplit(":", 2)
        container = int(parts[-1])
        host = parts[-2] if len(parts) >= 2 else None
        result.append((host, container))
    return result


def command_text(service: Mapping[str, Any]) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else str(command)


def healthcheck_enabled(service: Mapping[str, Any]) -> bool:
    check = service.get("healthcheck")
    if not check or check.get("disable"):
        return False
    test = check.get("test")
    return bool(test) and test != ["NONE"]


def secret_findings(raw: Mapping[str, Any]) -> list[str]:
    """Hard-coded secrets in an (uninterpolated) compose document."""
    problems = []
    sections = {COMMON_ANCHOR: raw.get(COMMON_ANCHOR) or {}, **(raw.get("services") or {})}
    for owner, service in sections.items():
        for key, value in environment_of(service).items():
            refs = references(value)
            if SECRET_NAME_RE.search(key):
                plain = _TOKEN_RE.sub("", value)
                if plain.strip() or len(refs) != 1:
                    problems.append(f"{owner}.{key} is not exactly one ${{VAR}} reference: {value!r}")
                for name, op, arg in refs:
                    if op and op.endswith("-") and ALLOWED_SECRET_DEFAULTS.get(name) != arg:
                        problems.append(f"{owner}.{key} defaults {name} to a literal: {value!r}")
            for url in re.findall(r"[a-z][a-z0-9+.-]*://\S+", value):
                userinfo = url.split("://", 1)[1].split("@", 1)
                if len(userinfo) != 2 or ":" not in userinfo[0]:
                    continue
                password = userinfo[0].split(":", 1)[1]
                password_refs = references(password)
                if not password_refs or _TOKEN_RE.sub("", password):
                    problems.append(f"{owner}.{key} has a literal password in {url!r}")
                for name, op, arg in password_refs:
                    if op and op.endswith("-") and ALLOWED_SECRET_DEFAULTS.get(name) != arg:
                        problems.append(f"{owner}.{key} defaults password {name} to a literal")
    for text in walk_strings(raw):
        for token in SECRET_LOOKING_RE.findall(text):
            problems.append(f"secret-looking literal {token!r}")
    return problems


# --------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    return parse_env_file(ENV_EXAMPLE.read_text())


@pytest.fixture(scope="module")
def filled_env(env_example: dict[str, str]) -> dict[str, str]:
    """The documented .env with every empty (secret) value filled in, as a user would."""
    return {key: value or f"test-{key.lower().replace('_', '-')}" for key, value in env_example.items()}


# Non-secret values that differ from every default, so that a value hard-coded in one place
# but taken from a variable in another (e.g. the Postgres user) shows up as a mismatch.
OVERRIDES = {"AIRFLOW_UID": "12345", "AIRFLOW_API_PORT": "18080"}


@pytest.fixture(scope="module", params=["documented-env", "overridden-env"])
def compose(request: pytest.FixtureRequest, raw: dict[str, Any], filled_env: dict[str, str]) -> dict[str, Any]:
    env = dict(filled_env)
    if request.param == "overridden-env":
        env = {key: OVERRIDES.get(key, f"x{value}x-{key.lower()}") for key, value in env.items()}
    return interpolate_tree(raw, env)


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


@pytest.fixture(scope="module")
def common(compose: dict[str, Any]) -> dict[str, Any]:
    return compose[COMMON_ANCHOR]


@pytest.fixture(scope="module")
def common_env(common: dict[str, Any]) -> dict[str, str]:
    return environment_of(common)


# --------------------------------------------------------------------------------------
# The helpers themselves (so the checks below can fail for the right reasons)
# --------------------------------------------------------------------------------------


def test_interpolate_follows_compose_rules() -> None:
    env = {"SET": "value", "EMPTY": ""}
    assert interpolate("a-${SET}-$SET", env) == "a-value-value"
    assert interpolate("${UNSET:-dflt}|${EMPTY:-dflt}|${EMPTY-dflt}", env) == "dflt|dflt|"
    assert interpolate("$${HOSTNAME} $$1", env) == "${HOSTNAME} $1"
    assert interpolate("${SET:+alt}|${UNSET:+alt}", env) == "alt|"
    assert interpolate("${SET:?need it}", env) == "value"
    with pytest.raises(MissingVariable, match="need it"):
        interpolate("${EMPTY:?need it}", env)
    with pytest.raises(MissingVariable):
        interpolate("${UNSET?need it}", env)
    assert interpolate("${EMPTY?need it}", env) == ""
    with pytest.raises(ValueError):
        interpolate("${A:-${B}}", env)


def test_secret_detector_flags_hard_coded_values() -> None:
    bad = yaml.safe_load(
        """
        services:
          db:
            environment:
              POSTGRES_PASSWORD: hunter2
              AIRFLOW__API_AUTH__JWT_SECRET: ${JWT:-not-a-secret}
              AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: postgresql://u:pw@db/airflow
              OTHER: d6Vefz3G9U_ynXB3cr7y_Ak35tAHkEGAVxuz_B-jzWw=
        """
    )
    findings = "\n".join(secret_findings(bad))
    assert "POSTGRES_PASSWORD" in findings
    assert "JWT_SECRET" in findings
    assert "literal password" in findings
    assert "secret-looking literal" in findings
    good = yaml.safe_load(
        """
        services:
          db:
            environment:
              POSTGRES_PASSWORD: ${PG_PASSWORD:?set it}
              CONN: postgresql://${U:-airflow}:${PG_PASSWORD:?set it}@db/airflow
        """
    )
    assert secret_findings(good) == []


# --------------------------------------------------------------------------------------
# The stack
# --------------------------------------------------------------------------------------


def test_compose_file_has_every_expected_service(raw: dict[str, Any]) -> None:
    assert COMMON_ANCHOR in raw, "the shared Airflow settings live under x-airflow-common"
    missing = EXPECTED_SERVICES - set(raw["services"])
    assert not missing, f"missing services: {sorted(missing)}"


def test_compose_refuses_to_start_without_each_secret(raw: dict[str, Any], filled_env: dict[str, str]) -> None:
    interpolate_tree(raw, filled_env)  # complete env: resolves
    for name in sorted(SECRET_VARS):
        env = {key: value for key, value in filled_env.items() if key != name}
        with pytest.raises(MissingVariable, match=name):
            interpolate_tree(raw, env)
        with pytest.raises(MissingVariable, match=name):
            interpolate_tree(raw, {**env, name: ""})


def test_required_variables_are_documented_and_secrets_blank(
    raw: dict[str, Any], env_example: dict[str, str]
) -> None:
    refs = [ref for text in walk_strings(raw) for ref in references(text)]
    required = {name for name, op, _ in refs if op and op.endswith("?")}
    referenced = {name for name, _, _ in refs}
    assert SECRET_VARS <= required, f"secrets not required: {sorted(SECRET_VARS - required)}"
    assert not referenced - set(env_example), (
        f"variables used in docker-compose.yml but not in docker/.env.example: "
        f"{sorted(referenced - set(env_example))}"
    )
    for name in SECRET_VARS:
        assert env_example[name] == "", f"docker/.env.example must not ship a value for {name}"
    for name, op, _ in refs:
        if name in SECRET_VARS:
            assert op is not None and op.endswith("?"), f"{name} is used without :? somewhere"


def test_no_hard_coded_secrets(raw: dict[str, Any]) -> None:
    assert secret_findings(raw) == []
    for path in (DOCKERFILE, ENV_EXAMPLE):
        text = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("#"))
        assert SECRET_LOOKING_RE.findall(text) == [], f"secret-looking literal in {path.name}"


def test_airflow_services_share_the_common_definition(
    services: dict[str, Any], common: dict[str, Any], common_env: dict[str, str]
) -> None:
    assert common.get("build"), "x-airflow-common must build the project image"
    for name in AIRFLOW_SERVICES:
        service = services[name]
        for key in ("image", "build", "user"):
            assert service.get(key) == common.get(key), f"{name}.{key} differs from {COMMON_ANCHOR}"
        env = environment_of(service)
        for key, value in common_env.items():
            assert env.get(key) == value, f"{name} overrides or drops {key}"
        service_volumes = volumes_of(service)
        for volume in volumes_of(common):
            assert volume in service_volumes, f"{name} lacks the common volume {volume}"


def test_airflow_commands(services: dict[str, Any]) -> None:
    for name, subcommand in AIRFLOW_SERVICES.items():
        if subcommand is not None:
            assert command_text(services[name]).split() == subcommand.split(), name
    init = command_text(services["airflow-init"])
    assert re.search(r"\bairflow db migrate\b", init)


SETTINGS_FILE = ROOT / "config" / "airflow_settings.yaml"
APPLY_SETTINGS = "python -m optline.tasks.settings"


def test_init_applies_the_one_settings_file_then_fails_on_any_dag_problem(services: dict[str, Any]) -> None:
    """The pools and connections come from config/airflow_settings.yaml (the Makefile and the tests
    apply the same file, with the same command) right after the metadata database is migrated,
    then `optline.tasks.airflow_check` fails the init, and so the stack's start, on a DAG import
    error, a DAG warning or a missing pool."""
    init = command_text(services["airflow-init"])
    assert APPLY_SETTINGS in init
    assert "airflow pools" not in init  # one source for the pools: the file
    assert init.index("airflow db migrate") < init.index(APPLY_SETTINGS) \
        < init.index("python -m optline.tasks.airflow_check")
    assert "set -euo pipefail" in init  # a failing step fails the init
    settings = yaml.safe_load(SETTINGS_FILE.read_text(encoding="utf-8"))
    assert settings["pools"]["duckdb_writer"]["slots"] == 1
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert f"$(BIN)/{APPLY_SETTINGS}" in makefile and "airflow pools" not in makefile


def test_airflow3_settings(services: dict[str, Any], common_env: dict[str, str], raw: dict[str, Any]) -> None:
    assert common_env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert common_env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false"
    raw_env = environment_of(raw[COMMON_ANCHOR])
    for key in ("AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET"):
        refs = references(raw_env[key])
        assert len(refs) == 1 and refs[0][0] in SECRET_VARS, f"{key} must come from a secret variable"
    # One value of each shared setting across all Airflow components.
    for key in (
        "AIRFLOW__CORE__EXECUTOR",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
        "AIRFLOW__API_AUTH__JWT_SECRET",
        "AIRFLOW__CORE__FERNET_KEY",
        "AIRFLOW__CELERY__BROKER_URL",
        "AIRFLOW__CELERY__RESULT_BACKEND",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
    ):
        values = {environment_of(services[name]).get(key) for name in AIRFLOW_SERVICES}
        assert len(values) == 1 and None not in values, f"{key} differs between Airflow services: {values}"


def test_depends_on_targets_exist(services: dict[str, Any]) -> None:
    valid = {"service_started", "service_healthy", "service_completed_successfully"}
    for name, service in services.items():
        for target, condition in depends_on_of(service).items():
            assert target in services, f"{name} depends on undefined service {target}"
            assert target != name
            assert condition in valid, f"{name} -> {target}: unknown condition {condition}"


def test_health_dependencies_have_healthchecks(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for target, condition in depends_on_of(service).items():
            if condition == "service_healthy":
                assert healthcheck_enabled(services[target]), f"{name} waits for {target}, which has no healthcheck"
    for name in ("postgres", "redis", *LONG_RUNNING_AIRFLOW):
        assert healthcheck_enabled(services[name]), f"{name} has no healthcheck"


def test_startup_order(services: dict[str, Any]) -> None:
    init = services["airflow-init"]
    assert depends_on_of(init) == {"postgres": "service_healthy", "redis": "service_healthy"}
    assert init.get("restart") in (None, "no", "on-failure"), "a one-shot init must not restart forever"
    for name in LONG_RUNNING_AIRFLOW:
        deps = depends_on_of(services[name])
        assert deps.get("airflow-init") == "service_completed_successfully", name
        assert deps.get("postgres") == "service_healthy", name
        assert deps.get("redis") == "service_healthy", name
    assert depends_on_of(services["airflow-worker"]).get("airflow-apiserver") == "service_healthy"


def test_named_volumes_are_declared(compose: dict[str, Any], services: dict[str, Any]) -> None:
    declared = set(compose.get("volumes") or {})
    used = {
        volume["source"]
        for service in services.values()
        for volume in volumes_of(service)
        if volume["type"] == "volume" and volume["source"]
    }
    assert used, "expected at least the postgres data volume"
    assert used <= declared, f"undeclared named volumes: {sorted(used - declared)}"
    pg_targets = {v["target"]: v for v in volumes_of(services["postgres"])}
    assert pg_targets["/var/lib/postgresql/data"]["type"] == "volume", "postgres data needs a named volume"


def test_apiserver_port_matches_execution_api_url(services: dict[str, Any], common_env: dict[str, str]) -> None:
    url = urlsplit(common_env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"])
    assert url.scheme == "http"
    assert url.hostname == "airflow-apiserver" and url.hostname in services
    assert url.path == "/execution/"
    apiserver = services["airflow-apiserver"]
    listen_port = int(environment_of(apiserver).get("AIRFLOW__API__PORT", "8080"))
    container_ports = {container for _, container in published_ports(apiserver)}
    assert url.port == listen_port, "execution API URL must use the port api-server listens on"
    assert listen_port in container_ports, f"api-server publishes {container_ports}, listens on {listen_port}"
    health = " ".join(apiserver["healthcheck"]["test"])
    assert f"localhost:{listen_port}/" in health


def test_project_mount_matches_configured_paths(services: dict[str, Any]) -> None:
    for name in AIRFLOW_SERVICES:
        service = services[name]
        mounts = [v for v in volumes_of(service) if v["target"] == PROJECT_MOUNT]
        assert len(mounts) == 1, f"{name} must mount the project at {PROJECT_MOUNT}"
        assert mounts[0]["type"] == "bind"
        assert (COMPOSE_FILE.parent / mounts[0]["source"]).resolve() == ROOT, "mount the repository root"
        env = environment_of(service)
        for key in ("AIRFLOW__CORE__DAGS_FOLDER", "AIRFLOW__CORE__PLUGINS_FOLDER", "OPTLINE_DATA_DIR"):
            assert env[key].startswith(PROJECT_MOUNT + "/"), f"{name}.{key}={env[key]} is outside the mount"
        assert env["AIRFLOW__CORE__DAGS_FOLDER"] == f"{PROJECT_MOUNT}/dags"
        assert env["AIRFLOW__CORE__PLUGINS_FOLDER"] == f"{PROJECT_MOUNT}/plugins"
        data_dir = env["OPTLINE_DATA_DIR"]
        assert env["OPTLINE_INBOX"].startswith(data_dir + "/")
        assert env["OPTLINE_WAREHOUSE"].startswith(data_dir + "/")
        assert env["OPTLINE_WAREHOUSE"].endswith(".duckdb")
        conn = json.loads(env["AIRFLOW_CONN_OPTLINE_WAREHOUSE"])
        assert conn["conn_type"] == "duckdb"
        assert conn["host"] == env["OPTLINE_WAREHOUSE"], "DuckDBHook opens the connection's host"


def test_metadata_db_urls_match_postgres_service(services: dict[str, Any], common_env: dict[str, str]) -> None:
    pg = environment_of(services["postgres"])
    assert services["postgres"]["image"].startswith("postgres:")
    for key, scheme in (
        ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "postgresql+psycopg2"),
        ("AIRFLOW__CELERY__RESULT_BACKEND", "db+postgresql"),
    ):
        url = urlsplit(common_env[key])
        assert url.scheme == scheme, key
        assert url.hostname == "postgres" and url.hostname in services, key
        assert url.port in (None, 5432), key
        assert url.username == pg["POSTGRES_USER"], key
        assert url.password == pg["POSTGRES_PASSWORD"], key
        assert url.path.lstrip("/") == pg["POSTGRES_DB"], key
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])


def test_broker_is_the_redis_service(services: dict[str, Any], common_env: dict[str, str]) -> None:
    url = urlsplit(common_env["AIRFLOW__CELERY__BROKER_URL"])
    assert url.scheme == "redis"
    assert url.hostname in services, f"broker host {url.hostname} is not a service"
    redis = services[url.hostname]
    assert redis["image"].startswith("redis:")
    port = url.port or 6379
    assert port in {int(p) for p in redis.get("expose", [])} or port == 6379
    assert "redis-cli" in " ".join(redis["healthcheck"]["test"])


def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def test_dockerfile_base_matches_pyproject() -> None:
    pyproject = tomllib.loads(PYPROJECT.read_text())
    pins = [
        m.group(1)
        for dep in pyproject["project"]["dependencies"]
        if (m := re.fullmatch(r"apache-airflow\s*==\s*([\w.]+)", dep.strip()))
    ]
    assert len(pins) == 1, "pyproject.toml must pin apache-airflow==X exactly once"
    python = re.search(r">=\s*(\d+\.\d+)", pyproject["project"]["requires-python"]).group(1)

    instructions = _dockerfile_instructions()
    args = {}
    for keyword, rest in instructions:
        if keyword == "ARG" and "=" in rest:
            key, _, value = rest.partition("=")
            args[key] = value
    froms = [interpolate(rest.split()[0], args) for keyword, rest in instructions if keyword == "FROM"]
    assert froms, "no FROM in docker/Dockerfile"
    image, _, tag = froms[-1].partition(":")
    assert image == "apache/airflow"
    assert tag == f"{pins[0]}-python{python}"

    lock = LOCKFILE.read_text()
    assert re.search(rf"^apache-airflow=={re.escape(pins[0])}$", lock, re.M), "lock disagrees with pyproject"


def test_build_context_holds_what_the_dockerfile_copies(common: dict[str, Any]) -> None:
    build = common["build"]
    context = (COMPOSE_FILE.parent / (build if isinstance(build, str) else build.get("context", "."))).resolve()
    dockerfile = context / (build.get("dockerfile", "Dockerfile") if isinstance(build, dict) else "Dockerfile")
    assert dockerfile.resolve() == DOCKERFILE.resolve()
    instructions = _dockerfile_instructions()
    copied = []
    for keyword, rest in instructions:
        if keyword in ("COPY", "ADD"):
            words = [w for w in rest.split() if not w.startswith("--")]
            if any(w.startswith("--from") for w in rest.split()):
                continue
            copied.extend(words[:-1])
    assert "docker/requirements.lock" in copied
    for source in copied:
        assert (context / source).exists(), f"COPY source {source} is not in the build context"
    run = " ".join(rest for keyword, rest in instructions if keyword == "RUN")
    assert "-r /opt/optline/docker/requirements.lock" in run
    assert re.search(r"pip install [^&]*--no-deps -e /opt/optline\b", run)


def test_image_lock_and_test_lock_pin_the_same_versions() -> None:
    """docker/requirements.lock (image) and requirements.lock (make test) come from one
    pyproject.toml: every package both pin must be at the same version."""
    def pins(path: Path) -> dict[str, str]:
        found = re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", path.read_text(), re.M)
        return {name.lower().replace("_", "-"): version for name, version in found}

    image, tests = pins(LOCKFILE), pins(ROOT / "requirements.lock")
    shared = image.keys() & tests.keys()
    assert "apache-airflow" in shared and "duckdb" in shared
    assert {name: (image[name], tests[name]) for name in shared if image[name] != tests[name]} == {}
    assert {"apache-airflow-providers-celery", "apache-airflow-providers-postgres"} <= image.keys()


def test_lineage_goes_to_the_marquez_service_with_the_extractor_the_makefile_names(
        services: dict[str, Any], common_env: dict[str, str]) -> None:
    """Every Airflow service sends its OpenLineage events over HTTP to the `marquez` service (on the
    port Marquez listens on), with the same extractor and namespace as `make` (docs/lineage.md);
    Marquez's database is created by airflow-init, and its UI waits for it."""
    transport = json.loads(common_env["AIRFLOW__OPENLINEAGE__TRANSPORT"])
    assert transport["type"] == "http" and transport["endpoint"] == "api/v1/lineage"
    url = urlsplit(transport["url"])
    marquez = environment_of(services[url.hostname])
    assert url.hostname == "marquez" and str(url.port) == str(marquez["MARQUEZ_PORT"])
    assert marquez["POSTGRES_HOST"] == "postgres" and healthcheck_enabled(services["marquez"])
    assert re.search(rf"for database in \([^)]*\"{marquez['POSTGRES_DB']}\"", command_text(services["airflow-init"]))
    assert depends_on_of(services["marquez-web"]) == {"marquez": "service_healthy"}
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for key in ("AIRFLOW__OPENLINEAGE__EXTRACTORS", "AIRFLOW__OPENLINEAGE__NAMESPACE"):
        made = re.search(rf"^export {key} [?:]?= (.+)$", makefile, re.M)
        assert made and common_env[key] == made.group(1), key
