-- normalize_batch's scratch table of the values to parse (staging/phone_raws_to_parse_create).
drop table if exists phone_raws_to_parse
