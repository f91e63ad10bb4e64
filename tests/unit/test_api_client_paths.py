"""OrbClient builds the right URLs, headers and bodies, and applies its documented rules."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from orb_tui.api import FileTooLarge, NotFound, OrbClient, Unauthorized

KEY = "orb_pathsK3y+/=_secret"
CID = "abc12345-1234-5678-9abc-def012345678"
COMPUTER = {"id": CID, "name": "c"}

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport that records every request and answers with `respond`."""

    def __init__(self, respond: Handler | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.respond = respond or (lambda r: httpx.Response(200, json={}))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.respond(request)

    def client(self, base_url: str = "http://127.0.0.1:8765", key: str | None = KEY) -> OrbClient:
        return OrbClient(base_url, key, transport=httpx.MockTransport(self))

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


def raw_path(request: httpx.Request) -> str:
    return request.url.raw_path.decode()


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", f"/v1/computers/{CID}/files"),
        ("", f"/v1/computers/{CID}/files"),
        ("/agent/code", f"/v1/computers/{CID}/files/agent/code"),
        ("agent/code/", f"/v1/computers/{CID}/files/agent/code"),
        ("//agent//code", f"/v1/computers/{CID}/files/agent/code"),
        ("/agent/my dir/a#b?.txt", f"/v1/computers/{CID}/files/agent/my%20dir/a%23b%3F.txt"),
        ("/agent/100%.log", f"/v1/computers/{CID}/files/agent/100%25.log"),
        ("/agent/café", f"/v1/computers/{CID}/files/agent/caf%C3%A9"),
        ("/agent/./code/../data", f"/v1/computers/{CID}/files/agent/data"),
        ("/agent/../../config", f"/v1/computers/{CID}/files/config"),  # never .../config
    ],
)
async def test_file_paths_are_encoded_per_segment(path: str, expected: str) -> None:
    rec = Recorder(lambda r: httpx.Response(200, json={"files": []}))
    async with rec.client() as c:
        listing = await c.list_files(CID, path)
    assert raw_path(rec.last) == expected
    assert listing.path == path  # filled in when the server does not echo it


async def test_ids_are_single_segments() -> None:
    rec = Recorder(lambda r: httpx.Response(200, json=COMPUTER))
    async with rec.client() as c:
        await c.get_computer("a/b c?")
        await c.delete_webhook("../keys")
    assert raw_path(rec.requests[0]) == "/v1/computers/a%2Fb%20c%3F"
    assert raw_path(rec.requests[1]) == "/v1/webhooks/..%2Fkeys"


@pytest.mark.parametrize(
    "base", ["https://orb.example/api", "https://orb.example/api/", "https://orb.example/api//"]
)
async def test_a_base_path_prefix_is_kept(base: str) -> None:
    rec = Recorder(lambda r: httpx.Response(200, json={"computers": [], "total": 0}))
    async with rec.client(base) as c:
        await c.list_computers()
    assert str(rec.last.url) == "https://orb.example/api/v1/computers"


async def test_bearer_header_follows_the_settable_key() -> None:
    rec = Recorder(lambda r: httpx.Response(200, json={"keys": []}))
    async with rec.client(key=None) as c:
        await c.list_keys()
        c.api_key = "later-key"
        await c.list_keys()
    assert "authorization" not in rec.requests[0].headers
    assert rec.requests[1].headers["authorization"] == "Bearer later-key"


async def test_register_and_login_bodies() -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("register"):
            return httpx.Response(201, json={"tenant_id": "t", "api_key": "k"})
        return httpx.Response(200, json={"token": "jwt", "expires_in": 86400})

    rec = Recorder(respond)
    async with rec.client(key=None) as c:
        assert (await c.register("me@example.com")).tenant_id == "t"
        assert (await c.login("k")).expires_in == 86400
    assert [raw_path(r) for r in rec.requests] == ["/api/v1/auth/register", "/api/v1/auth/login"]
    assert json.loads(rec.requests[0].content) == {"email": "me@example.com"}
    assert json.loads(rec.requests[1].content) == {"api_key": "k"}


async def test_config_upload_is_raw_toml() -> None:
    rec = Recorder(lambda r: httpx.Response(200, json={"computer_id": CID, "source": "uploaded"}))
    text = '[agent]\nname = "bot"  # café\n'
    async with rec.client() as c:
        upload = await c.upload_config(CID, text)
    assert upload.summary.agent_name == "" and upload.source == "uploaded"
    assert rec.last.headers["content-type"] == "application/toml"
    assert rec.last.content == text.encode()


async def test_exec_sends_a_timeout_only_when_given() -> None:
    rec = Recorder(lambda r: httpx.Response(200, json={"stdout": "", "stderr": "", "exit_code": 0}))
    async with rec.client() as c:
        await c.exec(CID, "ls -la")
        await c.exec(CID, "sleep 100", timeout=120)
    assert json.loads(rec.requests[0].content) == {"command": "ls -la"}
    assert json.loads(rec.requests[1].content) == {"command": "sleep 100", "timeout": 120}
    assert rec.requests[1].extensions["timeout"]["read"] == 130.0  # outlives the command


