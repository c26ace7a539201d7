"""Run a Great Expectations 1.x suite inside the DuckDB warehouse: the SQL is pushed down.

    outcomes = validate("data/warehouse.duckdb", "staging.row_outcomes", suite, batch_id=3)

GX's SQL datasource compiles every expectation to aggregate queries that DuckDB runs; only
counts come back to Python, never the batch's rows. The batch is a GX query asset over
`select * from <relation> where batch_id = <n> [and (<where>)]`.

Why GX on DuckDB needs care (GX issues #10738 and #11579, `IndexError: list index out of
range` in `SqlAlchemyExecutionEngine.resolve_metric_bundle`):
`SqlAlchemyExecutionEngine.execute_query` runs the query inside `with self.get_connection()`
and returns the *unread* `CursorResult` after that block has closed the SQLAlchemy
connection (great_expectations/execution_engine/sqlalchemy_execution_engine.py, 1.24.1:
`execute_query` at line 1576, `get_connection` at 1514; `duckdb` is not one of the
`_PERSISTED_CONNECTION_DIALECTS` at line 181, so each query gets a fresh `engine.connect()`
block). Closing the connection rolls back its (auto-begun) transaction. duckdb-engine's
DB-API cursor is not a cursor of its own: `CursorWrapper` runs statements on the
DuckDBPyConnection itself, so the pending result set belongs to the connection, and
DuckDB's `rollback()` discards it: `fetchall()` then returns `[]` and
`resolve_metric_bundle` fails on `res[0]` (line 1084). psycopg2 buffers rows client side,
and sqlite keeps one persisted connection, so neither sees this.

The fix here, without patching GX: the engine GX builds gets a `creator` whose DB-API
connection hands out a real DuckDB cursor (`DuckDBPyConnection.cursor()`, a connection of its
own to the same database) per DB-API cursor. A result set then lives on its cursor and
survives the connection's rollback; the cursor is closed when SQLAlchemy is done with it.
Each statement runs in its own autocommit transaction, which is all a read-only validation
needs.

Two more DuckDB gaps, handled here:

* GX does not know the `duckdb` dialect, so it finds no regex operator for it ("Regex is not
  supported for dialect duckdb"). duckdb-engine's dialect *is* PostgreSQL's, so the execution
  engine's `dialect_module` is set to `sqlalchemy.dialects.postgresql` and GX emits `col ~
  pattern`. In DuckDB `~` is a *full* match, where PostgreSQL and GX's pandas route search
  (`str.contains`), so every regex is run as `(?s).*(?:<regex>).*`: same verdict as pandas,
  and the outcome reports the regex as written.
* SQLAlchemy 2.1's PostgreSQL table reflection does not run on DuckDB's `pg_catalog`, and
  GX's fallback then drops the schema (`FROM row_outcomes`). Query assets avoid reflection,
  so a table is always read through `select * from "schema"."table"`.

No row values leave the warehouse (they are phone numbers, names, dates of birth):

* the run's `result_format` is `RESULT_FORMAT`: BASIC with `partial_unexpected_count: 0`,
  `exclude_unexpected_values`, no unexpected rows and no unexpected-index query, so GX puts no
  `partial_unexpected_list` values in its results (GX still issues its unexpected-values query,
  with `LIMIT 0`);
* and an `ExpectationOutcome` copies only counts and percentages from a result. Its
  `observed_value` is kept only when it is a number or a boolean (a row count, a mean, a
  share); a string, date, list or dict (a column's max, its distinct values) is withheld as
  None, with `observed_value_withheld` set. Error messages are cut before SQLAlchemy's
  `[SQL: ...]`/`[parameters: ...]` and quoted literals in them are masked.

Read-only: a path is opened with `read_only=True` by default (no writer may hold the file;
DuckDB allows one writing process or any number of readers). The file is closed, and its lock
released, before `validate` returns. A process that already holds the warehouse (an import
task) cannot open it again with other settings: it passes its `DuckDBPyConnection` instead,
and validation runs on cursors of it (which see committed data only) and leaves it open.
(duckdb-engine itself also takes `connect_args={"read_only": True}`, passed through to
`duckdb.connect`; it is not used because the connection comes from `creator`.)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb
import great_expectations as gx
import sqlalchemy as sa
from great_expectations.core.expectation_suite import ExpectationSuite
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration
from sqlalchemy.dialects import postgresql

from optline import warehouse
from optline.warehouse import WarehouseError

try:
    import duckdb_engine
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "optline.gx_duckdb needs duckdb-engine, the SQLAlchemy dialect for DuckDB "
        "(pip install duckdb-engine==0.17.0)"
    ) from exc

__all__ = ["RESULT_FORMAT", "ExpectationOutcome", "batch_query", "validate"]

#: What GX is asked to return: counts, never values. See the module docstring.
RESULT_FORMAT: dict[str, Any] = {
    "result_format": "BASIC",
    "partial_unexpected_count": 0,
    "include_unexpected_rows": False,
    "exclude_unexpected_values": True,
    "return_unexpected_index_query": False,
}

# Expectations whose regexes GX turns into `col ~ regex`; the kwarg that holds them.
_REGEX_KWARGS = {
    "expect_column_values_to_match_regex": "regex",
    "expect_column_values_to_not_match_regex": "regex",
    "expect_column_values_to_match_regex_list": "regex_list",
    "expect_column_values_to_not_match_regex_list": "regex_list",
}
_COUNT_FIELDS = ("element_count", "unexpected_count", "unexpected_percent", "missing_count")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}")
_QUERY_START = re.compile(r"\s*(select|with|from|values|table)\b", re.IGNORECASE)
_QUOTED = re.compile(r"'(?:[^']|'')*'")


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation's verdict on a batch: what was asked, whether it held, and counts."""

    expectation_type: str
    column_name: str | None  # the column, or the columns joined with ", "
    kwargs: dict[str, Any]  # as in the suite, $PARAMETERs resolved, without batch_id
    meta: dict[str, Any]
    success: bool
    element_count: int | None = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    missing_count: int | None = None
    observed_value: int | float | bool | None = None
    observed_value_withheld: bool = False  # GX observed a non-numeric value; not copied
    error: str | None = None  # the expectation could not be evaluated

    @property
    def severity(self) -> str | None:
        return self.meta.get("severity")

    @property
    def description(self) -> str | None:
        return self.meta.get("description")

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-serializable fields (plus `severity` and `description` from meta)."""
        return {**asdict(self), "severity": self.severity, "description": self.description}


def batch_query(relation: str, *, batch_id: int | None = None, where: str | None = None) -> str:
    """The SELECT a validation reads.

    `relation` is a table or view name (`schema.table`, quoted here) or a query of its own;
    `batch_id` (an int) and `where` (trusted SQL, never user input) filter it.
    """
    relation = relation.strip().rstrip(";").strip()
    if _IDENTIFIER.fullmatch(relation):
        source = ".".join(f'"{part}"' for part in relation.split("."))
    elif _QUERY_START.match(relation):
        source = f"({relation}) as batch_source"
    else:
        raise ValueError(f"not a table name or a query: {relation[:80]!r}")
    filters = []
    if batch_id is not None:
        if isinstance(batch_id, bool) or not isinstance(batch_id, int):
            raise TypeError(f"batch_id must be an int, not {type(batch_id).__name__}")
        filters.append(f"batch_id = {batch_id}")
    if where:
        filters.append(f"({where})")
    return f"select * from {source}" + (" where " + " and ".join(filters) if filters else "")


def validate(
    database: str | Path | duckdb.DuckDBPyConnection,
    relation: str,
    suite: Mapping[str, Any] | ExpectationSuite,
    *,
    batch_id: int | None = None,
    where: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    read_only: bool = True,
) -> list[ExpectationOutcome]:
    """Validate one batch of `relation` in the warehouse against `suite`, inside DuckDB.

    database: the warehouse file (opened read-only unless `read_only=False`, closed again
        before returning), or an open DuckDBPyConnection (used through cursors, left open).
    relation: a table/view name or a SELECT; see `batch_query` for `batch_id` and `where`.
    suite: GX 1.x suite JSON (`{"name", "expectations": [{"type", "kwargs", "meta"}]}`) or
        an ExpectationSuite.
    parameters: values for the suite's `{"$PARAMETER": name}` kwargs.

    Returns one outcome per expectation, in suite order. An expectation GX could not
    evaluate comes back with success False and `error` set; it does not raise.
    """
    configs = _expectation_configs(suite)
    suite_name = suite.name if isinstance(suite, ExpectationSuite) else str(suite.get("name") or "suite")
    query = batch_query(relation, batch_id=batch_id, where=where)
    with _cursor_factory(database, read_only=read_only) as (creator, label):
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        datasource = context.data_sources.add_sql(
            name="warehouse",
            connection_string=sa.engine.URL.create("duckdb", database=label).render_as_string(),
            kwargs={"creator": creator, "poolclass": sa.pool.StaticPool},
        )
        asset = datasource.add_query_asset(name="batch", query=query)
        batch_definition = asset.add_batch_definition_whole_table("whole batch")
        gx_suite = context.suites.add(
            ExpectationSuite(name=suite_name, expectations=[_for_duckdb(c).to_domain_obj() for c in configs]),
        )
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"{suite_name} on batch", data=batch_definition, suite=gx_suite)
        )
        execution_engine = datasource.get_execution_engine()
        # duckdb-engine's dialect is PostgreSQL's; GX keys its regex operator on this module.
        execution_engine.dialect_module = postgresql
        try:
            result = definition.run(
                expectation_parameters=dict(parameters or {}), result_format=dict(RESULT_FORMAT)
            )
        finally:
            execution_engine.engine.dispose()
            datasource.get_engine().dispose()
    by_id = {exp.id: config for exp, config in zip(gx_suite.expectations, configs, strict=True)}
    outcomes = {
        r.expectation_config.id: _outcome(r, by_id[r.expectation_config.id]) for r in result.results
    }
    return [outcomes[exp.id] for exp in gx_suite.expectations]


# --- the DuckDB connection GX gets ----------------------------------------------------------


class _Cursor(duckdb_engine.CursorWrapper):
    """A DB-API cursor that is a DuckDB cursor of its own, so its result set is its own."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection, connection: _Connection) -> None:
        super().__init__(cursor, connection)
        self._duckdb_cursor = cursor

    def close(self) -> None:
        self._duckdb_cursor.close()


