-- A batch's lookup counts, before they are written again (the check re-run after a wait).
delete from ops.batch_lookups
where batch_id = $batch_id and kind = $kind
