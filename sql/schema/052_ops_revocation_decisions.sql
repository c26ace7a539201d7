-- A person's decision on each possible revocation (an inbound message held with outcome
-- `review`, reason `possible_revocation`), named by its batch and row. Append-only: one row
-- per message, never updated (sql/revocations/decision_insert.sql refuses a second decision). decided_by is the
-- operating-system account of `optline revocations` (optline.access, action `review`).
-- opt_out: an opt_out consent event (method reviewed_revocation) was appended at decided_at.
-- key: (batch_id, row_number) (no constraint: DuckLake has none; the statements that write keep it)
create table if not exists ops.revocation_decisions (
    batch_id   bigint not null,
    row_number bigint not null,
    decision   varchar not null,
    decided_by varchar not null,
    note       varchar,
    decided_at timestamptz not null
)
