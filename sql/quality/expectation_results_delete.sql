-- A batch validated again (a retried task) replaces its earlier results.
delete from ops.expectation_results
where batch_id = $batch_id
