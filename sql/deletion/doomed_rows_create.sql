-- The staged contact rows a deletion removes, in every batch whatever its status (merged,
-- held, rejected, refused): rows at a doomed number, rows merged into a doomed contact, and
-- rows naming a doomed contact at its number (a held batch's rows have no contact yet); for
-- scope all, every staged row.
create or replace temp table doomed_rows as
with

by_outcome as (
    select
        outcomes.batch_id,
        outcomes.row_number
    from staging.row_outcomes as outcomes
    where
        outcomes.e164 in (select doomed_numbers.e164 from doomed_numbers)
        or exists (
            select 1 from doomed_contacts as doomed
            where
                doomed.e164 = outcomes.e164
                and doomed.name_key = lower(trim(coalesce(outcomes.first_name, ''))) || chr(31)
                || lower(trim(coalesce(outcomes.last_name, '')))
        )
),

by_contact as (
    select
        row_contacts.batch_id,
        row_contacts.row_number
    from staging.row_contacts as row_contacts
    where row_contacts.contact_id in (select doomed_contacts.contact_id from doomed_contacts)
),

by_parse as (
    select
        staged.batch_id,
        staged.row_number
    from staging.contact_rows as staged
    inner join staging.phone_parses as parses
        on staged.batch_id = parses.batch_id and staged.phone_raw = parses.phone_raw
    where parses.e164 in (select doomed_numbers.e164 from doomed_numbers)
),

every_row as (
    select
        staged.batch_id,
        staged.row_number
    from staging.contact_rows as staged
    where $scope = 'all'
)

select distinct
    batch_id,
    row_number
from (
    select
        batch_id,
        row_number
    from by_outcome
    union all
    select
        batch_id,
        row_number
    from by_contact
    union all
    select
        batch_id,
        row_number
    from by_parse
    union all
    select
        batch_id,
        row_number
    from every_row
) as found
