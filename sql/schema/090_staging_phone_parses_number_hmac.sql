-- The keyed HMAC of each parsed number (see optline.phones.number_hmac).
alter table staging.phone_parses add column if not exists number_hmac varchar
