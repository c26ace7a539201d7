"""Lineage that reaches a lineage tool: the demo's chain (contact_import, then optout_import) run
with dag.test(), the OpenLineage events read back from the file transport the tests configure
(tests/conftest.py, as the Makefile does), and the graph they draw checked."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from optline import samples, warehouse
from optline.consent import optouts
from tests.conftest import LINEAGE_EVENTS
from tests.dags import dagrun

pytestmark = pytest.mark.airflow

AS_OF = "2026-11-01T12:00:00+00:00"
CLOCK = dt.datetime.fromisoformat(AS_OF)
IMPORT_FILE = "file://optline", "inbox/store_events.xlsx"
OPTOUT_FILE = "file://optline", "optouts/support_desk_unsubscribes.csv"
WAREHOUSE = "duckdb://optline"


@dataclass
class Chain:
    import_run_id: str
    optout_run_id: str
    events: list[dict]  # every event of the two runs, in the order written
    text: str  # the same, as written
    batch_run_ids: set[str]  # ops.batches.run_id
    optout_batch_run_ids: set[str]
    numbers: set[str]  # every E.164 number the inputs brought


@pytest.fixture(scope="module")
def chain(airflow_db, tmp_path_factory) -> Chain:
    root = tmp_path_factory.mktemp("lineage") / "data"
    with pytest.MonkeyPatch.context() as env:
        for var in ("OPTLINE_INBOX", "OPTLINE_REPORTS", "OPTLINE_OPTOUT_INBOX"):
            env.delenv(var, raising=False)
        env.setenv("OPTLINE_DATA_DIR", str(root))
        env.setenv("OPTLINE_WAREHOUSE", str(root / "warehouse.duckdb"))
        env.setenv("AIRFLOW_CONN_OPTLINE_WAREHOUSE", json.dumps({"conn_type": "duckdb",
                                                                  "host": str(root / "warehouse.duckdb")}))
        # the demo's files: its one list that merges under the default gate, its opt-out export
        for path in samples.write_samples(root / "inbox", CLOCK.date()):
            if not path.name.startswith("store_events"):
                path.unlink()
                for manifest in path.parent.glob(f"{path.name.split('.')[0]}*manifest*"):
                    manifest.unlink()
        optouts.write_samples(root / "optouts", CLOCK.date())
        seen = LINEAGE_EVENTS.stat().st_size if LINEAGE_EVENTS.exists() else 0

        imported = dagrun.load_dag("contact_import").test(run_conf={"as_of": AS_OF})
        opted = dagrun.load_dag("optout_import").test(run_conf={"as_of": AS_OF})
        assert (str(imported.state), str(opted.state)) == ("success", "success")

        with LINEAGE_EVENTS.open(encoding="utf-8") as fh:
            fh.seek(seen)
            written = fh.read()
        runs = {imported.run_id, opted.run_id}
        events = [e for e in map(json.loads, written.splitlines()) if airflow_run_id(e) in runs]
        with warehouse.connect(root / "warehouse.duckdb", read_only=True) as conn:
            batch_runs = {r for (r,) in conn.execute("select run_id from ops.batches").fetchall()}
            optout_runs = {r for (r,) in conn.execute("select run_id from ops.optout_batches").fetchall()}
            numbers = {n for (n,) in conn.execute("""select e164 from core.phone_numbers union
                select e164 from staging.optout_numbers union
                select e164 from staging.row_outcomes where e164 is not null""").fetchall()}
    return Chain(imported.run_id, opted.run_id, events, "\n".join(json.dumps(e) for e in events),
                 batch_runs, optout_runs, numbers)


def airflow_run_id(event: dict) -> str | None:
    """The Airflow run of a task's event (its `airflow` run facet) or of a DAG's (`airflowDagRun`)."""
    facets = event.get("run", {}).get("facets", {})
    for facet in ("airflow", "airflowDagRun"):
        if facet in facets:
            return facets[facet].get("dagRun", {}).get("run_id")
    return None


def completed(chain: Chain, job: str) -> list[dict]:
    return [e for e in chain.events if e["eventType"] == "COMPLETE" and e["job"]["name"] == job]


def names(datasets: list[dict]) -> set[tuple[str, str]]:
    return {(d["namespace"], d["name"]) for d in datasets}


def downstream(chain: Chain, start: tuple[str, str]) -> set[tuple[str, str]]:
    """Every dataset reachable from `start` through the jobs of the completed events."""
    edges: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for event in chain.events:
        if event["eventType"] == "COMPLETE":
            for source in names(event.get("inputs", [])):
                edges[source] |= names(event.get("outputs", []))
    reached, frontier = set(), {start}
    while frontier:
        frontier = {d for f in frontier for d in edges[f]} - reached
        reached |= frontier
    return reached


def test_the_inbox_file_is_an_input_of_stage_by_its_path_under_the_data_folder(chain):
    [stage] = completed(chain, "contact_import.import_file.stage")
    assert IMPORT_FILE in names(stage["inputs"])
    assert (WAREHOUSE, "optline.staging.contact_rows") in names(stage["outputs"])
    [check] = completed(chain, "contact_import.import_file.check")
    assert (WAREHOUSE, "optline.staging.contact_rows") in names(check["inputs"])
    assert (WAREHOUSE, "optline.staging.row_outcomes") in names(check["outputs"])


def test_merge_outputs_core_contacts_with_its_column_lineage_from_staging(chain):
    [merge] = completed(chain, "contact_import.import_file.merge")
    assert {(WAREHOUSE, "optline.staging.row_outcomes"), (WAREHOUSE, "optline.staging.contact_rows")} <= names(
        merge["inputs"])
    [contacts] = [d for d in merge["outputs"] if d["name"] == "optline.core.contacts"]
    assert contacts["namespace"] == WAREHOUSE
    fields = contacts["facets"]["columnLineage"]["fields"]
    assert fields["first_name"]["inputFields"] == [{
        "namespace": WAREHOUSE, "name": "optline.staging.row_outcomes", "field": "first_name",
        "transformations": [{"type": "DIRECT", "subtype": "IDENTITY"}]}]
    assert {f["name"] for f in fields["city"]["inputFields"]} == {"optline.staging.contact_rows"}


def test_the_datasets_of_the_assets_a_task_updates_carry_the_assets_names(chain):
    from optline.tasks.assets import CONSENT_EVENTS, CONTACTS, IMPORT_BATCHES, LISTS

    [merge] = completed(chain, "contact_import.import_file.merge")
    for a in (IMPORT_BATCHES, CONTACTS, LISTS, CONSENT_EVENTS):
        uri = urlsplit(a.uri)
        assert (f"{uri.scheme}://{uri.netloc}", a.name) in names(merge["outputs"]), a.name
    [apply] = completed(chain, "optout_import.apply_file")
    assert OPTOUT_FILE in names(apply["inputs"])
    assert (WAREHOUSE, CONSENT_EVENTS.name) in names(apply["outputs"])


def test_marts_audiences_is_downstream_of_both_the_import_and_the_optout_file_as_a_view(chain):
    audiences = (WAREHOUSE, "optline.marts.audiences")
    assert audiences in downstream(chain, IMPORT_FILE)
    assert audiences in downstream(chain, OPTOUT_FILE)
    [apply] = completed(chain, "optout_import.apply_file")
    [view] = [d for d in apply["outputs"] if d["name"] == audiences[1]]
    assert view["facets"]["datasetType"]["datasetType"] == "VIEW"
    # the opt-out file changes nothing the import's stage wrote
    assert (WAREHOUSE, "optline.staging.contact_rows") not in downstream(chain, OPTOUT_FILE)


def test_every_task_event_names_its_airflow_run_and_the_batches_record_the_same_run(chain):
    tasks = [e for e in chain.events if "airflow" in e["run"]["facets"]]
    by_run: dict[str, set[str]] = defaultdict(set)
    parents: dict[str, set[str]] = defaultdict(set)
    for event in tasks:
        by_run[airflow_run_id(event)].add(event["job"]["name"].split(".")[0])
        parents[airflow_run_id(event)].add(event["run"]["facets"]["parent"]["run"]["runId"])
    assert by_run == {chain.import_run_id: {"contact_import"}, chain.optout_run_id: {"optout_import"}}
    assert chain.batch_run_ids == {chain.import_run_id}
    assert chain.optout_batch_run_ids == {chain.optout_run_id}
    # one OpenLineage parent run (the DAG run) per Airflow run, a different one for each
    assert all(len(p) == 1 for p in parents.values()) and len(set().union(*parents.values())) == 2


def test_no_event_carries_a_phone_number(chain):
    assert len(chain.numbers) >= 5 and len(chain.events) >= 20
    for number in chain.numbers:
        for form in (number, number.removeprefix("+"), number[-10:]):
            assert form not in chain.text, f"an event carries the number ending {number[-2:]}"


def test_events_name_only_datasets_of_the_warehouse_the_data_folder_or_a_provider(chain):
    datasets = {d for e in chain.events for d in names(e.get("inputs", []) + e.get("outputs", []))}
    assert {ns for ns, _ in datasets} <= {WAREHOUSE, "file://optline"}
    assert all(name.startswith("optline.") for ns, name in datasets if ns == WAREHOUSE)
    assert not any(Path(name).is_absolute() for ns, name in datasets if ns == "file://optline")


def test_the_extractor_the_tests_and_the_makefile_configure_serves_the_dags_taskflow_tasks():
    import os

    from airflow.providers.openlineage.utils.utils import try_import_from_string

    from optline.tasks.lineage import EXTRACTOR

    assert os.environ["AIRFLOW__OPENLINEAGE__EXTRACTORS"] == EXTRACTOR
    assert f"AIRFLOW__OPENLINEAGE__EXTRACTORS := {EXTRACTOR}" in (Path(__file__).parents[2] / "Makefile").read_text()
    extractor = try_import_from_string(EXTRACTOR)
    task = dagrun.load_dag("contact_import").get_task("import_file.merge")
    assert task.task_type in extractor.get_operator_classnames()


def test_without_the_extractor_the_provider_maps_no_warehouse_asset():
    """Why the extractor exists: the provider turns an Asset into a dataset only through a converter
    registered for its scheme, and none is for duckdb:// (inlets, outlets and the hook lineage
    collector's Assets alike)."""
    from airflow.providers.openlineage.utils.utils import translate_airflow_asset

    from optline.tasks.assets import CONTACTS

    assert translate_airflow_asset(CONTACTS, None) is None
