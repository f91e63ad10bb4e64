"""A guard so an unexpected exception in a message handler or action is logged and shown, never fatal.

Textual funnels every event, message, action and `call_later` callback of every node through
`MessagePump._dispatch_message`; when a handler raises, it stops that node's message loop and
exits the app with a traceback. `install()` wraps that one method: for a node of an app that can
report (`OrbApp.report_unexpected`), the exception is handed to the app and the loop goes on.
Any other app keeps Textual's behaviour.
"""

from __future__ import annotations

import os
import re
import traceback
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from textual.message import Message
from textual.message_pump import MessagePump

from orb_tui.api import errors

KEY_PATTERN = re.compile(r"\borb_[A-Za-z0-9_-]{8,}")

Dispatch = Callable[[MessagePump, Message], Awaitable[None]]

# Every report made in this process, newest last ("where: ExceptionType"), so a test suite can fail
# on an error the console survived; bounded so a long session does not grow it.
REPORTED: deque[str] = deque(maxlen=100)


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """`text` as `api.errors.redact` masks it (the given secrets, bearer tokens, key query
    values), and every `orb_…` key besides."""
    text = errors.redact(text, [s for s in secrets if s and len(s) >= 4])
    return KEY_PATTERN.sub("orb_***", text)


def write_log(path: Path, where: str, error: BaseException, secrets: Iterable[str | None]) -> None:
    """Append `error` with its traceback to `path` (mode 0600), secrets redacted; never raises."""
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    details = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    entry = redact(f"{stamp} unexpected error in {where}\n{details}\n", list(secrets))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as log:
            log.write(entry)
    except OSError:
        pass  # a log that cannot be written must not become a second failure


def describe(node: MessagePump, message: Message) -> str:
    """Where it happened, in a few words: `MainScreen handling Key`."""
    return f"{type(node).__name__} handling {type(message).__name__}"


def install() -> None:
    """Wrap `MessagePump._dispatch_message` once per process (later calls do nothing)."""
    original: Dispatch = MessagePump._dispatch_message
    if getattr(original, "_orb_guard", False):
        return

    async def guarded(self: MessagePump, message: Message) -> None:
        try:
            await original(self, message)
        except Exception as error:
            app = _app_of(self)
            report = getattr(app, "report_unexpected", None)
            if report is None or not getattr(app, "is_running", False):
                raise
            report(error, describe(self, message))

    guarded._orb_guard = True  # type: ignore[attr-defined]
    MessagePump._dispatch_message = guarded  # type: ignore[method-assign]


def _app_of(node: MessagePump) -> Any:
    try:
        return node.app
    except RuntimeError:  # no app any more (Textual's NoActiveAppError)
        return None
