-- A link confirmation (method `link`): the welcome whose link was used; null for other methods.
alter table core.confirmations add column if not exists outbox_id bigint
