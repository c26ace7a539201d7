-- When the welcome's confirmation link stops confirming (the queue time + welcome.link_ttl_days).
alter table msg.outbox add column if not exists link_expires_at timestamptz
