-- A person's decision on each possible revocation (an inbound message held with outcome
-- `review`, reason `possible_revocation`), named by its batch and row. Append-only: one row
-- per message, never updated (the primary key refuses a second decision). decided_by is the
-- operating-system account of `optline revocations` (optline.access, action `review`).
-- opt_out: an opt_out consent event (method reviewed_revocation) was appended at decided_at.
create table if not exists ops.revocation_decisions (
    batch_id   bigint not null,
    row_number bigint not null,
    decision   varchar not null check (decision in ('opt_out', 'not_revocation')),
    decided_by varchar not null,
    note       varchar,
    decided_at timestamptz not null,
    primary key (batch_id, row_number)
)
