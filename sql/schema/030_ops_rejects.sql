create view if not exists ops.rejects as
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
    on rows.batch_id = outcomes.batch_id and rows.row_number = outcomes.row_number
where not outcomes.accepted
