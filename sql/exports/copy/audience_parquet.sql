-- An audience export as Parquet: the columns in $columns (tags as a list). Returns the rows written.
copy (
    select columns(c -> list_contains($columns, c)) from audience_export
) to $path (format parquet)
