-- The merge's scratch table of incoming contacts matched to core contacts (merge/contact_matches_create).
drop table if exists contact_matches
