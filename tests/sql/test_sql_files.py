"""The SQL folder's conventions: one statement per file, lowercase keywords, no dead files,
and every statement the library runs by name exists."""

from __future__ import annotations

import re

import duckdb
import pytest

from tests.conftest import PROJECT

SQL_DIR = PROJECT / "sql"
SQL_FILES = sorted(SQL_DIR.rglob("*.sql"))
LIBRARY = "\n".join(p.read_text() for p in (PROJECT / "include" / "optline").rglob("*.py"))
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
        if path.parent.name == "schema":
            continue  # applied in order by warehouse.migrate
        if f'"{name}"' not in LIBRARY:
            unused.append(name)
    assert unused == []


def test_every_statement_the_library_runs_by_name_exists():
    names = {n for n in re.findall(r'"([a-z_]+/[a-z0-9_]+)"', LIBRARY)
             if (SQL_DIR / n.split("/")[0]).is_dir() and n.split("/")[0] != "schema"}
    assert names, "expected the library to run named SQL files"
    missing = [n for n in names if not (SQL_DIR / f"{n}.sql").is_file()]
    assert missing == []


def test_schema_files_apply_in_a_stable_numbered_order():
    names = [p.name for p in sorted((SQL_DIR / "schema").glob("*.sql"))]
    assert all(re.match(r"\d{3}_[a-z0-9_]+\.sql$", n) for n in names)
    assert len({n[:3] for n in names}) == len(names)
