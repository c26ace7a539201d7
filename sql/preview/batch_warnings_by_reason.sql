-- The warnings of a batch's accepted rows, counted by rule (optline inspect shows them).
with warned as (
    select unnest(outcomes.warnings) as warning
    from staging.row_outcomes as outcomes
    where outcomes.batch_id = $batch_id and outcomes.accepted
)

select
    warned.warning,
    count(*) as rows_warned
from warned
group by warned.warning
order by rows_warned desc, warned.warning asc
