-- phonenumbers' `_number_type_helper`: the type of a national significant number under the
-- region in the session variable `phone_region` (phone_metadata.py), tested in phonenumbers'
-- order.
create or replace temp macro phone_number_type(digits) as
case
    when not phone_desc_match(digits, getvariable('phone_region').general_desc) then 'UNKNOWN'
    when phone_desc_match(digits, getvariable('phone_region').premium_rate) then 'PREMIUM_RATE'
    when phone_desc_match(digits, getvariable('phone_region').toll_free) then 'TOLL_FREE'
    when phone_desc_match(digits, getvariable('phone_region').shared_cost) then 'SHARED_COST'
    when phone_desc_match(digits, getvariable('phone_region').voip) then 'VOIP'
    when phone_desc_match(digits, getvariable('phone_region').personal_number) then 'PERSONAL_NUMBER'
    when phone_desc_match(digits, getvariable('phone_region').pager) then 'PAGER'
    when phone_desc_match(digits, getvariable('phone_region').uan) then 'UAN'
    when phone_desc_match(digits, getvariable('phone_region').voicemail) then 'VOICEMAIL'
    when phone_desc_match(digits, getvariable('phone_region').fixed_line)
        then
            case
                when
                    getvariable('phone_region').same_pattern
                    or phone_desc_match(digits, getvariable('phone_region').mobile)
                    then 'FIXED_LINE_OR_MOBILE'
                else 'FIXED_LINE'
            end
    when
        not getvariable('phone_region').same_pattern
        and phone_desc_match(digits, getvariable('phone_region').mobile)
        then 'MOBILE'
    else 'UNKNOWN'
end
