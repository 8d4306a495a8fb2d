"""A one-line progress display for large transfers, on stderr and only when stderr is a terminal (never in logs)."""

import sys
import time
from typing import Optional, TextIO

# Redrawing more often than this costs more than it tells.
REDRAW_INTERVAL_S = 0.1


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


class Progress:
    def __init__(self, label: str, total: int, enabled: bool, stream: Optional[TextIO] = None):
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.label = label
        self.total = total
        self.done = 0
        self.started = time.monotonic()
        self.drawn_at = 0.0

    def advance(self, n: int) -> None:
        self.done += n
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.drawn_at >= REDRAW_INTERVAL_S:
            self.drawn_at = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        percent = 100.0 if self.total == 0 else 100.0 * self.done / self.total
        rate = self.done / max(now - self.started, 1e-6)
        line = f"{self.label}: {_size(self.done)} / {_size(self.total)} ({percent:.0f}%) {_size(rate)}/s"
        self.stream.write("\r" + line.ljust(72))
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled:
            self._draw(time.monotonic())
            self.stream.write("\n")
            self.stream.flush()
