-- How many values staging/phone_raws_to_parse_create found to parse.
select count(*) from phone_raws_to_parse