class _Connection(duckdb_engine.ConnectionWrapper):
    """duckdb-engine's connection, handing out one real DuckDB cursor per DB-API cursor."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, catalog: str) -> None:
        super().__init__(connection)
        self._duckdb_connection = connection
        self._catalog = catalog

    def cursor(self) -> _Cursor:
        cursor = self._duckdb_connection.cursor()
        cursor.execute("set TimeZone = 'UTC'")  # session settings are per cursor in DuckDB
        cursor.execute(f'use "{self._catalog}"')  # and so is the default catalog (a lake is attached)
        return _Cursor(cursor, self)


@contextmanager
def _cursor_factory(
    database: str | Path | duckdb.DuckDBPyConnection, *, read_only: bool
) -> Iterator[tuple[Callable[[], _Connection], str]]:
    """A `creator` for SQLAlchemy over the warehouse, and a label for its URL.

    Every connection it made is closed on exit, and so is the warehouse if opened here.
    """
    if isinstance(database, duckdb.DuckDBPyConnection):
        base, owned, label = database, False, "optline-warehouse"
    else:
        path = Path(database)
        if not path.is_file():
            raise WarehouseError(f"no warehouse at {path}")
        try:
            base = warehouse.connect(path, read_only=read_only, migrate_schema=False)
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            raise WarehouseError(
                f"cannot open {path} {'read-only' if read_only else 'for writing'}: {exc}. Another "
                "process holds it for writing, or this process has it open with other settings: "
                "pass that DuckDBPyConnection to validate() instead."
            ) from exc
        owned, label = True, str(path)
    made: list[_Connection] = []
    catalog = base.execute("select current_database()").fetchone()[0]

    def creator() -> _Connection:
        connection = _Connection(base.cursor(), catalog)
        made.append(connection)
        return connection

    try:
        yield creator, label
    finally:
        for connection in made:
            with suppress(duckdb.Error):
                connection.close()
        if owned:
            base.close()


# --- suites in, outcomes out ----------------------------------------------------------------


def _expectation_configs(suite: Mapping[str, Any] | ExpectationSuite) -> list[ExpectationConfiguration]:
    """The suite's expectations as fresh configurations; a bad one raises (GX would drop it)."""
    if isinstance(suite, ExpectationSuite):
        items: list[Any] = [exp.configuration.to_json_dict() for exp in suite.expectations]
    else:
        items = list(suite.get("expectations") or [])
    if not items:
        raise ValueError("the suite has no expectations")
    configs = []
    for index, item in enumerate(items, start=1):
        try:
            config = ExpectationConfiguration(
                type=item["type"],
                # A per-expectation result_format could ask for values back: RESULT_FORMAT rules.
                kwargs={k: v for k, v in dict(item.get("kwargs") or {}).items() if k != "result_format"},
                meta=dict(item.get("meta") or {}),
                description=item.get("description"),
                notes=item.get("notes"),
            )
            config.to_domain_obj()  # validates type and kwargs
        except (KeyError, TypeError, ValueError, gx.exceptions.GreatExpectationsError) as exc:
            raise ValueError(f"expectation {index} ({item.get('type')!r}) is not valid: {exc}") from exc
        configs.append(config)
    return configs


