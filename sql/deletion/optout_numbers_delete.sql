-- The opt-out files' number-to-HMAC lookups of doomed numbers (the ledger keeps the HMAC).
delete from staging.optout_numbers
where e164 in (select doomed_numbers.e164 from doomed_numbers)
