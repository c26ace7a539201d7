"""Every kind of input outside the contact lists has the same shape and verbs: `inbox()` (its
folder, from config), `apply_file(conn, path, run, reports_dir)` returning a result with
`as_xcom()`, `write_report(conn, result, reports_dir)`, and `write_samples(folder, as_of)`."""

from __future__ import annotations

import inspect
import typing

import pytest

from optline.consent import confirmations, inbound, optouts
from optline.messaging import delivery

KINDS = {"optouts": (optouts, "OPTLINE_OPTOUT_INBOX"), "inbound": (inbound, "OPTLINE_INBOUND_INBOX"),
         "confirmations": (confirmations, "OPTLINE_CONFIRMATIONS_INBOX"),
         "delivery": (delivery, "OPTLINE_DELIVERY_INBOX")}
WITH_SAMPLES = ("optouts", "inbound", "confirmations")  # delivery files come from providers only


@pytest.mark.parametrize("kind", KINDS)
def test_each_inbox_defaults_under_the_data_dir_and_follows_its_variable(data_dir, monkeypatch, tmp_path, kind):
    module, variable = KINDS[kind]
    monkeypatch.delenv(variable, raising=False)
    assert module.inbox() == data_dir / kind
    monkeypatch.setenv(variable, str(tmp_path / "elsewhere"))
    assert module.inbox() == tmp_path / "elsewhere" == (tmp_path / "elsewhere").resolve()


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_applies_a_file_and_writes_its_report_with_the_same_signature(kind):
    module, _ = KINDS[kind]
    assert module.KIND == kind
    assert list(inspect.signature(module.apply_file).parameters) == ["conn", "path", "run", "reports_dir"]
    result = typing.get_type_hints(module.apply_file)["return"]
    assert callable(result.as_xcom)
    assert list(inspect.signature(module.write_report).parameters)[:3] == ["conn", "result", "reports_dir"]


@pytest.mark.parametrize("kind", WITH_SAMPLES)
def test_each_kind_writes_its_demo_samples_with_the_same_signature(kind):
    parameters = list(inspect.signature(KINDS[kind][0].write_samples).parameters.values())
    assert [p.name for p in parameters[:2]] == ["folder", "as_of"]
    assert all(p.default is not inspect.Parameter.empty for p in parameters[2:])
