-- Why the row's token could not be read before the warehouse was asked: missing_token or
-- token_invalid_signature (garbled or forged).
alter table staging.web_confirmations add column if not exists token_error varchar
