-- The merge's scratch table of the batch's distinct contacts (merge/incoming_contacts_create).
drop table if exists incoming_contacts
