-- Imported numbers are pending until they confirm (messaging turns them active).
-- key: (list_id, contact_id, channel) (no constraint: DuckLake has none; the statements that write keep it)
create table if not exists core.memberships (
    list_id        bigint not null,
    contact_id     bigint not null,
    channel        varchar not null,
    status         varchar not null default 'pending',  -- pending | active
    first_batch_id bigint not null,
    created_at     timestamptz not null default current_timestamp
)
