-- Every list's name as first written, by its case-insensitive key: what `create_lists: false`
-- checks a file's list names against (optline.contacts.lists).
select
    name,
    name_key
from core.lists
order by name_key
