select coalesce(bool_or(suppressed), false) as suppressed
from core.consent_state
where number_hmac = $number_hmac and channel = $channel
