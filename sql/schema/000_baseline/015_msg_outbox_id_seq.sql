create sequence if not exists msg.outbox_id_seq start 1
