-- The regions this page's numbers may belong to: every region of their calling codes, in the
-- order phonenumbers tries them.
select regions.region
from phone_meta_regions as regions
where
    regions.cc in (
        select distinct phone_work.cc from phone_work
        where phone_work.nsn is not null
    )
order by regions.cc, regions.position
