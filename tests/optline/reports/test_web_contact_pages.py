"""The plugin's consent history page and its opt-out / opt-in form, over the small real site through
fastapi's TestClient, with a PageAuth that names the user (Airflow's real login is tested in
test_web_auth): the number only in the POSTed form, the change recorded as that user, refused
from another origin, for a user not listed, or for pages that may not change consent."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from fastapi import HTTPException
from fastapi.testclient import TestClient

from optline import warehouse
from optline.reports.web import ALLOW_ALL, PageAuth, PageUser, create_app
from tests.optline.consent.consent_site import ANN, consent_site, copy_site  # noqa: F401 (a fixture)

SAME_ORIGIN = {"Origin": "http://testserver"}


def dana() -> PageUser:
    return PageUser(name="dana", id="7")


ALLOWED = PageAuth(authenticate=ALLOW_ALL.authenticate, may_read_reviews=ALLOW_ALL.authenticate,
                   may_read_conversion=ALLOW_ALL.authenticate, may_change_consent=ALLOW_ALL.authenticate,
                   caller=dana)


@pytest.fixture
def pages(request: pytest.FixtureRequest, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "access.yaml").write_text(yaml.safe_dump({"consent": {"airflow_users": [{"id": "7", "name": "dana"}]}}),
                                          encoding="utf-8")
    monkeypatch.setenv("OPTLINE_ACCESS_CONFIG", str(tmp_path / "access.yaml"))
    copy_site(request.getfixturevalue("consent_site"), data_dir)
    return data_dir


def manual_events(data_dir: Path) -> list[tuple]:
    conn = warehouse.connect(data_dir / "warehouse.duckdb", read_only=True)
    try:
        return conn.execute("select kind, scope, source, recorded_by, recorded_by_id, note from core.consent_events "
                            "where method = 'manual' order by event_id").fetchall()
    finally:
        conn.close()


def test_the_history_page_takes_the_number_in_a_posted_form_and_shows_its_timeline(pages):
    client = TestClient(create_app(pages / "reports", auth=ALLOW_ALL))
    form = client.get("/history")
    assert form.status_code == 200 and 'method="post" action="history"' in form.text and "Consent history" in form.text
    shown = client.post("/history", data={"number": "(415) 555-0101"})
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    assert "+14155550101" in shown.text and "main.csv line 2" in shown.text and "joined list" in shown.text
    assert "4155550102" not in shown.text and "4155550103" not in shown.text
    assert client.post("/history", data={"number": "555"}).status_code == 422


def test_opting_out_on_the_page_records_the_airflow_user_and_the_number_leaves_the_audience(pages):
    client = TestClient(create_app(pages / "reports", auth=ALLOWED))
    done = client.post("/history/consent", headers=SAME_ORIGIN,
                       data={"number": ANN, "request": "opt_out", "channel": "sms", "note": "called us"})
    assert done.status_code == 200 and "opt_out on sms recorded by dana" in done.text
    assert manual_events(pages) == [("opt_out", "sms", "optline web", "dana", "7", "called us")]
    again = client.post("/history/consent", headers=SAME_ORIGIN, data={"number": ANN, "request": "opt_out",
                                                                       "channel": "sms"})
    assert again.status_code == 200 and "already opted out" in again.text and len(manual_events(pages)) == 1
    conn = warehouse.connect(pages / "warehouse.duckdb", read_only=True)
    try:
        assert conn.execute("select count(*) from marts.audiences where e164_masked like '%01' and channel = 'sms'"
                            ).fetchone() == (0,)
    finally:
        conn.close()
    no_evidence = client.post("/history/consent", headers=SAME_ORIGIN, data={"number": ANN, "request": "opt_in",
                                                                             "channel": "sms", "note": "ok"})
    assert no_evidence.status_code == 422 and "own request" in no_evidence.text and len(manual_events(pages)) == 1


def test_a_change_from_another_site_or_by_a_user_not_allowed_is_refused_and_records_nothing(pages, tmp_path,
                                                                                            monkeypatch):
    client = TestClient(create_app(pages / "reports", auth=ALLOWED))
    change = {"number": ANN, "request": "opt_out", "channel": "all"}
    for forged in ({"Origin": "https://evil.example"}, {}, {"Referer": "https://evil.example/x"},
                   {"Origin": "http://testserver", "Sec-Fetch-Site": "cross-site"}):
        assert client.post("/history/consent", data=change, headers=forged).status_code == 403, forged

    def refuse() -> None:
        raise HTTPException(403, "no")

    readers_only = TestClient(create_app(pages / "reports", auth=ALLOW_ALL))  # may read, may not change
    assert readers_only.post("/history/consent", data=change, headers=SAME_ORIGIN).status_code == 403
    no_history = PageAuth(authenticate=ALLOW_ALL.authenticate, may_read_reviews=ALLOW_ALL.authenticate,
                          may_read_conversion=ALLOW_ALL.authenticate, may_read_history=refuse)
    assert TestClient(create_app(pages / "reports", auth=no_history)).post("/history",
                                                                           data={"number": ANN}).status_code == 403
    (tmp_path / "access.yaml").write_text(yaml.safe_dump({"consent": {"airflow_users": ["lee"]}}), encoding="utf-8")
    refused = client.post("/history/consent", data=change, headers=SAME_ORIGIN)
    assert refused.status_code == 403 and "consent: airflow_users" in refused.text
    assert manual_events(pages) == []
