-- When the number was last messaged (sent, or claimed with the outcome not known yet) since
-- $since: the per-24-hours caps count these.
select coalesce(sent_at, claimed_at) as sent_at
from msg.outbox
where
    number_hmac = $number_hmac
    and status in ('sent', 'claimed')
    and coalesce(sent_at, claimed_at) > $since
order by sent_at
