-- The merge's scratch table of the batch's new named contacts (merge/new_named_contacts_create).
drop table if exists new_named_contacts
