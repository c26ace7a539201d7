-- The link id a web-confirmation row's token carries, when its signature holds (never the token).
alter table staging.web_confirmations add column if not exists link_id varchar
