-- Web confirmations of a deleted number keep their time, outcome and HMAC, not the number.
update staging.web_confirmations
set
    phone_raw = null,
    e164 = null
where e164 in (select e164 from doomed_numbers)
