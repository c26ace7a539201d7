-- A data subject's export: the opt-out files' rows that gave or suppressed the number, with
-- file and line.
select
    optout_rows.batch_id,
    batches.file_name,
    optout_rows.line_number,
    optout_rows.row_number,
    optout_rows.phone_raw,
    optout_rows.first_name,
    optout_rows.last_name,
    optout_rows.email,
    optout_rows.address_line1,
    optout_rows.company,
    optout_rows.opted_out_at_raw,
    outcomes.outcome,
    outcomes.reason_code,
    outcomes.scope,
    outcomes.opted_out_at
from staging.optout_rows as optout_rows
inner join ops.optout_batches as batches on optout_rows.batch_id = batches.batch_id
left join staging.optout_outcomes as outcomes
    on optout_rows.batch_id = outcomes.batch_id and optout_rows.row_number = outcomes.row_number
where outcomes.e164 = $e164 or list_contains(outcomes.numbers, $e164)
order by optout_rows.batch_id, optout_rows.row_number
