-- A deletion of one number (`optline delete --number`) names it by its keyed HMAC only.
alter table ops.deletions add column if not exists number_hmac varchar
