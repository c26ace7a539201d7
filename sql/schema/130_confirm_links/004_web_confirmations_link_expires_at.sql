-- The expiry signed into the row's token.
alter table staging.web_confirmations add column if not exists link_expires_at timestamptz
