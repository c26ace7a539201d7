-- An audience export as CSV (header line): the columns in $columns, tags joined with `;`, and every
-- text a spreadsheet would run as a formula (= + - @ tab CR) prefixed with a quote, except the
-- number (an E.164 number starts with +). Returns the rows written.
copy (
    with

    neutral as (
        select
            * replace (
                array_to_string(tags, ';') as tags,
                case when regexp_matches(first_name, '^[=+@\t\r-]') then '''' || first_name else first_name end
                    as first_name,
                case when regexp_matches(last_name, '^[=+@\t\r-]') then '''' || last_name else last_name end
                    as last_name,
                case when regexp_matches(email, '^[=+@\t\r-]') then '''' || email else email end as email,
                case when regexp_matches(title, '^[=+@\t\r-]') then '''' || title else title end as title,
                case when regexp_matches(company, '^[=+@\t\r-]') then '''' || company else company end as company,
                case when regexp_matches(city, '^[=+@\t\r-]') then '''' || city else city end as city,
                case when regexp_matches(state, '^[=+@\t\r-]') then '''' || state else state end as state,
                case when regexp_matches(postcode, '^[=+@\t\r-]') then '''' || postcode else postcode end
                    as postcode
            )
        from audience_export
    )

    select columns(c -> list_contains($columns, c)) from neutral
) to $path (format csv, header true)
