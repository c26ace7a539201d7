-- The verdict on a scrubbed opt-out row keeps its outcome, reason, scope and date, not the
-- numbers or the contacts it matched.
update staging.optout_outcomes as outcomes
set
    e164 = null,
    matches = [],
    numbers = []
from doomed_optout_rows as doomed
where outcomes.batch_id = doomed.batch_id and outcomes.row_number = doomed.row_number
