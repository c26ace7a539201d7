"""Consent evidence as 16 CFR 310.5(a)(8) lists it: what was shown when consent was asked, and why.

A contact import's manifest may name its disclosure (`disclosure:` text, version and/or URL)
and `purpose:` (intake.manifest.consent_evidence checks them). The merge stores each distinct
one once in `core.consent_disclosures` (merge/consent_disclosures_insert_new) and every opt-in
event it appends to the ledger points at it (`core.consent_events.disclosure_id`). A
disclosure's id is the sha256 of what it says, so the same disclosure in any later file is the
same row. Like the ledger it names no person, and a deletion keeps both.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

PARTS = ("text", "version", "url", "purpose")


def disclosure_id(text: str | None, version: str | None, url: str | None, purpose: str) -> str:
    """The id of a disclosure: sha256 of the JSON of its four parts (keys sorted, UTF-8)."""
    said = {"text": text, "version": version, "url": url, "purpose": purpose}
    return hashlib.sha256(json.dumps(said, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def merge_params(settings: Mapping[str, Any]) -> dict[str, str | None]:
    """The merge's parameters for a batch's manifest settings (Batch.settings): the disclosure's
    id, text, its sha256, version, URL and purpose; every one None when the manifest names none."""
    purpose = settings.get("purpose")
    text, version, url = (settings.get(f"disclosure_{part}") for part in ("text", "version", "url"))
    if purpose is None:
        return dict.fromkeys(("disclosure_id", "disclosure_text", "disclosure_text_sha256", "disclosure_version",
                              "disclosure_url", "purpose"))
    return {"disclosure_id": disclosure_id(text, version, url, purpose), "disclosure_text": text,
            "disclosure_text_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest() if text is not None else None,
            "disclosure_version": version, "disclosure_url": url, "purpose": purpose}
