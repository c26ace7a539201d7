-- When each of a batch's capped numbers was last messaged (sent, or claimed with the outcome
-- not known yet) since $since: the per-24-hours caps count these.
select
    number_hmac,
    coalesce(sent_at, claimed_at) as sent_at
from msg.outbox
where
    number_hmac in (select unnest($number_hmacs::varchar[]) as number_hmac)
    and status in ('sent', 'claimed')
    and coalesce(sent_at, claimed_at) > $since
order by number_hmac, sent_at
