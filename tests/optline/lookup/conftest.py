"""Fixtures of the lookup tests: the Twilio Lookup stand-in on loopback (one per module), a
policy folder with lookup policies, and the Airflow connection that points Twilio at the stand-in."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import yaml

from tests.standins.twilio_lookup_server import TwilioLookupStandIn
from tests.standins.twilio_server import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

LANDLINE = "+12024561111"  # a well-known switchboard: FIXED_LINE_OR_MOBILE to phonenumbers
MOBILES = ("+14155552671", "+14155552672", "+14155552673", "+14155552674", "+17025550123", "+13105550199")


def lookup_policy(unavailable: str = "pass_unknown", **line_types) -> dict:
    return {"extends": "default",
            "line_types": {"provider": "twilio", "refuse": ["landline", "fixedVoip", "nonFixedVoip"],
                           "unavailable": unavailable, "requests_per_second": 500, "request_batch": 2,
                           "outage_after_failures": 2, **line_types},
            "reassigned_numbers": {"provider": "twilio", "unavailable": "wait", "requests_per_second": 500}}


@pytest.fixture(scope="module")
def lookup_standin():
    with TwilioLookupStandIn() as server:
        yield server


@pytest.fixture
def standin(lookup_standin: TwilioLookupStandIn) -> TwilioLookupStandIn:
    """The module's stand-in, its record and faults reset, the landline set."""
    lookup_standin._requests.clear()
    lookup_standin._line_types.clear()
    lookup_standin._disconnected.clear()
    lookup_standin.script([])
    lookup_standin.set_line_type(LANDLINE, "landline", "Verizon")
    return lookup_standin


@pytest.fixture
def policies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The tests' policy folder plus `lookups` (pass_unknown), `lookups_hold`, `lookups_wait`,
    `fcc` (reassignment from the FCC's imported answers)."""
    folder = tmp_path / "policies"
    shutil.copytree(os.environ["OPTLINE_POLICY_DIR"], folder)
    for name, data in {"lookups": lookup_policy(), "lookups_hold": lookup_policy("hold"),
                       "lookups_wait": lookup_policy("wait"),
                       "fcc": {**lookup_policy(), "reassigned_numbers": {"provider": "fcc_rnd",
                                                                         "unavailable": "pass_unknown"}}}.items():
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    monkeypatch.setenv("OPTLINE_POLICY_DIR", str(folder))
    return folder


@pytest.fixture
def twilio_connection(standin: TwilioLookupStandIn, monkeypatch: pytest.MonkeyPatch) -> str:
    """AIRFLOW_CONN_OPTLINE_TWILIO pointing at the stand-in (what the CLI and the tasks read)."""
    value = json.dumps({"conn_type": "twilio", "login": DEFAULT_ACCOUNT_SID, "password": DEFAULT_AUTH_TOKEN,
                        "host": standin.url, "extra": {"from_number": "+15005550006"}})
    monkeypatch.setenv("AIRFLOW_CONN_OPTLINE_TWILIO", value)
    return value
