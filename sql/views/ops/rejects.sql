create or replace view ops.rejects as
select
    outcomes.batch_id,
    outcomes.row_number,
    rows.line_number,
    outcomes.reason_code,
    outcomes.reason_column,
    outcomes.reason_detail,
    outcomes.reasons
from staging.row_outcomes as outcomes
inner join staging.contact_rows as rows
    on outcomes.batch_id = rows.batch_id and outcomes.row_number = rows.row_number
where not outcomes.accepted
