-- The batch's default region's metadata, for phones/work_create.
set variable phone_default = (
    select regions.meta from phone_meta_regions as regions
    where regions.region = $region
)
