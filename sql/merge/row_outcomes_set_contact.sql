-- Lineage: which contact each accepted row became.
update staging.row_outcomes as outcomes
set contact_id = matches.contact_id
from contact_matches as matches
where
    outcomes.batch_id = $batch_id
    and outcomes.accepted
    and matches.e164 = outcomes.e164
    and matches.name_key = (
        lower(trim(coalesce(outcomes.first_name, ''))) || chr(31) || lower(trim(coalesce(outcomes.last_name, '')))
    )
