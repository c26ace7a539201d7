"""Peak memory of hostile XLSX files through the real `optline import`, with the policy's
`file_limits` (optline.contacts.policy.FILE_LIMITS) and, for "before", yesterday's code.

    .venv/bin/python bench/xlsx_limits.py                        # both files, this checkout
    .venv/bin/python bench/xlsx_limits.py --source /tmp/old      # `git archive HEAD` unpacked there
    .venv/bin/python bench/xlsx_limits.py --only strings --shared-mb 200 --max-uncompressed-mb 256

The files (built once into --workdir, reused after):
- `strings.xlsx`: ~2 MB on disk, two data rows, shared strings declaring --shared-mb (1024) MB;
- `rows.xlsx`: --rows (1,000,000) data rows of phone + first name, ~5 MB on disk.
Each is imported by `optline import <file>` in a fresh data dir (its own warehouse) with a
throwaway HMAC key and the shipped policies (or a copy whose default says the `--max-*` given);
every 0.1 s the RSS of the whole process tree is summed, and the peak printed with the seconds,
the exit code and the CLI's last line (the file's status or its refusal). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import yaml

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from tests.optline.intake.hostile_xlsx import big_shared_strings_xlsx, many_rows_xlsx  # noqa: E402


def tree_rss(root: psutil.Process) -> int:
    total = 0
    for proc in [root, *root.children(recursive=True)]:
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            pass
    return total


def run_import(xlsx: Path, workdir: Path, args: argparse.Namespace) -> dict:
    data = Path(tempfile.mkdtemp(prefix="run-", dir=workdir))
    inbox = data / "inbox"
    inbox.mkdir()
    target = inbox / xlsx.name
    os.link(xlsx, target) if xlsx.stat().st_dev == inbox.stat().st_dev else shutil.copy(xlsx, target)
    target.with_name(f"{xlsx.stem}.manifest.yaml").write_text(
        "lists: [Bench]\npolicy_overrides: {require_opt_in: false, require_age_or_dob: false}\n", encoding="utf-8")
    policies = data / "policies"
    shutil.copytree(Path(args.source or PROJECT) / "expectations" / "policies", policies)
    default = yaml.safe_load((policies / "default.yaml").read_text(encoding="utf-8"))
    default["allow_loosening"] = ["require_opt_in", "require_age_or_dob", "gate"]
    limits = {k: v for k, v in (("max_uncompressed_mb", args.max_uncompressed_mb),
                                ("max_rows_per_sheet", args.max_rows_per_sheet)) if v is not None}
    if limits:
        default["file_limits"] = limits
    (policies / "default.yaml").write_text(yaml.safe_dump(default, sort_keys=False), encoding="utf-8")
    env = {**os.environ, "OPTLINE_DATA_DIR": str(data), "OPTLINE_POLICY_DIR": str(policies),
           "OPTLINE_HMAC_KEY": secrets.token_hex(32)}
    for var in ("OPTLINE_INBOX", "OPTLINE_WAREHOUSE", "OPTLINE_REPORTS"):
        env.pop(var, None)
    if args.source:
        env["PYTHONPATH"] = str(Path(args.source).resolve() / "include")
    started = time.perf_counter()
    child = subprocess.Popen([str(Path(sys.executable).with_name("optline")), "import", str(target)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    root, peak = psutil.Process(child.pid), 0
    while child.poll() is None:
        peak = max(peak, tree_rss(root))
        time.sleep(0.1)
    out = child.stdout.read() if child.stdout else ""
    last = [line for line in out.splitlines() if line.strip()][-1:] or [""]
    shutil.rmtree(data, ignore_errors=True)
    return {"file": xlsx.name, "bytes": xlsx.stat().st_size, "peak_mib": round(peak / 2**20),
            "seconds": round(time.perf_counter() - started, 1), "exit": child.returncode, "last_line": last[0][:300]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "optline-xlsx-limits"))
    parser.add_argument("--source", help="run the CLI from another checkout's include/ (the 'before' figures)")
    parser.add_argument("--only", choices=("strings", "rows"))
    parser.add_argument("--shared-mb", type=float, default=1024)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--max-uncompressed-mb", type=int, help="file_limits.max_uncompressed_mb for the run")
    parser.add_argument("--max-rows-per-sheet", type=int, help="file_limits.max_rows_per_sheet for the run")
    args = parser.parse_args(argv)
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    files = []
    if args.only in (None, "strings"):
        path = workdir / f"strings_{args.shared_mb:g}mb.xlsx"
        files.append(path if path.exists() else big_shared_strings_xlsx(path, args.shared_mb))
    if args.only in (None, "rows"):
        path = workdir / f"rows_{args.rows}.xlsx"
        files.append(path if path.exists() else many_rows_xlsx(path, args.rows))
    for path in files:
        result = run_import(path, workdir, args)
        print(f"{result['file']}: {result['bytes'] / 2**20:.1f} MB on disk, peak RSS {result['peak_mib']} MiB, "
              f"{result['seconds']} s, exit {result['exit']}\n    {result['last_line']}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
