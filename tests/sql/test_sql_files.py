"""The SQL folder's conventions: one statement per file, lowercase keywords, no dead files,
every statement the library runs by name exists, numbered migrations, and one macro or view a
file, named for what it defines."""

from __future__ import annotations

import re

import duckdb
import pytest

from tests.conftest import PROJECT

SQL_DIR = PROJECT / "sql"
SQL_FILES = sorted(SQL_DIR.rglob("*.sql"))
LIBRARY = "\n".join(p.read_text() for p in (PROJECT / "include" / "optline").rglob("*.py"))
# Applied by warehouse.migrate, not run by name from the library.
APPLIED_BY_MIGRATE = ("schema", "macros", "views")
UPPER_KEYWORDS = re.compile(r"\b(SELECT|FROM|WHERE|INSERT|UPDATE|CREATE|JOIN|GROUP BY|ORDER BY|WITH|AS)\b")


def strip_comments_and_strings(text: str) -> str:
    text = re.sub(r"--[^\n]*", "", text)
    return re.sub(r"'(?:[^']|'')*'", "''", text)


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda p: str(p.relative_to(SQL_DIR)))
def test_each_sql_file_holds_exactly_one_statement(path):
    statements = duckdb.extract_statements(path.read_text())
    assert len(statements) == 1


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda p: str(p.relative_to(SQL_DIR)))
def test_sql_keywords_are_lowercase(path):
    assert not UPPER_KEYWORDS.search(strip_comments_and_strings(path.read_text()))


def test_every_sql_file_is_used_by_the_library():
    unused = []
    for path in SQL_FILES:
        name = str(path.relative_to(SQL_DIR).with_suffix(""))
        if name.split("/")[0] in APPLIED_BY_MIGRATE:
            continue
        if f'"{name}"' not in LIBRARY:
            unused.append(name)
    assert unused == []


def test_every_statement_the_library_runs_by_name_exists():
    names = {n for n in re.findall(r'"([a-z_]+/[a-z0-9_]+)"', LIBRARY)
             if (SQL_DIR / n.split("/")[0]).is_dir() and n.split("/")[0] not in APPLIED_BY_MIGRATE}
    assert names, "expected the library to run named SQL files"
    missing = [n for n in names if not (SQL_DIR / f"{n}.sql").is_file()]
    assert missing == []


def test_schema_files_apply_in_a_stable_numbered_order():
    """sql/schema/: `NNN_name.sql` (one statement) or a folder `NNN_name/` of `NNN_step.sql`
    (applied in one transaction), each number once; the baseline is first."""
    entries = sorted((SQL_DIR / "schema").iterdir())
    assert [p.name for p in entries][0] == "000_baseline"
    for entry in entries:
        assert re.fullmatch(r"\d{3}_[a-z0-9_]+(\.sql)?", entry.name), entry.name
        assert entry.is_dir() or entry.suffix == ".sql", entry.name
        if entry.is_dir():
            steps = [p.name for p in sorted(entry.iterdir()) if p.name != "replaces.txt"]
            assert steps and all(re.fullmatch(r"\d{3}_[a-z0-9_]+\.sql", n) for n in steps), entry.name
            assert len({n[:3] for n in steps}) == len(steps)
    assert len({p.name[:3] for p in entries}) == len(entries)


DEFINITIONS = sorted([*SQL_DIR.glob("macros/*/*.sql"), *SQL_DIR.glob("views/*/*.sql")])


@pytest.mark.parametrize("path", DEFINITIONS, ids=lambda p: str(p.relative_to(SQL_DIR)))
def test_each_macro_or_view_file_defines_what_its_path_names(path):
    """`sql/views/marts/audiences.sql` holds `create or replace view marts.audiences as ...`."""
    kind = {"macros": "macro", "views": "view"}[path.parent.parent.name]
    text = strip_comments_and_strings(path.read_text()).strip()
    assert re.match(rf"create or replace {kind} {path.parent.name}\.{path.stem}\b", text)


def test_nothing_but_sql_files_in_the_macro_and_view_folders():
    strays = [p for kind in ("macros", "views") for p in (SQL_DIR / kind).rglob("*")
              if p.is_file() and (p.suffix != ".sql" or len(p.relative_to(SQL_DIR / kind).parts) != 2)]
    assert strays == []
