"""Which lookup provider a policy names (`line_types.provider`, `reassigned_numbers.provider`),
with its credentials.

twilio: the message provider's Airflow connection `optline_twilio` (login = Account SID,
password = Auth Token, host = a base URL to route every Twilio URL to, optional; extra
`timeout`), read from the environment (`AIRFLOW_CONN_OPTLINE_TWILIO`, Airflow's JSON form) by
`optline.config.airflow_connection`, so the CLI, the DAG's tasks and tests read it alike; a
task may pass a connection it got from Airflow instead. fcc_rnd: the imported answers only.
none: nothing is asked.
"""

from __future__ import annotations

from typing import Any

from optline.config import ConfigError, airflow_connection
from optline.lookup.base import LookupProvider, NoProvider
from optline.lookup.fcc_rnd import FccRndProvider
from optline.lookup.twilio import TwilioLookupProvider, TwilioLookupSettings
from optline.messaging.providers.config import connection_id, settings_from_connection


def build(name: str, connection: Any | None = None) -> LookupProvider:
    """The provider `name` (none | twilio | fcc_rnd). twilio without its connection: a
    ConfigError saying where to set it."""
    if name == "none":
        return NoProvider()
    if name == "fcc_rnd":
        return FccRndProvider()
    if name != "twilio":
        raise ConfigError(f"lookup provider must be none, twilio or fcc_rnd, not {name!r}")
    conn_id = connection_id("twilio") or "optline_twilio"
    connection = connection if connection is not None else airflow_connection(conn_id)
    if connection is None:
        raise ConfigError(f"the policy's lookups use twilio, which needs the Airflow connection {conn_id!r} "
                          f"(login = Account SID, password = Auth Token), e.g. AIRFLOW_CONN_{conn_id.upper()} in "
                          "the environment; or set the policy's provider to none (docs/lookup.md)")
    given = settings_from_connection(connection, "twilio")
    if "account_sid" not in given or "auth_token" not in given:
        raise ConfigError(f"the connection {conn_id!r} needs login (Account SID) and password (Auth Token) "
                          "for Twilio Lookup")
    timeout = float(given["timeout"]) if "timeout" in given else 10.0
    return TwilioLookupProvider(TwilioLookupSettings(account_sid=str(given["account_sid"]),
                                                     auth_token=str(given["auth_token"]),
                                                     base_url=given.get("base_url"), timeout=timeout))
