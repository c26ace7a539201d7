"""The suites of opt-out files and inbound texts: run in the warehouse after the file is
applied, recorded for compliance staff, never holding an opt-out back."""

from __future__ import annotations

import datetime as dt
import re

from optline import samples
from optline.consent import inbound, optouts
from optline.contacts import pipeline
from optline.intake.discovery import discover
from optline.quality import suites as quality
from optline.runs import RunContext

AS_OF = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


def results(conn, batch_id: int) -> dict[str, bool]:
    return dict(conn.execute("select description, success from ops.expectation_results where batch_id = ?",
                             [batch_id]).fetchall())


def test_every_kind_of_input_has_a_suite_that_loads():
    for name in ("contact_list", "opt_out_file", "inbound_messages"):
        suite = quality.load_suite(name)
        assert suite["expectations"] and {e["meta"]["dataset"] for e in suite["expectations"]} <= set(quality.DATASETS)


def test_opt_out_and_inbound_suites_record_failures_but_the_opt_outs_still_apply(conn, data_dir):
    samples.write_samples(data_dir / "inbox", as_of=AS_OF.date())
    run = RunContext(as_of=AS_OF, run_id="r1")
    for f in discover(data_dir / "inbox"):
        pipeline.import_file(conn, f.path, run, data_dir / "reports")
    optouts.write_samples(data_dir / "optouts", AS_OF.date())
    inbound.write_samples(data_dir / "inbound", AS_OF.date())
    opt = optouts.apply_file(conn, data_dir / "optouts" / "support_desk_unsubscribes.csv", run, data_dir / "reports")
    texts = inbound.apply_file(conn, data_dir / "inbound" / "received_messages.csv", run, data_dir / "reports")

    opt_results = results(conn, opt.batch_id)
    assert len(opt_results) == 4
    assert opt_results["Few rows are invalid (above 20 %: check the file's mapping)."] is False  # 2 of 6
    assert opt_results["Every valid row suppresses at least one number."] is True
    assert opt.events_appended == 4  # recorded failures hold nothing back

    text_results = results(conn, texts.batch_id)
    assert text_results["Every opt-out is applied within 10 business days of its receipt (FCC)."] is False
    assert texts.opt_outs == 2
    severities = {s for (s,) in conn.execute("select distinct severity from ops.expectation_results where "
                                             "batch_id in (?, ?)", [opt.batch_id, texts.batch_id]).fetchall()}
    assert severities == {"observe"}

    stored = str(conn.execute("select * from ops.expectation_results").fetchall())
    assert not re.search(r"555[\s().-]{0,3}01\d\d", stored), "expectation results show a phone number"
