"""Where the reports of each kind of input go: one folder per batch, `<reports>/<kind>/<batch>/`."""

from __future__ import annotations

from pathlib import Path


def report_dir(reports_dir: Path, kind: str, batch_id: int) -> Path:
    """`<reports>/<kind>/<batch id in six digits>/`, the folder of one batch's report files; `kind`
    is the input's (`optouts`, `inbound`, `confirmations`; the contact lists' is `batches`)."""
    return reports_dir / kind / f"{batch_id:06d}"
