"""No SQL text in Python: every statement lives in a named file under sql/ and is run by name.

The checker reads each module with `ast` and looks at every string it builds: a literal, an
f-string (its `{...}` parts read as a name), or literals joined with `+`. A string is taken for
SQL when, after leading whitespace and `--` comments, it opens the way a statement does: a
statement keyword (case-insensitive) followed by what that statement needs next, e.g. `select`
then a select-list item and `,`/`as`/`from`, `insert into <name>`, `update <name> set`,
`delete from <name>`, `create [or replace] [temp] table|view|...`, `drop table|view|...`, a
CTE `with <name> as (`, `copy <name> to|from '<file>'`, `attach '<file>'`; a bare `checkpoint`
or `commit` only where a connection runs it (`conn.execute("checkpoint")`).
Prose that starts with the same words ("select a provider", "delete one list's contacts",
"Merge a checked batch into ...") lacks what follows and is left alone.

Only the runners (`warehouse.py`, and `lake.py` which attaches a DuckLake) and Great Expectations'
SQL runner (`quality/gx_duckdb.py`,
which builds its expectation queries) may hold SQL text.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.conftest import PROJECT

SCANNED = ("include/optline", "dags", "plugins")
RUNNERS = frozenset({"include/optline/warehouse.py", "include/optline/lake.py", "include/optline/quality/gx_duckdb.py"})

_NAME = r"[\w.\"$]+"  # a table, column or parameter name, maybe qualified or quoted
_OBJECT = r"(?:table|view|schema|sequence|macro|function|index|unique\s+index|type|secret|database)"
# How each statement opens: its keyword, then what must follow it (prose lacks the second part).
STATEMENT_OPENINGS = (
    rf"(?:explain\s+)?select\s+(?:distinct\s+|all\s+)?(?:\*|\d|'|\$\w|{_NAME}\s*(?:\(|,|\bas\b|\bfrom\b|::))",
    rf"with\s+(?:recursive\s+)?{_NAME}(?:\s*\([^)]*\))?\s+as\s+(?:not\s+)?(?:materialized\s+)?\(",
    rf"insert\s+(?:or\s+\w+\s+)?into\s+{_NAME}",
    rf"update\s+{_NAME}\s+(?:as\s+\w+\s+)?set\b",
    rf"delete\s+from\s+{_NAME}",
    rf"merge\s+into\s+{_NAME}",
    rf"truncate\s+(?:table\s+)?{_NAME}\s*;?$",
    rf"create\s+(?:or\s+replace\s+)?(?:(?:temp|temporary|persistent)\s+)?{_OBJECT}\s+(?:if\s+not\s+exists\s+)?"
    rf"{_NAME}(?:\s*(?:\(|;|$)|\s+(?:as|start|increment)\b)",
    rf"create\s+(?:unique\s+)?index\s+(?:if\s+not\s+exists\s+)?{_NAME}\s+on\s+{_NAME}\s*\(",
    rf"drop\s+{_OBJECT}\s+(?:if\s+exists\s+)?{_NAME}\s*(?:;|$|\bcascade\b|\brestrict\b)",
    rf"alter\s+{_OBJECT}\s+(?:if\s+exists\s+)?{_NAME}\s+(?:add|drop|rename|alter|set)\b",
    rf"copy\s+(?:{_NAME}(?:\s*\([^)]*\))?|\(.*\))\s+(?:to|from)\s+['$]",
    rf"(?:attach|detach)\s+(?:database\s+)?(?:if\s+(?:not\s+)?exists\s+)?(?:'|{_NAME}\s*;?$)",
    r"(?:install|load|force\s+install)\s+\w+\s*;?$",
    r"(?:export|import)\s+database\b",
    r"(?:pragma|call)\s+\w+\s*(?:\(|=|;?$)",
    r"set\s+(?:session\s+|global\s+|local\s+)?[\w.]+\s*(?:=|\bto\b)\s*(?:'[^']*'|[\w.$-]+)\s*;?$",
    r"reset\s+[\w.]+\s*;?$",
    rf"(?:describe|summarize|show)\s+(?:select\b|table\s|{_NAME}\s*;?$)",
    r"values\s*\(\s*(?:\$\w|\?|'|\d)",
    r"from\s+\w+\.\w+(?:\s+(?:as\s+)?\w+)?\s+(?:select|where|limit)\b",
)
SQL_STATEMENT = re.compile("^(?:" + "|".join(STATEMENT_OPENINGS) + ")", re.IGNORECASE)
# One-word statements are SQL only where a connection runs them: `conn.execute("checkpoint")`.
BARE_STATEMENT = re.compile(r"^(?:begin(?:\s+transaction)?|commit|rollback|abort|(?:force\s+)?checkpoint|vacuum)\s*;?$",
                            re.IGNORECASE)
EXECUTES = frozenset({"execute", "executemany", "sql", "query"})
_LEADING = re.compile(r"^(?:\s+|--[^\n]*(?:\n|$))*")
_FORMAT_FIELD = re.compile(r"\{[^{}]*\}|%[sdr]")


def looks_like_sql(text: str, *, executed: bool = False) -> bool:
    """Does `text` open like an SQL statement (see the module docstring)? `executed`: it is what
    a call such as `conn.execute(...)` runs, so a bare `checkpoint` counts too."""
    body = _FORMAT_FIELD.sub("x", _LEADING.sub("", text, count=1)).rstrip()
    return bool(SQL_STATEMENT.match(body) or (executed and BARE_STATEMENT.match(body)))


def _executed(node: ast.AST) -> ast.AST | None:
    """The first argument of a call like `conn.execute(x)` / `conn.sql(x)`, if `node` is one."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in EXECUTES \
            and node.args:
        return node.args[0]
    return None


