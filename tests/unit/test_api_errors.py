"""Error answers map onto the error tree with sentences a person can act on, never with the key."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from orb_tui.api import (
    ApiError,
    BadRequest,
    Conflict,
    ConnectError,
    Forbidden,
    NotFound,
    OrbClient,
    OrbError,
    ProtocolError,
    RateLimited,
    ServerError,
    TerminalClosed,
    TerminalClosedError,
    Timeout,
    TooLarge,
    TransportError,
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


# --- the same mapping through OrbClient: statuses, timeouts, refused connections, bad bodies ---

CID = "abc12345-1234-5678-9abc-def012345678"


def client_answering(respond: Callable[[httpx.Request], httpx.Response]) -> OrbClient:
    return OrbClient("http://127.0.0.1:8765", KEY, transport=httpx.MockTransport(respond))


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
        (504, ServerError),
        (410, ApiError),
    ],
)
async def test_the_client_raises_the_class_for_each_status(
    status: int, cls: type[ApiError]
) -> None:
    async with client_answering(lambda r: httpx.Response(status, json={"error": "x"})) as c:
        with pytest.raises(cls) as caught:
            await c.get_computer(CID)
    assert type(caught.value) is cls and caught.value.status == status


async def test_a_404_names_the_computer() -> None:
    async with client_answering(lambda r: httpx.Response(404, json={"error": "not_found"})) as c:
        with pytest.raises(NotFound, match=r"^computer abc12345 not found \(404\)$"):
            await c.get_computer(CID)


async def test_a_401_says_what_to_do() -> None:
    async with client_answering(lambda r: httpx.Response(401, content=b"")) as c:
        with pytest.raises(Unauthorized, match=r"^the API key was revoked or is wrong \(401\)$"):
            await c.list_computers()


async def test_429_carries_retry_after() -> None:
    answer = httpx.Response(429, headers={"Retry-After": "7"}, json={"error": "rate_limited"})
    async with client_answering(lambda r: answer) as c:
        with pytest.raises(RateLimited) as caught:
            await c.list_keys()
    assert caught.value.retry_after == 7.0


def timing_out(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


async def test_a_timeout_names_the_call_and_the_limit() -> None:
    async with client_answering(timing_out) as c:
        with pytest.raises(Timeout) as caught:
            await c.list_computers()
        assert str(caught.value) == "http://127.0.0.1:8765/v1/computers: no answer within 10 s"
        with pytest.raises(Timeout, match="within 600 s"):
            await c.build(CID)
    assert isinstance(caught.value, TransportError)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_refused_connection_on_a_real_closed_port() -> None:
    port = closed_port()
    async with OrbClient(f"http://127.0.0.1:{port}", KEY, timeout=2.0) as c:
        with pytest.raises(ConnectError) as caught:
            await c.list_computers()
    assert str(caught.value) == f"cannot reach http://127.0.0.1:{port}: connection refused"
    assert isinstance(caught.value, TransportError)


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (httpx.Response(200, text="<html>hi</html>", headers={"content-type": "text/html"}),
         ["not JSON", "200", "text/html"]),
        (httpx.Response(200, content=b'{"computers": [', headers={"content-type": "application/json"}),
         ["cut-off", "200", "application/json"]),
        (httpx.Response(200, json=["not", "an", "object"]), ["computer: expected an object"]),
        (httpx.Response(200, json=None), ["computer list", "null"]),
        (httpx.Response(200, json={"computers": "none"}), ["`computers`", "a list"]),
    ],
)  # fmt: skip
async def test_answers_that_are_not_what_the_api_promised(
    answer: httpx.Response, words: list[str]
) -> None:
    async with client_answering(lambda r: answer) as c:
        with pytest.raises(ProtocolError) as caught:
            await c.list_computers()
    for word in words:
        assert word in str(caught.value)


class CutOff(httpx.AsyncByteStream):
    """A body that breaks off after its first bytes, as a dropped connection does."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"computers": [{"id": '
        raise httpx.RemoteProtocolError("peer closed connection without sending complete body")


async def test_a_body_cut_off_mid_stream() -> None:
    answer = httpx.Response(200, headers={"content-type": "application/json"}, stream=CutOff())
    async with client_answering(lambda r: answer) as c:
        with pytest.raises(ProtocolError, match=r"cut off \(200, application/json\)"):
            await c.list_computers()


async def test_the_key_is_in_no_error_from_the_client() -> None:
    def leaky(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/exec"):
            raise httpx.ConnectError(f"connect to {request.url}?key={KEY} failed", request=request)
        if request.url.path.endswith("/build"):
            raise httpx.ReadTimeout(f"GET {request.url}?key={KEY}", request=request)
        return httpx.Response(500, json={"error": "boom", "message": f"bad key {KEY}"})

    errors: list[OrbError] = []
    async with client_answering(leaky) as c:
        assert KEY not in repr(c)
        for call in (c.exec(CID, "ls"), c.build(CID), c.list_computers()):
            with pytest.raises(OrbError) as caught:
                await call
            errors.append(caught.value)
    assert [type(e) for e in errors] == [ConnectError, Timeout, ServerError]
    for err in errors:
        assert KEY not in str(err) and KEY not in repr(err) and KEY not in err.message


async def test_a_redirect_is_not_followed_and_says_where() -> None:
    moved = httpx.Response(301, headers={"location": f"https://api.example/v1/computers?key={KEY}"})
    async with client_answering(lambda r: moved) as c:
        with pytest.raises(ProtocolError) as caught:
            await c.list_computers()
    assert str(caught.value) == (
        "http://127.0.0.1:8765/v1/computers redirected to https://api.example (301): "
        "set the API URL to that address"
    )
    assert KEY not in repr(caught.value)
