-- The channel the row confirms on: its welcome's (token rows), else the batch's.
alter table staging.web_confirmations add column if not exists channel varchar
