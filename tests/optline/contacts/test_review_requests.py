"""Which held batches a batch_review run asks about (ops.review_requests in a real warehouse)."""

from __future__ import annotations

import datetime as dt

from optline.contacts import pipeline, review_requests
from optline.runs import RunContext
from tests.helpers import write_csv

AT = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)


def held(*ids: int) -> list[dict]:
    return [{"batch_id": i} for i in ids]


def hold(conn, data_dir, name: str, first: int) -> int:
    """Import a file with 2 invalid rows in 11 (over the 10 % review share): held for review."""
    rows = [[f"(415) 555-{n:04d}", f"A{n}", "1990-01-02", "2026-10-01"] for n in range(first, first + 9)]
    path = write_csv(data_dir / "inbox" / name, [["phone", "first_name", "dob", "opt_in"], *rows,
                     *[["555-0100", "X", "1990-01-02", "2026-10-01"]] * 2], policy_overrides={})
    summary = pipeline.import_file(conn, path, RunContext(as_of=AT, dag_id="contact_import", run_id="r"),
                                   data_dir / "reports")
    assert summary.status == "awaiting_review"
    return summary.batch_id


def test_a_batch_asked_by_a_running_run_is_not_asked_again_but_one_asked_by_an_ended_run_is(conn, data_dir):
    one, two = hold(conn, data_dir, "one.csv", 100), hold(conn, data_dir, "two.csv", 200)
    review_requests.record_requests(conn, [one], "batch_review", "run-a", AT)
    review_requests.record_requests(conn, [one], "batch_review", "run-a", AT)  # a retry records nothing twice
    assert review_requests.latest_requests(conn) == {one: ("batch_review", "run-a")}
    review_requests.record_requests(conn, [two], "batch_review", "run-a", AT)
    latest = review_requests.latest_requests(conn)

    def going(dag_id: str, run_id: str) -> bool:
        return run_id == "run-a"

    asked = review_requests.to_ask(held(one, two, 99), latest, "batch_review", "run-b", going)
    assert [b["batch_id"] for b in asked] == [99]
    # run-a's retried held_batches keeps its own batches
    assert [b["batch_id"] for b in review_requests.to_ask(held(one, two, 99), latest, "batch_review", "run-a", going)] \
        == [one, two, 99]
    # run-a ended without an answer recorded: its batches are asked again
    assert [b["batch_id"] for b in review_requests.to_ask(held(one, two, 99), latest, "batch_review", "run-c",
                                                           lambda d, r: False)] == [one, two, 99]
