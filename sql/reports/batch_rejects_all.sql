-- Every rejected row of a batch, with its line and reason but no value: the query a capped
-- rejects.csv points to (`optline query`, read-only). Shown to people with the batch id filled in.
select
    outcomes.row_number,
    rows.line_number,
    outcomes.reason_column,
    outcomes.reason_code,
    outcomes.reason_detail
from staging.row_outcomes as outcomes
inner join staging.contact_rows as rows
    on outcomes.batch_id = rows.batch_id and outcomes.row_number = rows.row_number
where outcomes.batch_id = $batch_id and not outcomes.accepted
order by outcomes.row_number
