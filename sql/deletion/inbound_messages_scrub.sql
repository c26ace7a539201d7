-- Received texts from a deleted number keep their body, time and HMAC (the consent evidence)
-- but not the number.
update staging.inbound_messages
set
    from_raw = null,
    e164 = null
where e164 in (select e164 from doomed_numbers)
