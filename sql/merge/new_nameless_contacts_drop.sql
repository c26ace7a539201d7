-- The merge's scratch table of the batch's new nameless contacts (merge/new_nameless_contacts_create).
drop table if exists new_nameless_contacts
