create table if not exists core.contact_tags (
    contact_id     bigint not null,
    tag_id         bigint not null,
    first_batch_id bigint not null,
    primary key (contact_id, tag_id)
)
