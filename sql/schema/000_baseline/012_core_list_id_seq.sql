create sequence if not exists core.list_id_seq start 1
