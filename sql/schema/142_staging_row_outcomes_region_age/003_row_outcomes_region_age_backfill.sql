-- The region and stated age of the outcomes of batches still before the expectation gate
-- (staged part-way, or checked), which the expectations will read; a batch past the gate is
-- validated already and keeps nulls. The outcomes are cut to those batches first, each value
-- looked up for them alone (an update joined to the rows and parses of every batch ran out of
-- memory at 50M contacts).
update staging.row_outcomes as outcomes
set
    region = (
        select parses.region
        from staging.contact_rows as contact_rows
        inner join staging.phone_parses as parses
            on contact_rows.batch_id = parses.batch_id and contact_rows.phone_raw = parses.phone_raw
        where contact_rows.batch_id = outcomes.batch_id and contact_rows.row_number = outcomes.row_number
    ),
    age_years = (
        select try_cast(contact_rows.age_raw as integer)
        from staging.contact_rows as contact_rows
        where contact_rows.batch_id = outcomes.batch_id and contact_rows.row_number = outcomes.row_number
    )
where outcomes.batch_id in (
    select batches.batch_id
    from ops.batches as batches
    where batches.status in ('staged', 'checked')
)
