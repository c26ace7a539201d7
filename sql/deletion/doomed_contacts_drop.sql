-- The deletion's scratch table of contacts (deletion/doomed_contacts_create).
drop table if exists doomed_contacts
