"""A real Airflow on loopback for tests: a throwaway AIRFLOW_HOME (SQLite, migrated), the
SimpleAuthManager with a users file written before start, a fixed JWT secret, a free port on
127.0.0.1; `airflow api-server` and, when asked, the scheduler and dag-processor, each in its own
process group, stopped (by that group's id) when the block ends. The metadata database is a copy
of the session's (`airflow_db`, migrated once) when given, else migrated here (~10 s).

    with airflow_services(home, users, ["api-server"], extra_env) as airflow:
        requests.get(airflow.base + "/api/v2/dags", headers=airflow.auth("admin"))
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.conftest import PROJECT
from tests.helpers import copy_sqlite

AIRFLOW = str(Path(sys.executable).with_name("airflow"))
READY_TIMEOUT_S = 90
COMMANDS = {"scheduler": ["scheduler"], "dag-processor": ["dag-processor"]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Airflow:
    base: str
    home: Path
    env: dict[str, str]
    users: dict[str, tuple[str, str]]  # user -> (role, password)

    def token(self, user: str) -> str:
        """A JWT from the api-server's /auth/token, as a REST client gets one."""
        answer = requests.post(f"{self.base}/auth/token",
                               json={"username": user, "password": self.users[user][1]}, timeout=10)
        assert answer.status_code == 201, answer.text
        return answer.json()["access_token"]

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user)}"}

    def log(self, name: str) -> str:
        return (self.home / f"{name}.log").read_text(errors="replace")[-3000:]


def _stop(procs: list[subprocess.Popen]) -> None:
    """SIGTERM to each group this helper started (a command and its workers), all at once; SIGKILL
    to a group still there after 30 s."""
    for proc in procs:
        os.killpg(proc.pid, signal.SIGTERM)
    end = time.monotonic() + 30
    for proc in procs:
        try:
            proc.wait(max(end - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


@contextmanager
def airflow_services(home: Path, users: dict[str, tuple[str, str]], components: list[str],
                     extra_env: dict[str, str] | None = None, metadata_from: Path | None = None) -> Iterator[Airflow]:
    """A metadata database in `home` (a copy of the migrated `metadata_from`, else migrated), then
    `components` ("api-server", "scheduler", "dag-processor") started; yields once the api-server
    answers its health check; stops them all."""
    (home / "passwords.json").write_text(json.dumps({u: pw for u, (_, pw) in users.items()}), encoding="utf-8")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__DATABASE__")}
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT / "plugins"),
        "AIRFLOW__CORE__AUTH_MANAGER":
            "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{u}:{role}" for u, (role, _) in users.items()),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(48),
        "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__API__WORKERS": "1",  # one uvicorn worker: each takes ~10 s of CPU to start
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        **(extra_env or {}),
    })
    if metadata_from is not None and metadata_from.exists():  # (a session on SQLite: the default)
        copy_sqlite(metadata_from, home / "airflow.db")  # consistent while the session writes to it
    else:
        migrated = subprocess.run([AIRFLOW, "db", "migrate"], env=env, capture_output=True, text=True, check=False)
        assert migrated.returncode == 0, migrated.stderr[-2000:]
        # the pools and connections, as `make airflow-db` applies them after the migration
        applied = subprocess.run([sys.executable, "-m", "optline.tasks.settings"], env=env, capture_output=True,
                                 text=True, check=False)
        assert applied.returncode == 0, applied.stdout[-2000:] + applied.stderr[-2000:]
    airflow = Airflow(f"http://127.0.0.1:{port}", home, env, users)
    commands = {**COMMANDS, "api-server": ["api-server", "-H", "127.0.0.1", "-p", str(port)]}
    procs: dict[str, subprocess.Popen] = {}
    try:
        for name in components:
            with (home / f"{name}.log").open("w") as log:
                procs[name] = subprocess.Popen([AIRFLOW, *commands[name]], env=env, stdout=log,
                                               stderr=subprocess.STDOUT, start_new_session=True)
        end = time.monotonic() + READY_TIMEOUT_S
        while True:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}: {airflow.log(name)}")
            try:
                if requests.get(f"{airflow.base}/api/v2/monitor/health", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > end:
                raise TimeoutError(f"api-server not ready within {READY_TIMEOUT_S} s: {airflow.log('api-server')}")
            time.sleep(0.5)
        yield airflow
    finally:
        _stop(list(procs.values()))
