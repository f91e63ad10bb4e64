"""The terminal's feeding: backlog slices, and when keys typed into output want their echo soon."""

from __future__ import annotations

from orb_tui.ui.terminal.feed import (
    KEYS_PENDING,
    LATENCY_HOLD,
    STREAMING_CHARS,
    STREAMING_WINDOW,
    Backlog,
    StreamWatch,
)


def test_backlog_slices_keep_every_character_in_order() -> None:
    backlog = Backlog()
    for part in ("abc", "", "defghij", "k"):
        backlog.push(part)
    assert backlog.size == 11
    assert [backlog.take(4), backlog.take(2), backlog.take(4), backlog.take(4)] == [
        "abcd",
        "ef",
        "ghij",
        "k",
    ]
    assert backlog.size == 0 and backlog.take(4) == ""


def test_a_prompt_is_not_streaming_and_a_key_there_changes_nothing() -> None:
    watch = StreamWatch()
    watch.fed(10.0, 40)  # a prompt
    assert not watch.streaming(10.01)
    assert not watch.key(10.01)
    assert not watch.keys_pending(10.02)


def test_a_key_typed_into_a_flood_is_pending_then_held_while_the_flood_lasts() -> None:
    watch = StreamWatch()
    now = 0.0
    while now < 1.0:  # 64 KiB every 10 ms
        watch.fed(now, 64 << 10)
        now += 0.01
    assert watch.streaming(now) and watch.key(now)
    assert watch.keys_pending(now + KEYS_PENDING / 2)
    assert not watch.keys_pending(now + KEYS_PENDING)
    later = now + LATENCY_HOLD / 2
    while now < later:
        watch.fed(now, 64 << 10)
        now += 0.01
    assert watch.typed_into_stream(now)
    # the flood ends: frames may stretch again at once
    assert not watch.typed_into_stream(now + STREAMING_WINDOW)


def test_a_trickle_is_not_a_flood() -> None:
    watch = StreamWatch()
    for step in range(100):  # a line every 50 ms
        watch.fed(step * 0.05, 80)
    assert STREAMING_CHARS > 80 * STREAMING_WINDOW / 0.05
    assert not watch.key(5.0)
