-- One row every write transaction on a shared (PostgreSQL-catalog) lake rewrites first: two such
-- transactions open at once both changed it, so the second to commit is refused (DuckLake finds
-- the conflict at commit) and retried whole. Writers on several hosts thus commit one after the
-- other, as the SQLite catalog's writer lock makes them on one host (optline.lake).
create table if not exists ops.write_guard (
    turns bigint not null  -- write transactions committed under the guard
)