async def test_usage_dates_are_utc_with_z() -> None:
    rec = Recorder(lambda r: httpx.Response(200, json={"period_start": None, "period_end": None}))
    start = datetime(2026, 3, 1, 1, 0, tzinfo=timezone(timedelta(hours=1)))
    async with rec.client() as c:
        await c.usage(start, datetime(2026, 3, 15, 23, 59, 59))
        await c.usage()
    assert rec.requests[0].url.params["start"] == "2026-03-01T00:00:00Z"
    assert rec.requests[0].url.params["end"] == "2026-03-15T23:59:59Z"
    assert str(rec.requests[1].url) == "http://127.0.0.1:8765/v1/usage"


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("http://127.0.0.1:8765", f"ws://127.0.0.1:8765/v1/computers/{CID}/terminal"),
        ("https://api.orbcloud.dev/", f"wss://api.orbcloud.dev/v1/computers/{CID}/terminal"),
        ("https://h.example/orb", f"wss://h.example/orb/v1/computers/{CID}/terminal"),
    ],
)
async def test_terminal_urls(base: str, expected: str) -> None:
    async with Recorder().client(base) as c:
        term = c.terminal(CID, cols=132, rows=43)
    assert term.url == expected
    query = httpx.URL(term.connect_url).params
    assert (query["key"], query["cols"], query["rows"]) == (KEY, "132", "43")
    assert "%2B" in term.connect_url and KEY not in repr(term)  # the key is query-encoded


async def test_terminal_without_a_key_asks_to_sign_in() -> None:
    async with Recorder().client(key=None) as c:
        with pytest.raises(Unauthorized, match="sign in"):
            c.terminal(CID)


async def test_get_config_text_none_or_not_found() -> None:
    answers = {
        "a": httpx.Response(200, text='[agent]\nname = "x"\n', headers={"content-type": "application/toml"}),
        "b": httpx.Response(404, json={"error": "no_config", "message": "no config uploaded yet"}),
        "c": httpx.Response(404, json={"error": "not_found", "message": "computer c not found"}),
        "d": httpx.Response(200, json={"config": "[agent]\n"}),
    }  # fmt: skip
    rec = Recorder(lambda r: answers[r.url.path.split("/")[3]])
    async with rec.client() as c:
        assert await c.get_config("a") == '[agent]\nname = "x"\n'
        assert await c.get_config("b") is None
        with pytest.raises(NotFound, match="computer c not found"):
            await c.get_config("c")
        assert await c.get_config("d") == "[agent]\n"


async def test_list_builds_rule_for_a_404() -> None:
    build = {"computer_id": CID, "build_id": "b1", "cloned": False, "steps": [], "success": True}

    def respond(request: httpx.Request) -> httpx.Response:
        computer = request.url.path.split("/")[3]
        if computer == "gone":
            return httpx.Response(404, json={"error": "not_found", "message": "computer gone"})
        if request.url.path.endswith("/builds"):
            if computer == "cloud":
                return httpx.Response(404, json={"error": "not found"})
            return httpx.Response(200, json={"builds": [build]})
        return httpx.Response(200, json={"id": computer})

    rec = Recorder(respond)
    async with rec.client() as c:
        assert [b.build_id for b in await c.list_builds("local")] == ["b1"]
        assert await c.list_builds("cloud") == []  # the endpoint is missing: no history
        with pytest.raises(NotFound):
            await c.list_builds("gone")
    assert [raw_path(r) for r in rec.requests] == [
        "/v1/computers/local/builds",
        "/v1/computers/cloud/builds",
        "/v1/computers/cloud",  # a 404: does the computer exist?
        "/v1/computers/gone/builds",
        "/v1/computers/gone",
    ]


class Chunks(httpx.AsyncByteStream):
    """A body of `count` chunks of 64 KiB, with no Content-Length."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.count):
            self.sent += 1
            yield b"x" * 65536


async def test_read_file_within_and_over_the_cap() -> None:
    endless = Chunks(1000)
    answers = {
        "small.txt": lambda: httpx.Response(200, content=b"hello\x00world"),
        "declared.bin": lambda: httpx.Response(200, content=b"y" * 5000),
        "stream.log": lambda: httpx.Response(200, stream=endless),
    }
    rec = Recorder(lambda r: answers[r.url.path.rsplit("/", 1)[1]]())
    async with rec.client() as c:
        assert await c.read_file(CID, "/agent/small.txt") == b"hello\x00world"
        with pytest.raises(FileTooLarge, match="larger than 4096 bytes") as caught:
            await c.read_file(CID, "/agent/declared.bin", max_bytes=4096)
        assert caught.value.size == 5000 and caught.value.limit == 4096
        with pytest.raises(FileTooLarge, match="larger than 1 MiB"):
            await c.read_file(CID, "/agent/stream.log", max_bytes=1 << 20)
    assert endless.sent <= 17  # stopped reading soon after the cap, not at the end
