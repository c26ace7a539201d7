insert into ops.expectation_results (
    batch_id, suite_name, expectation_type, column_name, severity, description, success,
    observed_value, element_count, unexpected_count, unexpected_percent, kwargs
)
values (
    $batch_id, $suite_name, $expectation_type, $column_name, $severity, $description, $success,
    $observed_value, $element_count, $unexpected_count, $unexpected_percent, $kwargs
)
