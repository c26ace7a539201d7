-- The last id handed out for each kind of id (`optline.ids`), in place of sequences: DuckLake
-- has none, and an id counter committed with its rows is the same on every backend. Ids are
-- never reused: a deleted row's id stays spent. One row per name.
create table if not exists ops.id_counters (
    name    varchar not null,  -- batch_id, contact_id, list_id, tag_id, consent_event_id, outbox_id
    last_id bigint not null    -- 0: none handed out yet
)
