-- Before new answers go in: the cached answers of the same numbers and kind (registered by
-- optline.lookup.cache as `lookup_answers`), so each number keeps one answer per kind.
delete from ops.number_lookups
where
    kind = $kind
    and number_hmac in (
        select answers.number_hmac from lookup_answers as answers
    )
