-- The conversion report: one row per contact import that added pending members.
select
    batch_id,
    file_name,
    merged_at,
    imported,
    waiting,
    messaged,
    not_messaged,
    confirmed,
    conversion_rate,
    confirmed_of_messaged,
    confirmed_by_reply,
    confirmed_by_link,
    confirmed_by_number
from marts.import_conversion
order by batch_id
