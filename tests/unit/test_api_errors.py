"""Error answers map onto the error tree with sentences a person can act on, never with the key."""

from __future__ import annotations

import json

import pytest

from orb_tui.api import (
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    OrbError,
    RateLimited,
    ServerError,
    TerminalClosed,
    TerminalClosedError,
    TooLarge,
    Unauthorized,
    ValidationFailed,
)
from orb_tui.api.errors import error_from_response, redact

KEY = "orb_k3yS3cr3tV4lue0123456789abcdef"


def body(code: str, message: str | None = None) -> bytes:
    data = {"error": code} if message is None else {"error": code, "message": message}
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequest),
        (401, Unauthorized),
        (403, Forbidden),
        (404, NotFound),
        (409, Conflict),
        (413, TooLarge),
        (422, ValidationFailed),
        (429, RateLimited),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (405, ApiError),
        (418, ApiError),
    ],
)
def test_every_status_class_maps(status: int, cls: type[ApiError]) -> None:
    err = error_from_response(status, body("some_code"))
    assert type(err) is cls
    assert isinstance(err, OrbError) and err.status == status and err.code == "some_code"
    assert str(err).endswith(f"({status})")


def test_413_and_422_are_bad_requests() -> None:
    assert issubclass(TooLarge, BadRequest) and issubclass(ValidationFailed, BadRequest)


def test_the_server_message_is_the_sentence() -> None:
    err = error_from_response(
        400, body("bad_request", "invalid TOML at line 3, column 7: expected '='")
    )
    assert str(err) == "invalid TOML at line 3, column 7: expected '=' (400)"
    assert err.message == str(err)


def test_without_a_message_a_default_sentence() -> None:
    assert str(error_from_response(401, body("unauthorized"))) == (
        "the API key was revoked or is wrong (401)"
    )
    assert str(error_from_response(404, b"", subject="computer abc12345")) == (
        "computer abc12345 not found (404)"
    )
    conflict = error_from_response(409, body("no_config"))
    assert conflict.code == "no_config" and "no_config" in str(conflict)
    assert "try again later" in str(error_from_response(503, b"<html>Bad gateway</html>"))


def test_other_error_body_shapes() -> None:
    fastapi = error_from_response(404, json.dumps({"detail": "Not Found"}).encode())
    assert str(fastapi) == "Not Found (404)" and fastapi.code == ""
    nested = error_from_response(
        422, json.dumps({"error": {"code": "invalid", "message": "name is too long"}}).encode()
    )
    assert nested.code == "invalid" and str(nested) == "name is too long (422)"
    assert str(error_from_response(400, b"not json at all")).endswith("(400)")


@pytest.mark.parametrize(("header", "expected"), [("3", 3.0), ("0.5", 0.5), ("soon", None)])
def test_retry_after(header: str, expected: float | None) -> None:
    err = error_from_response(429, body("rate_limited"), {"Retry-After": header})
    assert isinstance(err, RateLimited) and err.retry_after == expected
    assert error_from_response(429, b"").retry_after is None  # type: ignore[attr-defined]


def test_a_key_in_the_server_message_is_masked() -> None:
    err = error_from_response(
        401, body("unauthorized", f"key {KEY} was revoked"), secrets=[KEY, None]
    )
    assert KEY not in str(err) and KEY not in repr(err) and "***" in str(err)


@pytest.mark.parametrize(
    "text",
    [
        f"GET http://127.0.0.1:8765/v1/computers/x/terminal?key={KEY}&cols=80",
        f"wss://api.orbcloud.dev/v1/computers/x/terminal?cols=80&key={KEY}",
        f"Authorization: Bearer {KEY}",
        f"api_key={KEY}",
    ],
)
def test_credential_query_values_are_masked_in_every_error(text: str) -> None:
    assert KEY not in redact(text)
    for err in (
        OrbError(text),
        NotFound(text, status=404),
        TerminalClosedError(TerminalClosed(1011, text)),
    ):
        assert KEY not in str(err) and KEY not in repr(err) and KEY not in err.message


@pytest.mark.parametrize(
    ("closed", "sentence"),
    [
        (TerminalClosed(1000, "", clean=True), "the shell exited"),
        (TerminalClosed(None, ""), "connection lost: no close frame received"),
        (TerminalClosed(1006, "reset by peer"), "connection lost: reset by peer"),
        (
            TerminalClosed(1011, "pty failed"),
            "the server closed the terminal: pty failed (code 1011)",
        ),
        (TerminalClosed(1000, "", clean=True, by_client=True), "the terminal was closed"),
    ],
)
def test_terminal_closed_describes_itself(closed: TerminalClosed, sentence: str) -> None:
    err = TerminalClosedError(closed)
    assert str(err) == sentence and err.closed is closed and isinstance(err, OrbError)
