insert into ops.batch_decisions (batch_id, decision, decided_by, decided_by_id, reason, dag_id, run_id)
values ($batch_id, $decision, $decided_by, $decided_by_id, $reason, $dag_id, $run_id)
