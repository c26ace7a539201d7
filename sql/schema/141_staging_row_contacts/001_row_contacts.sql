-- Lineage: which contact each accepted row of a merged batch became. Written by the merge
-- (sql/merge/row_contacts_insert.sql), appended, never updated: in place of the old
-- staging.row_outcomes.contact_id, which the merge set by an update that rewrote every
-- outcome of the batch (on a lake, every column of every row: 38 s of a 10M-row merge).
-- key: (batch_id, row_number) (no constraint: DuckLake has none; the merge writes a row once)
create table if not exists staging.row_contacts (
    batch_id   bigint not null,
    row_number bigint not null,
    contact_id bigint not null
)
