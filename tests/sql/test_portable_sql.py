"""The statements run on DuckLake as on a DuckDB file (issue 12): no file under sql/, the schema
included, uses what DuckLake refuses (sequences, key, unique and check constraints, indexes,
ON CONFLICT, RETURNING, INSERT OR REPLACE/IGNORE, enums, generated columns)."""

from __future__ import annotations

import re

import pytest

from tests.sql.test_sql_files import SQL_DIR, strip_comments_and_strings

REFUSED = {
    "nextval": r"\bnextval\b",
    "on conflict": r"\bon\s+conflict\b",
    "returning": r"\breturning\b",
    "insert or": r"\binsert\s+or\b",
    "create sequence": r"\bcreate\s+(?:or\s+replace\s+)?(?:temp(?:orary)?\s+)?sequence\b",
    "create index": r"\bcreate\s+(?:unique\s+)?index\b",
    "primary key": r"\bprimary\s+key\b",
    "unique": r"\bunique\b",
    "create type": r"\bcreate\s+(?:or\s+replace\s+)?type\b",
    "check": r"\bcheck\s*\(",
    "generated": r"\bgenerated\s+always\b",
}


def portable_files() -> list:
    return sorted(SQL_DIR.rglob("*.sql"))


def refused_in(text: str) -> list[str]:
    """What DuckLake refuses in a statement, outside its comments and string literals."""
    code = strip_comments_and_strings(text).lower()
    return [name for name, pattern in REFUSED.items() if re.search(pattern, code)]


@pytest.mark.parametrize("path", portable_files(), ids=lambda p: str(p.relative_to(SQL_DIR)))
def test_no_statement_uses_what_ducklake_refuses(path):
    assert refused_in(path.read_text(encoding="utf-8")) == []


def test_the_portable_files_are_every_folder_the_schema_included():
    folders = {p.relative_to(SQL_DIR).parts[0] for p in portable_files()}
    assert {"merge", "inbound", "listops", "deletion", "reports", "staging", "messaging", "schema", "migrate"} \
        <= folders
    assert len(portable_files()) == len(list(SQL_DIR.rglob("*.sql")))


@pytest.mark.parametrize(("statement", "refused"), [
    ("insert into t (a) values (nextval('s'))", ["nextval"]),
    ("insert into t (a) select a from u\non  conflict do nothing", ["on conflict"]),
    ("update t set a = 1 where b = 2 returning a", ["returning"]),
    ("insert or replace into t (a) values (1)", ["insert or"]),
    ("INSERT OR IGNORE INTO t (a) VALUES (1)", ["insert or"]),
    ("create sequence if not exists s", ["create sequence"]),
    ("create unique index i on t (a)", ["create index", "unique"]),
    ("create table t (a int primary key)", ["primary key"]),
    ("create table t (a int, unique (a))", ["unique"]),
    ("create type mood as enum ('ok')", ["create type"]),
    ("create table t (d varchar check (d in ('a')))", ["check"]),
    ("create table t (a int, b int generated always as (a + 1))", ["generated"]),
])
def test_each_refused_construct_is_found(statement, refused):
    assert refused_in(statement) == refused


@pytest.mark.parametrize("statement", [
    "-- not on conflict, no returning, no nextval\nselect 1",
    "select 'on conflict do nothing' as words, 'returning' as word",
    "select returning_customers, unique_numbers from t",
    "merge into t using u on t.a = u.a when matched then update set b = u.b "
    "when not matched then insert (a, b) values (u.a, u.b)",
])
def test_comments_strings_and_longer_names_are_not_refused(statement):
    assert refused_in(statement) == []
