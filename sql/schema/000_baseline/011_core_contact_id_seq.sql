create sequence if not exists core.contact_id_seq start 1
