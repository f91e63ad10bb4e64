"""Feeding the emulator: the backlog of received text, slice sizes, and the pace of frames."""

from __future__ import annotations

import time
from collections import deque

from orb_tui.stream_rate import StreamRate

MAX_SLICE = 4096
"""Characters fed before the loop gets a turn while keys are pending: a key waits at most this."""
BULK_SLICE = 16384
"""Characters fed per turn when nobody typed lately: fewer turns, same 1-2 ms of blocked loop."""
BACKLOG_LIMIT = 16 << 10
"""Stop reading the socket while this much waits to be fed (1-2 ms of feeding).

Every character held here, and in the buffers before it, is one a keystroke's echo waits behind
during a flood; the socket and the server keep theirs small too, so the shell is paced by us."""
KEYS_PENDING = 0.5
"""Seconds after a key typed into streaming output during which its echo is awaited: small slices
keep the loop free for it. (At a quiet prompt the echo comes at once.)"""
STREAMING_WINDOW = 0.25
"""Output streams while at least STREAMING_CHARS were fed in the last window of this many seconds."""
LATENCY_HOLD = 5.0
"""Seconds after the last key typed into streaming output during which frames are not stretched
(or until the output stops)."""
FRAME_INTERVAL = 1 / 30
MAX_FRAME_INTERVAL = 1 / 4
QUIET_AFTER = 0.003
"""Seconds without new output after which a frame held back for streaming is painted at once: the
end of a `cat` shows when it arrives, not up to MAX_FRAME_INTERVAL later. During a flood the next
output comes within microseconds, so this never fires there."""
MIN_FRAME_INTERVAL = 1 / 60
"""Shortest time between two frames the terminal asks for, whatever the reason."""
STREAMING_CHARS = 16 << 10  # fed between two frames: output is streaming, not being typed
OTHER_CPU_SHARE = 0.08  # while streaming, what frames and the rest may take beside the emulator


class StreamWatch(StreamRate):
    """Whether output is streaming, and whether keys typed into it want their echo soon.

    Times are the event loop's, passed in. A prompt, or a command's echo, is not streaming; a
    `yes` or a `cat` of a big file is. After a key typed while output streams, the view draws at
    full pace (the echo is on its way) rather than stretching frames to save CPU for throughput.
    """

    def __init__(self) -> None:
        super().__init__(STREAMING_WINDOW, STREAMING_CHARS)
        self.typed_at = float("-inf")

    def fed(self, now: float, count: int) -> None:
        """`count` characters were fed to the emulator."""
        self.count(now, count)

    def key(self, now: float) -> bool:
        """A key was typed; True if it went into streaming output."""
        if not self.streaming(now):
            return False
        self.typed_at = now
        return True

    def keys_pending(self, now: float) -> bool:
        """A key typed into streaming output lately: its echo is on the way."""
        return now - self.typed_at < KEYS_PENDING

    def typed_into_stream(self, now: float) -> bool:
        """Keys were typed into this output lately, and it still streams."""
        return now - self.typed_at < LATENCY_HOLD and self.streaming(now)


class FramePacer:
    """Time between frames: 1/30 s, stretched while output streams so the emulator keeps the CPU.

    A streamed frame nobody can read costs as much as a readable one; when work other than
    feeding the emulator takes more than OTHER_CPU_SHARE of the process's CPU, the interval doubles
    (to 4 frames a second at least: a 4 MB `cat` gets 4 frames, not 6) and shrinks again when it
    does not. The last frame of a stream is not held back (see QUIET_AFTER).
    """

    def __init__(self) -> None:
        self.interval = FRAME_INTERVAL
        self._feed_cpu = 0.0
        self._cpu_mark = time.process_time()
        self._fed_mark = 0

    def fed(self, cpu: float) -> None:
        """Count CPU seconds spent feeding the emulator."""
        self._feed_cpu += cpu

    def frame(self, fed_total: int) -> None:
        """A frame went out; choose the next interval."""
        now = time.process_time()
        spent = now - self._cpu_mark
        if fed_total - self._fed_mark <= STREAMING_CHARS:
            self.interval = FRAME_INTERVAL
        elif spent > 0 and (spent - self._feed_cpu) / spent > OTHER_CPU_SHARE:
            self.interval = min(self.interval * 2, MAX_FRAME_INTERVAL)
        else:
            self.interval = max(self.interval / 1.2, FRAME_INTERVAL)
        self._cpu_mark, self._fed_mark, self._feed_cpu = now, fed_total, 0.0


class Backlog:
    """Text received but not yet fed to the emulator, taken in bounded slices."""

    def __init__(self) -> None:
        self._chunks: deque[str] = deque()
        self.size = 0

    def push(self, text: str) -> None:
        if text:
            self._chunks.append(text)
            self.size += len(text)

    def take(self, limit: int) -> str:
        """Remove and return at most `limit` characters."""
        head = self._chunks[0] if self._chunks else ""
        if len(head) >= limit:  # the common case: one received frame holds several slices
            taken = head[:limit]
            if len(head) > limit:
                self._chunks[0] = head[limit:]
            else:
                self._chunks.popleft()
            self.size -= limit
            return taken
        parts: list[str] = []
        want = limit
        while want and self._chunks:
            head = self._chunks[0]
            if len(head) <= want:
                parts.append(self._chunks.popleft())
                want -= len(head)
            else:
                parts.append(head[:want])
                self._chunks[0] = head[want:]
                want = 0
        taken = "".join(parts)
        self.size -= len(taken)
        return taken

    def clear(self) -> None:
        self._chunks.clear()
        self.size = 0
