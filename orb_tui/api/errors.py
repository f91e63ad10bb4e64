"""The one error tree every part of orb-tui catches, and the mapping from HTTP answers onto it.

```
OrbError                      str(e) is a sentence a person can act on
├── ApiError                  the server answered with an error status (status, code, message)
│   ├── BadRequest            400
│   │   ├── TooLarge          413
│   │   └── ValidationFailed  422
│   ├── Unauthorized          401
│   ├── Forbidden             403
│   ├── NotFound              404
│   ├── Conflict              409
│   ├── RateLimited           429 (retry_after seconds, when the server said)
│   └── ServerError           5xx
├── TransportError            no usable answer at all
│   ├── ConnectError          could not connect
│   └── Timeout               connected, but no answer in time
├── ProtocolError             an answer that is not what the API promised (not JSON, wrong shape, cut off)
├── FileTooLarge              a file bigger than the caller's byte cap
└── TerminalClosedError       the terminal socket closed (.closed: TerminalClosed)
```
Any other 4xx is a plain ApiError. No message, repr or str ever carries an API key: query
parameters that look like credentials are masked, and callers pass their secrets to `redact`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = [
    "ApiError",
    "BadRequest",
    "Conflict",
    "ConnectError",
    "FileTooLarge",
    "Forbidden",
    "NotFound",
    "OrbError",
    "ProtocolError",
    "RateLimited",
    "ServerError",
    "TerminalClosed",
    "TerminalClosedError",
    "Timeout",
    "TooLarge",
    "TransportError",
    "Unauthorized",
    "ValidationFailed",
    "error_from_response",
    "redact",
]

_SECRET_QUERY = re.compile(r"(?i)\b(key|api_key|apikey|token|access_token|secret)=[^&\s#'\"]*")
_BEARER = re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+")


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Return `text` with every given secret and every credential-like query value masked."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = _SECRET_QUERY.sub(lambda m: f"{m.group(1)}=***", text)
    return _BEARER.sub("Bearer ***", text)


class OrbError(Exception):
    """Base of every error orb-tui raises; `str(e)` is the human sentence."""

    def __init__(self, message: str) -> None:
        self.message = redact(message)
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class ApiError(OrbError):
    """The server answered with an error status."""

    def __init__(self, message: str, *, status: int, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, code={self.code!r}, {self.message!r})"


class BadRequest(ApiError):
    """400: the request itself was wrong (also the parent of 413 and 422)."""


class TooLarge(BadRequest):
    """413: the body was bigger than the server accepts."""


class ValidationFailed(BadRequest):
    """422: a field failed validation; the message names it."""


class Unauthorized(ApiError):
    """401: missing, wrong, revoked or expired credentials."""


class Forbidden(ApiError):
    """403: the credentials are valid but not allowed to do this."""


class NotFound(ApiError):
    """404: no such computer, key, webhook, file or port (or not yours)."""


class Conflict(ApiError):
    """409: the thing is in the wrong state (e.g. deploy without a config)."""


class RateLimited(ApiError):
    """429: too many requests; `retry_after` says how long to wait, when the server said."""

    def __init__(
        self, message: str, *, status: int = 429, code: str = "", retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx: the server failed; trying again later may help."""


class TransportError(OrbError):
    """No usable answer: the connection failed or broke."""


class ConnectError(TransportError):
    """The server could not be reached at all."""


class Timeout(TransportError):
    """The server did not answer in time."""


class ProtocolError(OrbError):
    """An answer that is not what the API promised: not JSON, the wrong shape, or cut off."""


class FileTooLarge(OrbError):
    """A file is bigger than the byte cap the caller set."""

    def __init__(self, message: str, *, limit: int, size: int | None = None) -> None:
        super().__init__(message)
        self.limit = limit
        self.size = size


@dataclass(frozen=True, slots=True)
class TerminalClosed:
    """How a terminal socket ended: the close code (None if no close frame), reason, and cleanliness."""

    code: int | None
    reason: str = ""
    clean: bool = False
    by_client: bool = False

    def describe(self) -> str:
        """A sentence for the banner: why the terminal is no longer live."""
        if self.by_client:
            return "the terminal was closed"
        if self.code == 1000:
            return "the shell exited"
        if self.code == 1001:
            return "the server went away"
        if self.code is None or self.code == 1006:
            return f"connection lost: {self.reason or 'no close frame received'}"
        detail = self.reason or "no reason given"
        return f"the server closed the terminal: {detail} (code {self.code})"


