-- Every row of an opt-out file with its verdict, for the report (the caller masks the number).
select
    outcomes.row_number,
    rows.line_number,
    outcomes.outcome,
    outcomes.reason_code,
    outcomes.reason_column,
    outcomes.reason_detail,
    outcomes.matched_by,
    outcomes.scope,
    list_sort(list_transform(outcomes.matches, m -> m.contact_id)) as contact_ids,
    rows.phone_raw
from staging.optout_outcomes as outcomes
inner join staging.optout_rows as rows
    on outcomes.batch_id = rows.batch_id and outcomes.row_number = rows.row_number
where outcomes.batch_id = $batch_id
order by outcomes.row_number
