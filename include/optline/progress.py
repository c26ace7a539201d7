"""Progress on long work: a bar in a terminal, and a log line at least every LOG_EVERY seconds.

    with Progress("batch 7: staging rows", total=None, unit="rows") as shown:
        for chunk in chunks:
            ...
            shown.advance(len(chunk))

In a terminal (stderr is a TTY and the log shows INFO) tqdm draws a bar; everywhere (Airflow's
task log, a file) a line says how far the work is, every LOG_EVERY seconds while it runs, from a
timer thread, so a single long SQL statement still shows that it is alive. Only counts are
logged, never values.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from types import TracebackType

log = logging.getLogger("optline.progress")

LOG_EVERY = 10.0  # seconds between two progress lines


class Progress:
    """Counts `unit`s done out of `total` (None: unknown) for `what`; a context manager."""

    def __init__(self, what: str, total: int | None = None, unit: str = "rows", *,
                 every: float = LOG_EVERY) -> None:
        self.what, self.total, self.unit, self.every = what, total, unit, every
        self.done = 0
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._timer: threading.Thread | None = None
        self._bar = None

    def __enter__(self) -> Progress:
        self._started = time.monotonic()
        if sys.stderr.isatty() and log.isEnabledFor(logging.INFO):
            from tqdm import tqdm

            self._bar = tqdm(total=self.total, desc=self.what, unit=f" {self.unit}", unit_scale=True, leave=False)
        self._timer = threading.Thread(target=self._tick, name="optline-progress", daemon=True)
        self._timer.start()
        return self

    def advance(self, count: int) -> None:
        self.done += count
        if self._bar is not None:
            self._bar.update(count)

    def line(self) -> str:
        elapsed = time.monotonic() - self._started
        of = f" of {self.total:,}" if self.total is not None else ""
        share = f" ({100 * self.done / self.total:.0f} %)" if self.total else ""
        rate = f", {self.done / elapsed:,.0f} {self.unit}/s" if elapsed > 0 and self.done else ""
        return f"{self.what}: {self.done:,}{of} {self.unit}{share} after {elapsed:.0f} s{rate}"

    def _tick(self) -> None:
        while not self._stop.wait(self.every):
            log.info("%s", self.line())

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        if self._timer is not None:
            self._timer.join()
        if self._bar is not None:
            self._bar.close()
