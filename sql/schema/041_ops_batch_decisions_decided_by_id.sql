-- The identity behind decided_by: the Airflow user id that answered the review (decided_by is
-- its name), or the operating-system account of `optline review`; null for the gate and timeouts.
alter table ops.batch_decisions add column if not exists decided_by_id varchar
