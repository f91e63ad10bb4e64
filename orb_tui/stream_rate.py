"""Whether output is streaming, from amounts counted over two short windows of time.

Shared by the local server's PTY sessions and the terminal widget: both shrink their buffering
for a key typed into streaming output, and neither may import the other.
"""

from __future__ import annotations


class StreamRate:
    """Streaming: at least `threshold` counted in the current or the previous window of `span`
    seconds, the last of it less than `span` ago. Times are passed in (an event loop's clock)."""

    def __init__(self, span: float, threshold: int) -> None:
        self.span = span
        self.threshold = threshold
        self.last_at = self._window_start = float("-inf")
        self._window = self._previous = 0

    def count(self, now: float, amount: int) -> None:
        """`amount` (bytes or characters) went by at `now`."""
        if now - self._window_start >= self.span:
            last = now - self._window_start < 2 * self.span
            self._previous = self._window if last else 0
            self._window_start, self._window = now, 0
        self._window += amount
        self.last_at = now

    def streaming(self, now: float) -> bool:
        recent = now - self.last_at < self.span
        return recent and max(self._window, self._previous) >= self.threshold
