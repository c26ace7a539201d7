create sequence if not exists ops.batch_id_seq start 1
