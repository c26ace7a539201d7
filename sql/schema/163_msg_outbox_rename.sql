alter table msg.outbox_next rename to outbox
