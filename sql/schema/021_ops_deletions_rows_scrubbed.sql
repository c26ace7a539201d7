-- Rows a deletion kept but emptied of personal data (opt-out files' rows, received texts, web
-- confirmations, outbox messages): only their HMAC, times and outcomes remain.
alter table ops.deletions add column if not exists rows_scrubbed bigint