class TerminalClosedError(OrbError):
    """The terminal socket is closed; `closed` says how."""

    def __init__(self, closed: TerminalClosed) -> None:
        super().__init__(closed.describe())
        self.closed = closed


_DEFAULT_SENTENCES: dict[int, str] = {
    400: "the server refused the request as malformed",
    401: "the API key was revoked or is wrong",
    403: "the API key is not allowed to do this",
    404: "not found",
    409: "the request conflicts with the current state",
    413: "the request body is too large",
    422: "a field failed validation",
    429: "too many requests; slow down",
}

_CLASSES: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: TooLarge,
    422: ValidationFailed,
    429: RateLimited,
}


def error_class(status: int) -> type[ApiError]:
    """The ApiError subclass for an HTTP status (other 4xx: ApiError itself)."""
    if status >= 500:
        return ServerError
    return _CLASSES.get(status, ApiError)


def _error_fields(body: bytes) -> tuple[str, str]:
    """(code, message) from a JSON error body, tolerating `detail` (FastAPI) and nesting."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return "", ""
    if not isinstance(data, Mapping):
        return "", data if isinstance(data, str) else ""
    err = data.get("error")
    if isinstance(err, Mapping):  # {"error": {"code": ..., "message": ...}}
        return _text(err.get("code")), _text(err.get("message"))
    code = _text(err) or _text(data.get("code"))
    message = _text(data.get("message")) or _text(data.get("detail"))
    return code, message


_GENERIC_CODES = frozenset(
    {"bad_request", "unauthorized", "forbidden", "not_found", "conflict", "too_large", "invalid",
     "rate_limited", "validation_error", "payload_too_large", "unprocessable_entity",
     "too_many_requests", "internal_error", "server_error", "internal_server_error"}
)  # fmt: skip


def _normal(code: str) -> str:
    return code.strip().lower().replace(" ", "_").replace("-", "_")


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _retry_after(headers: Mapping[str, str]) -> float | None:
    raw = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None  # an HTTP date: rare enough to ignore


def _sentence(
    status: int, code: str, message: str, subject: str | None, retry_after: float | None = None
) -> str:
    if retry_after is not None:  # the server said when: that is what a person needs to know
        wait = f"try again in {retry_after:g} s"
        return f"{message or 'too many requests'}; {wait} ({status})"
    if message:
        text = message
    elif status == 404 and subject:
        text = f"{subject} not found"
    elif status in _DEFAULT_SENTENCES:
        text = _DEFAULT_SENTENCES[status]
        if code and _normal(code) not in _GENERIC_CODES:
            text = f"{text}: {code}"
    elif status >= 500:
        detail = f": {code}" if code and _normal(code) not in _GENERIC_CODES else ""
        text = f"the server failed{detail}; try again later"
    else:
        text = f"the server refused the request{': ' + code if code else ''}"
    return f"{text} ({status})"


def error_from_response(
    status: int,
    body: bytes,
    headers: Mapping[str, str] | None = None,
    *,
    subject: str | None = None,
    secrets: Iterable[str | None] = (),
) -> ApiError:
    """Build the ApiError for an error answer.

    Args:
        status: the HTTP status (4xx or 5xx).
        body: the raw body; a JSON `{"error", "message"}` gives the code and the sentence.
        headers: the answer's headers (for Retry-After).
        subject: what was asked for, e.g. "computer abc12345", used when the body has no message.
        secrets: strings (the API key) that must not appear in the message.
    """
    code, message = _error_fields(body)
    cls = error_class(status)
    retry_after = _retry_after(headers or {}) if cls is RateLimited else None
    text = redact(_sentence(status, code, message, subject, retry_after), secrets)
    code = redact(code, secrets)  # the code is shown in repr() and logs as sent
    if cls is RateLimited:
        return RateLimited(text, status=status, code=code, retry_after=retry_after)
    return cls(text, status=status, code=code)
