-- The welcome whose link the row's token names (msg.outbox.outbox_id); null: matched by number.
alter table staging.web_confirmations add column if not exists outbox_id bigint