def _search(regex: Any) -> Any:
    """A pattern whose *full* match (DuckDB's `~`) is a *search* for `regex` (pandas, Postgres)."""
    return f"(?s).*(?:{regex}).*" if isinstance(regex, str) else regex


def _for_duckdb(config: ExpectationConfiguration) -> ExpectationConfiguration:
    key = _REGEX_KWARGS.get(config.type)
    if key is None or key not in config.kwargs:
        return config
    value = config.kwargs[key]
    value = [_search(r) for r in value] if isinstance(value, list) else _search(value)
    return ExpectationConfiguration(
        type=config.type,
        kwargs={**config.kwargs, key: value},
        meta=config.meta,
        description=config.description,
        notes=config.notes,
    )


def _outcome(result: Any, config: ExpectationConfiguration) -> ExpectationOutcome:
    ran = result.expectation_config
    kwargs = {k: v for k, v in ran.kwargs.items() if k != "batch_id"}
    key = _REGEX_KWARGS.get(config.type)
    if key is not None and key in config.kwargs:
        kwargs[key] = config.kwargs[key]  # report the regex as written, not the search form
    figures = result.result or {}
    observed = figures.get("observed_value")
    numeric = observed is None or isinstance(observed, (bool, int, float))
    columns = kwargs.get("column_list") or [c for c in (kwargs.get("column_A"), kwargs.get("column_B")) if c]
    column = kwargs.get("column") or (", ".join(map(str, columns)) if columns else None)
    return ExpectationOutcome(
        expectation_type=config.type,
        column_name=column,
        kwargs=kwargs,
        meta=dict(config.meta or {}),
        success=bool(result.success),
        **{name: figures.get(name) for name in _COUNT_FIELDS},
        observed_value=observed if numeric else None,
        observed_value_withheld=not numeric,
        error=_error(result.exception_info),
    )


def masked(message: str) -> str:
    """An error message with its quoted literals (values, perhaps phone numbers) masked, on one line."""
    return " ".join(_QUOTED.sub("'…'", message).split())[:500] or "error"


def _error(exception_info: Any) -> str | None:
    """The first raised exception's message, without SQL, parameters or quoted literals."""
    infos = exception_info.values() if isinstance(exception_info, dict) else []
    if isinstance(exception_info, dict) and "raised_exception" in exception_info:
        infos = [exception_info]
    for info in infos:
        if isinstance(info, dict) and info.get("raised_exception"):
            message = str(info.get("exception_message") or "error")
            message = message.split("[SQL:")[0].split("(Background on this error")[0]
            return masked(message)
    return None
