"""Every DAG in dags/ against the house rules, found by a DagBag over the folder (not a hand list):

- the folder parses without import errors, every file yields a DAG, and the seven DAGs are there;
- tags (`optline` and a domain tag), an owner, and a `doc_md` that is a real description
  (a heading, some prose, every task named);
- retries: the shared defaults (`optline.tasks.defaults.default_args`: two, with exponential
  backoff) in every DAG's default args, and no task lowers its own retries except the ones
  listed in RETRY_EXCEPTIONS, each for the reason given there and said in the DAG's doc;
- `catchup=False` and `max_active_runs=1` (batch_review: more, see OVERLAPPING_RUNS);
- the warehouse's single writer: every task that writes the warehouse runs in the
  `duckdb_writer` pool, and no other task holds its one slot (see `warehouse_reach`); every pool
  a task uses is in config/airflow_settings.yaml (1 slot for the writer pool);
- importing a DAG file does no I/O: with every Optline path pointing into a folder that does
  not exist, importing all of dags/ creates, writes, reads or connects to nothing, and loads
  none of the heavy libraries the tasks use (HEAVY_AT_IMPORT: Great Expectations alone takes
  seconds; the adapters import them inside the functions that need them).

DAG-specific shape (schedules, Assets, params, trigger rules) stays in each DAG's own test file.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import json
import os
import re
import subprocess
import sys
import textwrap
from collections import deque
from pathlib import Path

import pytest

from tests.conftest import PROJECT

DAGS = PROJECT / "dags"
WRITER_POOL = "duckdb_writer"

EXPECTED_DAG_IDS = {"contact_import", "batch_review", "optout_import", "inbound_messages",
                    "welcome_messages", "message_dispatch", "web_confirmations", "list_touchups",
                    "warehouse_maintenance"}

# The tasks that do not write the warehouse: they stay out of the writer pool (its one slot
# is for writers). Every other task is a writer, and the reachability check below must agree.
NON_WRITING = {
    ("contact_import", "discover_files"): "lists the inbox folder; opens no warehouse",
    ("contact_import", "import_file.request_review"):
        "passes a held batch on (the review-requests Asset); validate already wrote its status",
    ("optout_import", "discover_files"): "lists the opt-out inbox folder",
    ("inbound_messages", "discover_files"): "lists the inbound inbox folder",
    ("web_confirmations", "discover_files"): "lists the confirmations inbox folder",
    ("list_touchups", "discover_files"): "lists the touch-up inbox folder",
    ("batch_review", "review_batch.review"):
        "the human-in-the-loop question: parks in awaiting_input; record writes the answer",
}

# (dag_id, task_id) -> (why the task may retry less than the DAG's default, the words of the
# DAG's doc_md that say so). Every other task keeps the DAG's retries.
RETRY_EXCEPTIONS = {
    ("contact_import", "summarize"): (
        "fails the run by design when a file did not reach a final status; a retry reads the same statuses",
        "the run fails, naming them"),
    ("optout_import", "summarize"): (
        "fails the run by design when a file was not applied; a retry reads the same batches",
        "the run fails, naming them"),
    ("inbound_messages", "summarize"): (
        "fails the run by design when an export was not applied; a retry reads the same batches",
        "the run fails, naming them"),
    ("message_dispatch", "report"): (
        "fails the run by design when delivery files were not applied; a retry reads the same XCom",
        "the run fails, naming them"),
    ("batch_review", "review_batch.review"): (
        "the reviewer's question: a retry would ask again; no answer within the timeout is the answer (Refuse)",
        "means **Refuse**"),
}


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


@pytest.fixture(scope="module")
def dags(dagbag) -> list:
    return [dagbag.dags[dag_id] for dag_id in sorted(dagbag.dags)]


def task_ids(dag) -> list[str]:
    return sorted(t.task_id for t in dag.tasks)


# --- the folder ------------------------------------------------------------------------------

def test_the_dag_folder_parses_without_import_errors(dagbag):
    assert dagbag.import_errors == {}, "\n\n".join(f"{f}:\n{e}" for f, e in dagbag.import_errors.items())


def test_every_dag_is_there_and_every_dag_file_yields_one(dagbag):
    assert EXPECTED_DAG_IDS <= set(dagbag.dag_ids), f"missing: {sorted(EXPECTED_DAG_IDS - set(dagbag.dag_ids))}"
    files = {Path(dag.fileloc).name for dag in dagbag.dags.values()}
    assert files == {p.name for p in DAGS.glob("*.py")}, "a file in dags/ defines no DAG (factory never called?)"


def test_the_lists_of_exceptions_name_real_tasks(dags):
    existing = {(dag.dag_id, t.task_id) for dag in dags for t in dag.tasks}
    assert set(NON_WRITING) - existing == set(), "stale NON_WRITING entries"
    assert set(RETRY_EXCEPTIONS) - existing == set(), "stale RETRY_EXCEPTIONS entries"


# --- what a DAG declares ---------------------------------------------------------------------

def test_every_dag_has_an_owner_and_tags_optline_and_its_domain(dags):
    bad = []
    for dag in dags:
        tags = set(dag.tags or ())
        if "optline" not in tags or len(tags) < 2:
            bad.append(f"{dag.dag_id}: tags {sorted(tags)} (need 'optline' and a domain tag)")
        if (dag.default_args or {}).get("owner") in (None, "", "airflow"):
            bad.append(f"{dag.dag_id}: no owner in its default args")
    assert bad == [], "\n".join(bad)


def test_every_dag_documents_itself_and_names_each_of_its_tasks(dags):
    bad = []
    for dag in dags:
        doc = (dag.doc_md or "").strip()
        if not doc.startswith("#") or len(doc.split()) < 40:
            bad.append(f"{dag.dag_id}: doc_md must be a markdown heading and a real description "
                       f"({len(doc.split())} words)")
            continue
        names = {part for t in dag.tasks for part in t.task_id.split(".")}
        missing = sorted(n for n in names if not re.search(rf"\b{re.escape(n)}\b", doc))
        if missing:
            bad.append(f"{dag.dag_id}: doc_md does not mention {missing}")
    assert bad == [], "\n".join(bad)


# batch_review's runs overlap: a run waits on reviewers for up to the policy's timeout (48 h), so
# one at a time would leave a batch held meanwhile unasked; each run asks only about batches no
# running run asks about (ops.review_requests), and its writing tasks share the writer pool.
OVERLAPPING_RUNS = {"batch_review"}


def test_no_dag_catches_up_or_runs_twice_at_once(dags):
    # One run at a time: runs of one DAG would wait on the same single writer and read the same inbox files.
    bad = [f"{dag.dag_id}: catchup={dag.catchup}, max_active_runs={dag.max_active_runs}"
           for dag in dags if dag.catchup or (dag.max_active_runs != 1) != (dag.dag_id in OVERLAPPING_RUNS)]
    assert bad == [], "\n".join(bad)


# --- retries ---------------------------------------------------------------------------------

def test_the_shared_defaults_retry_twice_with_exponential_backoff():
    from optline.tasks.defaults import default_args

    args = default_args()
    assert args["retries"] == 2 and args["retry_exponential_backoff"]
    assert args["retry_delay"].total_seconds() == 60


def test_every_dag_retries_with_the_shared_defaults(dags):
    from optline.tasks.defaults import default_args

    shared = default_args()
    keys = ("retries", "retry_delay", "retry_exponential_backoff")
    bad = []
    for dag in dags:
        args = dag.default_args or {}
        if args.get("retries", 0) < 2:
            bad.append(f"{dag.dag_id}: default retries {args.get('retries')} (house rule: at least 2)")
        if {k: args.get(k) for k in keys} != {k: shared[k] for k in keys}:
            bad.append(f"{dag.dag_id}: default args {({k: args.get(k) for k in keys})} are not default_args()'s")
    assert bad == [], "\n".join(bad)


def test_no_task_lowers_its_retries_unless_the_dag_says_why(dags):
    bad = []
    for dag in dags:
        default = dag.default_args["retries"]
        for task in dag.tasks:
            key = (dag.dag_id, task.task_id)
            if not task.retry_exponential_backoff:
                bad.append(f"{dag.dag_id}.{task.task_id}: no exponential backoff")
            if key in RETRY_EXCEPTIONS:
                why, said = RETRY_EXCEPTIONS[key]
                if task.retries >= default:
                    bad.append(f"{dag.dag_id}.{task.task_id}: listed as an exception but retries {task.retries}")
                if said not in " ".join((dag.doc_md or "").split()):
                    bad.append(f"{dag.dag_id}.{task.task_id}: its doc_md does not say why ({why}): {said!r}")
            elif task.retries != default:
                bad.append(f"{dag.dag_id}.{task.task_id}: retries {task.retries}, not the DAG's {default} "
                           "(lowering them needs a reason in the DAG and in RETRY_EXCEPTIONS)")
    assert bad == [], "\n".join(bad)


# --- the single writer -----------------------------------------------------------------------

def warehouse_openers() -> dict[int, str]:
    """What opens the warehouse: the adapters' opener, and the ways around it."""
    import duckdb
    from airflow.providers.duckdb.hooks.duckdb import DuckDBHook

    from optline import warehouse
    from optline.tasks import common

    return {id(common.open_warehouse): "optline.tasks.common.open_warehouse", id(warehouse.connect):
            "optline.warehouse.connect", id(duckdb.connect): "duckdb.connect", id(DuckDBHook): "DuckDBHook"}


