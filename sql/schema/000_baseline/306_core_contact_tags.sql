-- key: (contact_id, tag_id) (no constraint: DuckLake has none; the statements that write keep it)
create table if not exists core.contact_tags (
    contact_id     bigint not null,
    tag_id         bigint not null,
    first_batch_id bigint not null
)
