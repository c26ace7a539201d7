"""The SQL normalizer agrees with phonenumbers on every generated input (differential test).

`phones.normalize_batch` reads in SQL, from phonenumbers' own metadata, every value it can read
exactly as phonenumbers would, and hands the rest to phonenumbers; here 100,000 generated
values across 45 regions and every format variant (tests/phone_inputs.py) go through it into a
real warehouse file, and each stored parse must equal phonenumbers' own: E.164, region, type,
time zones, error and HMAC. bench/phone_differential.py runs the same at 1M.
"""

from __future__ import annotations

from pathlib import Path

from optline import warehouse
from tests import phone_inputs

SAMPLE = 100_000


def test_sql_and_phonenumbers_agree_on_100k_generated_inputs_across_45_regions(tmp_path: Path) -> None:
    conn = warehouse.connect(tmp_path / "w.duckdb")
    generated = phone_inputs.batches(SAMPLE)
    assert sum(len(values) for _, values in generated) >= SAMPLE * 0.95
    assert len({region for region, _ in generated}) >= 30
    wrong, in_sql = [], 0
    for batch_id, (region, values) in enumerate(generated, start=1):
        found, parsed_in_sql = phone_inputs.disagreements(conn, batch_id, region, values)
        wrong += found
        in_sql += parsed_in_sql
    valid = conn.execute("select count(*) from staging.phone_parses where parse_error is null").fetchone()[0]
    conn.close()
    assert wrong[:20] == [] and len(wrong) == 0
    # both paths were compared: SQL parsed most valid numbers, phonenumbers the rest
    assert valid * 0.5 < in_sql < valid


def test_the_normalizer_reads_canonical_values_in_sql_and_leaves_the_rest_to_phonenumbers(tmp_path: Path) -> None:
    from optline import phones
    from optline.config import hmac_key

    conn = warehouse.connect(tmp_path / "w.duckdb")
    values = ["(312) 555-0112", "+44 20 7946 0958", "1-312-555-0113", "312 555 0114 ext. 7", "３１２５５５０１１５",
              "not a number"]
    conn.execute("insert into staging.contact_rows (batch_id, row_number, line_number, phone_raw) "
                 "select 1, i + 1, i + 2, v from (select unnest(?) as v, generate_subscripts(?, 1) - 1 as i)",
                 [values, values])
    in_sql = phones.normalize_in_sql(conn, 1, "US", hmac_key())
    read = dict(conn.execute("select phone_raw, e164 from staging.phone_parses").fetchall())
    assert in_sql == 3
    assert read == {"(312) 555-0112": "+13125550112", "+44 20 7946 0958": "+442079460958",
                    "1-312-555-0113": "+13125550113"}
    assert phones.normalize_batch(conn, 1, "US") == 3  # the rest, by phonenumbers
    read = dict(conn.execute("select phone_raw, coalesce(e164, parse_error) from staging.phone_parses").fetchall())
    assert read["312 555 0114 ext. 7"] == "+13125550114"
    assert read["３１２５５５０１１５"] == "+13125550115"
    assert read["not a number"] == "not_a_number"
    conn.close()


def test_normalize_batch_reads_in_sql_from_sql_from_values_and_gives_phonenumbers_only_the_rest(
        tmp_path: Path, caplog) -> None:
    """`normalize_batch` runs the SQL normalizer itself when a batch has `sql_from` values or more
    (the differential test above calls the SQL first and `normalize_batch` for the rest)."""
    import logging

    from optline import phones

    conn = warehouse.connect(tmp_path / "w.duckdb")
    values = ["(312) 555-0112", "+44 20 7946 0958", "1-312-555-0113", "312 555 0114 ext. 7", "３１２５５５０１１５",
              "not a number"]
    for batch_id in (1, 2):
        conn.execute("insert into staging.contact_rows (batch_id, row_number, line_number, phone_raw) "
                     "select ?, i + 1, i + 2, v from (select unnest(?) as v, generate_subscripts(?, 1) - 1 as i)",
                     [batch_id, values, values])
    with caplog.at_level(logging.INFO, logger=phones.__name__):
        assert phones.normalize_batch(conn, 1, "US", sql_from=len(values)) == len(values)
        assert phones.normalize_batch(conn, 2, "US", sql_from=len(values) + 1) == len(values)
    told = [r.getMessage() for r in caplog.records if r.name == phones.__name__ and "normalized" in r.getMessage()]
    assert [m.rsplit(": ", 1)[1] for m in told] == ["3 in SQL, 3 by phonenumbers", "0 in SQL, 6 by phonenumbers"]
    parses = conn.execute("select batch_id, phone_raw, e164, region, number_type, time_zones, parse_error, "
                          "number_hmac from staging.phone_parses order by phone_raw, batch_id").fetchall()
    conn.close()
    assert len(parses) == 2 * len(values)
    assert [row[1:] for row in parses[0::2]] == [row[1:] for row in parses[1::2]]  # same parses either way