OUR_CODE = (PROJECT / "dags", PROJECT / "include" / "optline")


def _ours(obj) -> bool:
    try:
        source = Path(inspect.getsourcefile(obj) or "")
    except TypeError:
        return False
    return any(source.is_relative_to(root) for root in OUR_CODE)


def _label(obj) -> str:
    qualname = getattr(obj, "__qualname__", repr(obj))
    try:
        source = Path(inspect.getsourcefile(obj) or "")
    except TypeError:
        source = Path()
    if source.is_relative_to(DAGS):  # a DAG file's module has a generated name: show the file
        return f"dags/{source.name}:{qualname.replace('.<locals>', '')}"
    return f"{getattr(obj, '__module__', '?')}.{qualname}"


def _local_imports(tree: ast.AST, module: str) -> dict:
    """The names a function binds with its own `import` / `from ... import` statements."""
    bound = {}
    for node in ast.walk(tree):
        try:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        bound[alias.asname] = importlib.import_module(alias.name)
                    else:
                        top = alias.name.split(".")[0]
                        bound[top] = importlib.import_module(top)
            elif isinstance(node, ast.ImportFrom):
                base = importlib.util.resolve_name("." * node.level + (node.module or ""), module.rpartition(".")[0]) \
                    if node.level else node.module
                source = importlib.import_module(base)
                for alias in node.names:
                    name = alias.asname or alias.name
                    bound[name] = getattr(source, alias.name, None) or importlib.import_module(f"{base}.{alias.name}")
        except ImportError:
            continue
    return bound


