-- Record that the reviewers were told about one possible revocation at one clock level.
insert into ops.revocation_reminders (batch_id, row_number, clock, told_at)
values ($batch_id, $row_number, $clock, $told_at)
on conflict do nothing