def _text(node: ast.AST) -> str | None:
    """The string a node builds, if it is a literal, an f-string or literals joined with `+`."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "x" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text(node.left), _text(node.right)
        if left is not None or right is not None:
            return (left or "x") + (right or "x")
    return None


def sql_strings(source: str, filename: str = "<source>") -> list[tuple[int, str]]:
    """(line, text) of every string in `source` that looks like SQL."""
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST, executed: bool = False) -> None:
        text = _text(node)
        if text is not None and looks_like_sql(text, executed=executed):
            found.append((node.lineno, text))
        run = _executed(node)
        for child in ast.iter_child_nodes(node):
            if text is None or not (isinstance(child, ast.Constant) or _text(child) is not None):
                visit(child, child is run)  # not a part of the string just read (an f-string's `{...}`, a call)

    visit(ast.parse(source, filename))
    return sorted(found)


def scanned_files() -> list[Path]:
    return sorted(p for folder in SCANNED for p in (PROJECT / folder).rglob("*.py"))


def test_no_sql_text_in_python_outside_the_runners():
    offenders = []
    for path in scanned_files():
        relative = path.relative_to(PROJECT).as_posix()
        if relative in RUNNERS:
            continue
        for line, text in sql_strings(path.read_text(encoding="utf-8"), relative):
            offenders.append(f"{relative}:{line}: {' '.join(text.split())[:80]!r}")
    assert offenders == [], (
        "SQL text in Python: move each statement to sql/<stage>/<name>.sql and run it with "
        "warehouse.run(conn, '<stage>/<name>', ...) or warehouse.fetch_dicts(...):\n" + "\n".join(offenders))


def test_the_scan_covers_the_library_the_dags_and_the_runners_it_exempts():
    relative = {p.relative_to(PROJECT).as_posix() for p in scanned_files()}
    assert RUNNERS <= relative, "an exempt runner moved: update RUNNERS"
    assert {"include/optline/cli.py", "include/optline/contacts/pipeline.py", "dags/contact_import.py"} <= relative
    # The runners do hold SQL: the checker sees it there.
    assert sql_strings((PROJECT / "include/optline/warehouse.py").read_text(encoding="utf-8"))


MUTANT = '''
def status(conn, batch_id):
    return conn.execute("select status from ops.batches where batch_id = ?", [batch_id]).fetchone()[0]
'''


def test_an_inline_select_is_flagged_with_its_line():
    assert sql_strings(MUTANT) == [(3, "select status from ops.batches where batch_id = ?")]


@pytest.mark.parametrize("source", [
    'q = "SELECT count(*) FROM doomed_contacts"',
    'q = "select 1"',
    'q = f"select * from quality.{name} where batch_id = {int(batch_id)}"',
    'q = f"insert into staging.contact_rows ({cols}) select {cols} from staging_chunk"',
    'q = "select status, as_of " + "from ops.batches where batch_id = ?"',
    'q = """\n    -- the batch\n    select batch_id\n    from ops.batches"""',
    'q = "with held as (select 1 as batch_id) select batch_id from held"',
    'q = "update ops.batches set status = $status where batch_id = $batch_id"',
    'q = "delete from list_operations where row_number in (select unnest(?::bigint[]))"',
    'q = "drop table if exists doomed_contacts; drop table if exists doomed_numbers"',
    'q = "create or replace temp table list_operations (row_number bigint)"',
    'q = "alter table ops.batches add column if not exists rule_parameters json"',
    'q = "copy (select 1) to \'out.csv\'"',
    'q = "attach \'other.duckdb\' as other"',
    'conn.execute("checkpoint")',
    'conn.sql("COMMIT")',
    'q = "create schema if not exists ops; create table if not exists ops.t (name varchar)"',
    'q = "create view quality.v as select 1 as batch_id"',
    'q = "drop table if exists t"',
    'q = "create unique index contacts_e164 on core.contacts (e164)"',
    'q = "create sequence ops.batch_id_seq start 1"',
    'q = "set TimeZone = \'UTC\'"',
    'q = "insert into list_operations select row_number, action from listops_rows"',
])
def test_each_kind_of_statement_is_flagged(source):
    assert [line for line, _ in sql_strings(source)] == [1]


@pytest.mark.parametrize("prose", [
    "select a provider",
    "Select languages",
    "Select the provider that sends the welcome texts.",
    "delete one list's contacts, or all, keeping their suppression",
    "Delete one list's contacts (`list_name`) or all of them (`everyone=True`), in one transaction.",
    "import files without Airflow (same steps as the DAG)",
    "Merge a checked batch into the core tables, in one transaction.",
    "merge/lists_insert_new",
    "Import batch 3 (a.csv): approve or refuse",
    "Set session options on a connection opened elsewhere (e.g. by DuckDBHook) and migrate.",
    "use a column number (1 = first column)",
    "From (key, value) pairs, the fields we read",
    "update the outbox when the provider answers",
    "with no answer within the policy's timeout",
    'e.g. "select * from ops.batches"',
    "from",
    "import",
    "drop",
    "begin",
    "analyze",
    "checkpoint",
    "Checkpoint",
    "commit",
    "Create database tables from ORM models.",
    "Create index with the target's values.",
    "Alter Index or MultiIndex name.",
    "Create Temporary table based on sql query.",
    "Drop the table if it exists, then load it again.",
])
def test_prose_that_starts_like_a_statement_is_not_flagged(prose):
    assert sql_strings(f"text = {prose!r}") == []
