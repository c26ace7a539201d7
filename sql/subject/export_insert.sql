insert into ops.subject_exports (
    requested_by, number_hmac, file_path, file_sha256, contacts, consent_events, messages, received_texts, staged_rows
)
values (
    $requested_by, $number_hmac, $file_path, $file_sha256, $contacts, $consent_events, $messages, $received_texts,
    $staged_rows
)
