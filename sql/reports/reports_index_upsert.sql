-- Where a batch's report file of one kind is (written again: its path and time replaced).
merge into ops.reports as reports
using (
    select
        $batch_id as batch_id,
        $kind as kind,
        $path as path
) as written
    on reports.batch_id = written.batch_id and reports.kind = written.kind
when matched then update set path = written.path, written_at = current_timestamp
when not matched then
    insert (batch_id, kind, path, written_at)
    values (written.batch_id, written.kind, written.path, current_timestamp)
