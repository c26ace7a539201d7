-- One page of the values to parse: numbers after $after, at most $size of them.
select phone_raws_to_parse.phone_raw
from phone_raws_to_parse
where phone_raws_to_parse.n > $after and phone_raws_to_parse.n <= $after + $size
order by phone_raws_to_parse.n
