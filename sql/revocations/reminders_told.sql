-- The reminders already sent: one per possible revocation and clock level.
select
    reminders.batch_id,
    reminders.row_number,
    reminders.clock
from ops.revocation_reminders as reminders
