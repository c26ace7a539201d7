-- The compliance overrides a batch ran under: a clock set by hand (to as_of, by whom, at what
-- real time) and the policy settings its manifest loosened (optline.reports.batches).
select
    batch_id,
    as_of,
    clock_override_by,
    clock_real_time,
    policy_loosened
from ops.batches
where batch_id = $batch_id
