"""What the list_touchups DAG's tasks do: thin adapters from Airflow's context to
optline.contacts.listops.

Tasks pass file paths, batch ids and counts along XCom, never a number. (The DAG has no
summarize task: a file not applied fails its own apply_file task, and so the run.)
"""

from __future__ import annotations

from typing import Any

from optline import lineage
from optline.contacts import listops
from optline.intake.errors import INPUT_ERRORS, ReconciliationError
from optline.tasks.common import discover_in, run_context
from optline.tasks.intake import apply_inbox_file, chosen_inbox


def discover_files(context: dict[str, Any]) -> list[dict]:
    """The files waiting in the `inbox` param's folder, else in OPTLINE_TOUCHUP_INBOX /
    `$OPTLINE_DATA_DIR/touchups`."""
    return discover_in(chosen_inbox(context, listops.inbox()), "list touch-up")


def apply_file(inbox_file: dict, context: dict[str, Any]) -> dict:
    """Apply one file in one transaction at the wall clock (or the `as_of` param: opt-in
    evidence may not be later); a bad file fails at once, without retries."""
    return apply_inbox_file(listops.apply_file, inbox_file, run_context(context, wall_clock=True),
                            step=lineage.TOUCHUP_APPLY, fail_on=(*INPUT_ERRORS, ReconciliationError))