def _references(func) -> list:
    """The objects `func`'s source names: globals and closure variables, and their attributes
    (`module.function`), resolved the way the function would resolve them. Locals are skipped."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return []
    scope = dict(func.__globals__)
    for name, cell in zip(func.__code__.co_freevars, func.__closure__ or ()):
        try:
            scope[name] = cell.cell_contents
        except ValueError:  # a closure variable not bound yet
            pass
    scope.update(_local_imports(tree, func.__module__))
    found = []
    for node in ast.walk(tree):
        chain: list[str] = []
        while isinstance(node, ast.Attribute):
            chain.insert(0, node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id not in scope:
            continue
        obj = scope[node.id]
        found.append(obj)
        for attr in chain:
            try:
                obj = getattr(obj, attr)
            except Exception:  # noqa: BLE001 - an attribute a module or object does not have
                break
            found.append(obj)
    return found


def _edges(obj, start: bool = False) -> list:
    """What running `obj` may call: for one of our functions (or the task's own callable) the
    objects it names; for one of our classes (an operator) its methods and our base classes."""
    obj = getattr(obj, "__func__", obj)  # a bound method
    if inspect.isclass(obj):
        if not _ours(obj):
            return []
        members: list = [base for base in obj.__mro__[1:] if _ours(base)]
        for member in vars(obj).values():
            member = member.fget if isinstance(member, property) else getattr(member, "__func__", member)
            if inspect.isfunction(member):
                members.append(member)
        return members
    if inspect.isfunction(obj):
        func = inspect.unwrap(obj)
        return _references(func) if start or _ours(func) else []
    return []


def warehouse_reach(task, openers: dict[int, str]) -> list[str] | None:
    """How a task's code reaches a warehouse opener (callable -> adapter -> ... -> opener), or None.
    Opening the warehouse counts as writing, even to read: a read-write DuckDB connection holds
    the file's one writer lock.

    Starts from the task's python_callable (a @task) and its class when that is ours (an
    operator such as the HITL review), and follows every function or class the code names,
    through dags/ and include/optline/, breadth first."""
    starts = [s for s in (getattr(task, "python_callable", None), type(task)) if s is not None]
    parent: dict[int, tuple[object, int | None]] = {}
    queue = deque()
    for start in starts:
        parent[id(start)] = (start, None)
        queue.append(start)
    while queue:
        obj = queue.popleft()
        if id(obj) in openers:
            path, key = [], id(obj)
            while key is not None:
                node, key = parent[key]
                path.insert(0, openers.get(id(node)) or _label(node))
            return path
        for ref in _edges(obj, start=parent[id(obj)][1] is None):
            if id(ref) not in parent:
                parent[id(ref)] = (ref, id(obj))
                queue.append(ref)
    return None


def test_the_writer_pool_is_duckdb_writer():
    from optline.tasks.defaults import WRITER_POOL as shared

    assert shared == WRITER_POOL


def test_every_pool_a_task_uses_is_in_the_pools_file_airflow_creates_them_from():
    """config/airflow_settings.yaml is what `make airflow-db` and compose's airflow-init apply: a task
    in any other pool (but Airflow's own default_pool) would never be scheduled. Airflow's DagBag,
    given those pools, raises no `non-existent pool` DAG warning."""
    from airflow.dag_processing.dagbag import DagBag
    from airflow.models.pool import Pool

    from optline.tasks import settings

    declared = {pool.name: pool.slots for pool in settings.load().pools}
    assert declared[WRITER_POOL] == 1
    bag = DagBag(dag_folder=str(DAGS), known_pools={*declared, Pool.DEFAULT_POOL_NAME})
    assert sorted(w.message for w in bag.dag_warnings) == []


def test_every_task_that_writes_the_warehouse_runs_in_the_writer_pool_and_no_other(dags):
    openers = warehouse_openers()
    bad = []
    for dag in dags:
        for task in dag.tasks:
            key, name = (dag.dag_id, task.task_id), f"{dag.dag_id}.{task.task_id}"
            reach = warehouse_reach(task, openers)
            if key in NON_WRITING and reach:
                bad.append(f"{name}: listed as not writing, but reaches the warehouse: {' -> '.join(reach)}")
            if key not in NON_WRITING and not reach:
                bad.append(f"{name}: no path to the warehouse found; if it really writes nothing, "
                           "add it to NON_WRITING with the reason")
            writes = key not in NON_WRITING
            if writes and task.pool != WRITER_POOL:
                how = " -> ".join(reach) if reach else "a writer unless listed in NON_WRITING"
                bad.append(f"{name}: writes the warehouse ({how}) but runs in pool {task.pool!r}, not {WRITER_POOL!r}")
            if not writes and task.pool == WRITER_POOL:
                bad.append(f"{name}: writes nothing but holds the writer pool's one slot")
    assert bad == [], "\n".join(bad)


def test_the_reachability_check_sees_the_adapters_opener():
    """The check itself: a writing task is found through the DAG callable and its adapter."""
    from types import SimpleNamespace

    from optline.tasks import imports

    def stage(inbox_file):
        return imports.stage_file(inbox_file, {})

    def nothing():
        return imports.request_review({})

    openers = warehouse_openers()
    path = warehouse_reach(SimpleNamespace(python_callable=stage), openers)
    assert path is not None and path[-2:] == ["optline.tasks.imports.stage_file", "optline.tasks.common.open_warehouse"]
    assert warehouse_reach(SimpleNamespace(python_callable=nothing), openers) is None


# --- nothing happens at import time ----------------------------------------------------------

HEAVY_AT_IMPORT = ("great_expectations", "pandas", "openpyxl")

# Run in a fresh interpreter: Airflow's own machinery is loaded first (a DAG like ours, built
# once), then every file of the folder is executed as Airflow's parser does, under an audit
# hook that records what the import does to files, processes, sockets and databases.
IMPORT_PROBE = r'''
import datetime as dt, importlib.util, json, os, sys, time
from pathlib import Path

folder, heavy = Path(sys.argv[1]), sys.argv[2].split(",")
watched = [Path(p) for p in sys.argv[3:]]
sys.path[:] = [p for p in sys.path if p not in ("", ".")]  # `-c` puts the working directory first
project = Path(os.environ["OPTLINE_PROBE_PROJECT"])
code_dirs = [project / d for d in ("include", "dags", "plugins", ".venv")]

import duckdb
from airflow.sdk import Asset, Connection, Param, Variable, dag, task, task_group

@dag(schedule="*/5 * * * *", start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), catchup=False,
     params={"p": Param(None, type=["null", "string"])})
def warm_up():
    @task(outlets=[Asset(name="warm", uri="duckdb://warm/up")])
    def one(x): ...
    @task_group
    def group(x):
        one(x)
    group.expand(x=[1])
warm_up()

events, armed = [], False
def note(what, detail):
    if armed:
        events.append(f"{current}: {what} {detail}")
def under(path, roots):
    try:
        p = Path(os.fsdecode(path)).resolve()
    except (TypeError, ValueError):
        return False
    return any(p.is_relative_to(r) for r in roots)
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
def hook(event, args):
    if not armed:
        return
    if event == "open":
        path, mode, flags = args
        if isinstance(path, int):
            return
        if (mode and any(c in str(mode) for c in "wax+")) or (flags or 0) & WRITE_FLAGS:
            note("writes", path)
        elif (under(path, [project, *watched]) and not under(path, code_dirs)) or under(path, watched):
            note("reads", path)
    elif event in ("os.mkdir", "os.remove", "os.rename", "os.rmdir", "os.symlink", "os.link", "os.truncate",
                   "shutil.rmtree", "shutil.copyfile", "shutil.move", "os.chmod"):
        note("changes the file system:", f"{event} {args[0]}")
    elif event in ("os.listdir", "os.scandir", "glob.glob"):
        if under(args[0], watched) or (under(args[0], [project]) and not under(args[0], code_dirs)):
            note("lists", args[0])
    elif event in ("socket.connect", "socket.getaddrinfo", "subprocess.Popen", "os.system", "os.exec",
                   "os.posix_spawn", "os.fork", "sqlite3.connect", "urllib.Request"):
        note("calls", f"{event} {str(args)[:120]}")
sys.addaudithook(hook)

def recording(what, real):
    def wrapper(*args, **kwargs):
        note("calls", what)
        return real(*args, **kwargs)
    return wrapper
duckdb.connect = recording("duckdb.connect", duckdb.connect)
Variable.get = recording("Variable.get", Variable.get)
Connection.get = recording("Connection.get", Connection.get)

timings, errors, preloaded = {}, {}, set(sys.modules)
for path in sorted(folder.glob("*.py")):
    current = path.name
    spec = importlib.util.spec_from_file_location(f"probe_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    start, armed = time.perf_counter(), True
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        errors[path.name] = f"{type(exc).__name__}: {exc}"
    finally:
        armed = False
    timings[path.name] = round(time.perf_counter() - start, 3)
    for name in heavy:
        if name in sys.modules and name not in preloaded and not any(e.startswith(f"loads {name} ") for e in events):
            events.append(f"loads {name} (first by {path.name})")
print(json.dumps({"events": events, "errors": errors, "timings": timings}))
'''


def import_probe(folder: Path, tmp_path: Path) -> dict:
    """Import every file of `folder` in a fresh interpreter with Optline's paths in a missing
    folder; what it did (events), what failed (errors), and how long each file took."""
    missing = tmp_path / "missing"
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    env = {**os.environ, "OPTLINE_PROBE_PROJECT": str(PROJECT), "PYTHONDONTWRITEBYTECODE": "1",
           "OPTLINE_DATA_DIR": str(missing / "data"), "OPTLINE_WAREHOUSE": str(missing / "warehouse.duckdb"),
           "AIRFLOW_CONN_OPTLINE_WAREHOUSE": json.dumps({"conn_type": "duckdb",
                                                         "host": str(missing / "warehouse.duckdb")})}
    for var in ("INBOX", "OPTOUT_INBOX", "INBOUND_INBOX", "CONFIRMATIONS_INBOX", "DELIVERY_INBOX", "REPORTS",
                "POLICY_DIR", "SQL_DIR", "MESSAGING_CONFIG", "HMAC_KEY_FILE"):
        env[f"OPTLINE_{var}"] = str(missing / var.lower())
    done = subprocess.run([sys.executable, "-c", IMPORT_PROBE, str(folder), ",".join(HEAVY_AT_IMPORT),
                           str(missing), str(workdir)],
                          cwd=workdir, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["created"] = sorted(str(p) for p in [missing, *workdir.iterdir()] if p.exists())
    return result


def test_importing_the_dag_files_does_no_io(tmp_path):
    result = import_probe(DAGS, tmp_path)
    assert result["errors"] == {}
    assert result["events"] == [], "\n".join(result["events"])
    assert result["created"] == []
    print("import times (s):", result["timings"])


def test_the_import_probe_sees_a_dag_file_that_does_io(tmp_path):
    """The probe itself, on a DAG file that makes the data folder and reads a config file at import."""
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "eager.py").write_text(textwrap.dedent("""
        import os
        from pathlib import Path

        Path(os.environ["OPTLINE_DATA_DIR"]).mkdir(parents=True)
        CONFIG = (Path(os.environ["OPTLINE_PROBE_PROJECT"]) / "pyproject.toml").read_text()
        """), encoding="utf-8")
    (folder / "weighty.py").write_text("import openpyxl\n", encoding="utf-8")
    (folder / "quiet.py").write_text("X = 1\n", encoding="utf-8")
    result = import_probe(folder, tmp_path)
    assert any(e.startswith("eager.py: changes the file system: os.mkdir") for e in result["events"])
    assert any(e.startswith("eager.py: reads") and e.endswith("pyproject.toml") for e in result["events"])
    assert "loads openpyxl (first by weighty.py)" in result["events"]
    assert not any("quiet.py" in e for e in result["events"])
    assert result["created"] == [str(tmp_path / "missing")]
