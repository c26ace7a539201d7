select
    expectation_type,
    column_name,
    severity,
    description,
    success,
    observed_value,
    element_count,
    unexpected_count,
    unexpected_percent,
    kwargs
from ops.expectation_results
where batch_id = $batch_id
order by success, case severity when 'critical' then 0 else 1 end, expectation_type, column_name
