"""What the web_confirmations DAG's tasks do: thin adapters from Airflow's context to
optline.consent.confirmations.

Tasks pass file paths, batch ids and counts along XCom, never a number. (The DAG has no
summarize task: a file not applied fails its own apply_file task, and so the run.)
"""

from __future__ import annotations

from typing import Any

from optline import lineage
from optline.consent import confirmations
from optline.tasks.common import discover_in, run_context
from optline.tasks.intake import apply_inbox_file, chosen_inbox


def discover_files(context: dict[str, Any]) -> list[dict]:
    """The exports waiting in the `inbox` param's folder, else in OPTLINE_CONFIRMATIONS_INBOX /
    `$OPTLINE_DATA_DIR/confirmations`."""
    return discover_in(chosen_inbox(context, confirmations.inbox()), "web confirmations")


def apply_file(inbox_file: dict, context: dict[str, Any]) -> dict:
    """Apply one export in one transaction at the wall clock (or the `as_of` param); a bad export
    fails at once, without retries."""
    return apply_inbox_file(confirmations.apply_file, inbox_file, run_context(context, wall_clock=True),
                            step=lineage.CONFIRMATIONS_APPLY)
