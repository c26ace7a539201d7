-- The numbers the ledger suppresses, per channel: core.consent_state where suppressed, worked out
-- for the numbers that ever opted out alone (no other can be suppressed). The ledger's bulk is
-- the opt-in event of every imported contact; a check or a validation reads this instead of
-- aggregating all of them.
create or replace view core.suppressed_numbers as
select
    consent.number_hmac,
    consent.channel
from
    core.consent_state_of(
        (
            select coalesce(list(distinct events.number_hmac), []::varchar[])
            from core.consent_events as events
            where events.kind = 'opt_out'
        )
    ) as consent
where consent.suppressed
