-- What the report may show of the row's token: an ellipsis and its last 4 characters.
alter table staging.web_confirmations add column if not exists token_tail varchar
