-- The regions whose metadata strips a national prefix off this page's numbers.
select distinct phone_work.strip_region
from phone_work
order by phone_work.strip_region
