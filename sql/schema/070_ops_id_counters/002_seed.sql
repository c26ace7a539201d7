-- Each counter starts where its sequence (warehouses made before the counters) or its table's
-- ids left off, whichever is higher: no id already spent is handed out again.
insert into ops.id_counters (name, last_id)
with

sequences as (
    select
        sequence_name,
        last_value
    from duckdb_sequences()
    where database_name = current_database()
),

batch_ids as (
    select max(batch_id) as id from ops.batches
    union all
    select max(batch_id) as id from ops.optout_batches
    union all
    select max(batch_id) as id from ops.inbound_batches
    union all
    select max(batch_id) as id from ops.confirmation_batches
    union all
    select max(batch_id) as id from ops.touchup_batches
),

spent (name, sequence_name, max_id) as (
    values
    ('batch_id', 'batch_id_seq', (select max(batch_ids.id) from batch_ids)),
    ('contact_id', 'contact_id_seq', (select max(contacts.contact_id) from core.contacts as contacts)),
    ('list_id', 'list_id_seq', (select max(lists.list_id) from core.lists as lists)),
    ('tag_id', 'tag_id_seq', (select max(tags.tag_id) from core.tags as tags)),
    ('consent_event_id', 'consent_event_id_seq', (select max(events.event_id) from core.consent_events as events)),
    ('outbox_id', 'outbox_id_seq', (select max(outbox.outbox_id) from msg.outbox as outbox))
)

select
    spent.name,
    greatest(coalesce(sequences.last_value, 0), coalesce(spent.max_id, 0)) as last_id
from spent
left join sequences on spent.sequence_name = sequences.sequence_name
where spent.name not in (select counters.name from ops.id_counters as counters)
order by spent.name
