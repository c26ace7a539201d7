create sequence if not exists core.tag_id_seq start 1
