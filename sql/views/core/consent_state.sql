-- Current consent per number and channel, derived from the ledger (the rule is in
-- core.consent_state_of; this is it over every number).
create or replace view core.consent_state as
select
    number_hmac,
    channel,
    opted_out_at,
    resubscribed_at,
    opted_in_at,
    suppressed
from core.consent_state_of(null::varchar[])
