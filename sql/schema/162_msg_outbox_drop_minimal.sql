-- The minimal outbox's rows are in msg.outbox_next (161).
drop table msg.outbox
