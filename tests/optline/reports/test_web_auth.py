"""The plugin's pages behind Airflow's login, against a real `airflow api-server` on loopback.

One server for the module (tests/airflow_servers.py: a throwaway AIRFLOW_HOME with a copy of the
session's SQLite metadata database, SimpleAuthManager with a users file written before start, a
fixed JWT secret, a free port on 127.0.0.1) and a reports folder holding one batch's report, its
rejects and a conversion report. The server is stopped (its process group, by id) when the
module ends.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.airflow_servers import airflow_services

pytestmark = pytest.mark.airflow

PAGES = ("/optline/reviews", "/optline/batches/7/report", "/optline/batches/7/rejects.csv",
         "/optline/conversion", "/optline/conversion.csv")
USERS = {"admin": ("admin", "adminpw-" + secrets.token_hex(4)),
         "dana": ("user", "danapw-" + secrets.token_hex(4)),
         "vic": ("viewer", "vicpw-" + secrets.token_hex(4))}


def _write_reports(root: Path) -> None:
    batch = root / "batches" / "000007"
    batch.mkdir(parents=True)
    (batch / "report.html").write_text("<!doctype html><title>Batch 7: held.csv</title>"
                                       '<p id="batch-status">awaiting review</p>', encoding="utf-8")
    (batch / "rejects.csv").write_text("line,reason\n3,invalid_phone\n", encoding="utf-8")
    (root / "messaging").mkdir()
    (root / "messaging" / "conversion.csv").write_text("batch_id,file_name,imported\n7,held.csv,9\n",
                                                       encoding="utf-8")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, airflow_db: Path) -> Iterator[str]:
    home = tmp_path_factory.mktemp("api-home")
    reports = tmp_path_factory.mktemp("reports")
    _write_reports(reports)
    data = tmp_path_factory.mktemp("data")  # no warehouse until the consent test's POST makes one
    with airflow_services(home, USERS, ["api-server"], {"OPTLINE_REPORTS": str(reports),
                                                        "OPTLINE_DATA_DIR": str(data),
                                                        "OPTLINE_WAREHOUSE": str(data / "warehouse.duckdb")},
                          metadata_from=airflow_db / "airflow.db") as airflow:
        yield airflow.base


def token(base: str, user: str) -> str:
    answer = requests.post(f"{base}/auth/token", json={"username": user, "password": USERS[user][1]}, timeout=10)
    assert answer.status_code == 201, answer.text
    return answer.json()["access_token"]


def test_the_pages_answer_401_to_a_caller_without_credentials_like_the_rest_api(server):
    assert requests.get(f"{server}/api/v2/dags", timeout=10).status_code == 401
    got = {page: requests.get(server + page, timeout=10).status_code for page in (*PAGES, "/optline/expectations")}
    assert got == dict.fromkeys((*PAGES, "/optline/expectations"), 401)


def test_a_browser_without_a_session_is_sent_to_airflows_login_and_back(server):
    page = requests.get(f"{server}/optline/reviews", headers={"Accept": "text/html,application/xhtml+xml"},
                        allow_redirects=False, timeout=10)
    assert page.status_code == 303
    assert page.headers["location"] == ("/api/v2/auth/login?next="
                                        + requests.utils.quote(f"{server}/optline/reviews", safe=""))
    login = requests.get(server + page.headers["location"], allow_redirects=False, timeout=10)
    assert login.status_code in (302, 303, 307) and "/auth/login" in login.headers["location"]


@pytest.mark.parametrize("user", ["dana", "vic"])
def test_every_page_opens_with_a_token_from_the_login_as_bearer_or_the_ui_cookie(server, user):
    tok = token(server, user)
    bearer = {page: requests.get(server + page, headers={"Authorization": f"Bearer {tok}"}, timeout=10)
              for page in PAGES}
    assert {p: r.status_code for p, r in bearer.items()} == dict.fromkeys(PAGES, 200)
    assert "Batch 7: held.csv" in bearer["/optline/reviews"].text
    assert bearer["/optline/batches/7/rejects.csv"].text.startswith("line,reason")
    cookie = {page: requests.get(server + page, cookies={"_token": tok}, timeout=10).status_code for page in PAGES}
    assert cookie == dict.fromkeys(PAGES, 200)


def test_a_garbage_or_foreign_token_is_refused(server):
    import jwt

    foreign = jwt.encode({"sub": "admin", "role": "admin", "exp": int(time.time()) + 600},
                         secrets.token_hex(48), algorithm="HS512")
    for bad in ("abc", foreign):
        for page in PAGES:
            answer = requests.get(server + page, headers={"Authorization": f"Bearer {bad}"}, timeout=10)
            assert answer.status_code in (401, 403), (page, answer.status_code)
            assert requests.get(server + page, cookies={"_token": bad}, allow_redirects=False,
                                timeout=10).status_code in (401, 403)


def test_the_plugin_publishes_no_api_docs_or_schema(server):
    tok = token(server, "admin")
    for path in ("/optline/docs", "/optline/redoc", "/optline/openapi.json"):
        assert requests.get(server + path, timeout=10).status_code in (401, 404)
        assert requests.get(server + path, headers={"Authorization": f"Bearer {tok}"},
                            timeout=10).status_code == 404


def test_a_change_of_consent_on_the_history_page_is_recorded_as_the_airflow_user_who_may_answer_reviews(server):
    """Last in the module: its POST creates the server's warehouse (the pages above read the reports on disk)."""
    change = {"number": "+14155550101", "request": "opt_out", "channel": "sms", "note": "asked on the phone"}
    viewer = {"Authorization": f"Bearer {token(server, 'vic')}"}
    refused = requests.post(f"{server}/optline/history/consent", data=change, headers=viewer, timeout=60)
    assert refused.status_code == 403  # a viewer may read the history, not change it
    user = {"Authorization": f"Bearer {token(server, 'dana')}"}
    done = requests.post(f"{server}/optline/history/consent", data=change, headers=user, timeout=120)
    assert done.status_code == 200, done.text[-500:]
    assert "opt_out on sms recorded by dana" in done.text
    shown = requests.post(f"{server}/optline/history", data={"number": "(415) 555-0101"}, headers=viewer, timeout=60)
    assert shown.status_code == 200 and "asked on the phone" in shown.text and ">dana<" in shown.text
    assert requests.post(f"{server}/optline/history", data={"number": "(415) 555-0101"}, timeout=10).status_code == 401
