insert or replace into ops.reports (batch_id, kind, path, written_at)
values ($batch_id, $kind, $path, current_timestamp)
