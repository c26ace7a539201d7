-- A welcome's confirmation link (optline.messaging.links): the token's random id, never the
-- token. Null when the welcome's template has no {confirm_url}.
alter table msg.outbox add column if not exists link_id varchar
