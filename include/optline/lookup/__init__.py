"""Number lookups: what offline metadata cannot tell about a number (docs/lookup.md).

- ``base``      the interface: a ``Request`` (a number and a kind: ``line_type`` or
                ``reassigned`` since a consent date) and its ``Answer`` (or why there is none);
                ``ask`` runs a provider over many requests, rate-limited, and stops asking once
                the provider is down.
- ``twilio``    Twilio Lookup v2 (``line_type_intelligence``, ``reassigned_number``) through
                the twilio SDK, routed like the message provider.
- ``fcc_rnd``   the FCC Reassigned Numbers Database's answers, imported from a file.
- ``providers`` which provider a policy names, with its credentials.
- ``cache``     ``ops.number_lookups``: answers by number HMAC and kind, re-asked after the
                policy's max age.
- ``step``      the import's line-type lookups (called by the contact pipeline's check).
- ``reassigned`` the reassignment check before a welcome is queued.

No phone number leaves this package except to the provider itself: logs carry counts, the
cache and the warehouse carry HMACs.
"""
