-- Lineage: which contact each accepted row became (appended; the rows and their verdicts stay
-- as the check wrote them).
insert into staging.row_contacts (batch_id, row_number, contact_id)
select
    outcomes.batch_id,
    outcomes.row_number,
    matches.contact_id
from staging.row_outcomes as outcomes
inner join contact_matches as matches
    on
        outcomes.e164 = matches.e164
        and matches.name_key = (
            lower(trim(coalesce(outcomes.first_name, ''))) || chr(31) || lower(trim(coalesce(outcomes.last_name, '')))
        )
where outcomes.batch_id = $batch_id and outcomes.accepted
