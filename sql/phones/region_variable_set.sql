-- The region whose metadata the next phone statements read (phone_metadata.py's `meta`).
set variable phone_region = (
    select regions.meta from phone_meta_regions as regions
    where regions.region = $region
)
