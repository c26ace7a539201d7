alter table core.phone_numbers add column if not exists number_hmac varchar
