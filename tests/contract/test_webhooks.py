"""Contract: webhook subscriptions, signed deliveries to a real receiver, retries, delivery records."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import pytest
from server_harness import RunningServer

from orb_tui.api.client import OrbClient
from orb_tui.api.errors import NotFound, ValidationFailed

AGENT = '[agent]\nname = "ev"\nlang = "python"\nentry = "main.py"\n'


@dataclass
class Received:
    """One POST the receiver got."""

    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A tiny HTTP server on loopback that records POSTs and answers the statuses it is told."""

    statuses: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    url: str = ""
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")[1:]
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines if x)
        }
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.received.append(Received(headers, body))
        self.arrived.set()
        status = self.statuses.pop(0) if self.statuses else 200
        writer.write(
            f"HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        writer.close()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    got = Receiver()
    server = await asyncio.start_server(got.handle, "127.0.0.1", 0)
    got.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hook"
    async with server:
        yield got


async def until(
    check: Callable[[], Awaitable[bool]], timeout: float = 15.0, state: Callable[[], object] = str
) -> None:
    """Poll an async condition until it holds or the deadline passes (then show `state()`)."""
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, f"condition not met in time: {state()}"
        await asyncio.sleep(0.05)


async def test_create_list_delete(client: OrbClient) -> None:
    created = await client.create_webhook("https://example.com/h", ["computer.created"])
    assert len(created.secret) >= 32
    listed = await client.list_webhooks()
    assert [(w.id, w.url, tuple(w.events)) for w in listed] == [
        (created.id, "https://example.com/h", ("computer.created",))
    ]
    await client.delete_webhook(created.id)
    assert await client.list_webhooks() == []
    with pytest.raises(NotFound):
        await client.delete_webhook(created.id)
    with pytest.raises(NotFound):
        await client.list_deliveries(created.id)


async def test_the_secret_is_shown_only_at_create(http: httpx.AsyncClient) -> None:
    made = await http.post(
        "/v1/webhooks", json={"url": "http://h.example/x", "events": ["agent.finished"]}
    )
    assert made.status_code == 201
    assert set(made.json()) == {"id", "url", "events", "secret", "created_at"}
    listed = (await http.get("/v1/webhooks")).json()["webhooks"]
    assert set(listed[0]) == {"id", "url", "events", "created_at"}
    assert made.json()["secret"] not in json.dumps(listed)


@pytest.mark.parametrize(
    ("url", "events", "field"),
    [
        ("ftp://example.com/x", ["computer.created"], "url"),
        ("example.com/x", ["computer.created"], "url"),
        ("http://", ["computer.created"], "url"),
        ("https://example.com/x", ["computer.exploded"], "events"),
        ("https://example.com/x", [], "events"),
    ],
)
async def test_bad_url_or_event_is_422(
    client: OrbClient, url: str, events: list[str], field: str
) -> None:
    with pytest.raises(ValidationFailed, match=field):
        await client.create_webhook(url, events)


async def test_delivery_is_signed_and_recorded(client: OrbClient, receiver: Receiver) -> None:
    hook = await client.create_webhook(receiver.url, ["computer.created", "computer.destroyed"])
    computer = await client.create_computer("hooked")
    await asyncio.wait_for(receiver.arrived.wait(), 15)
    got = receiver.received[0]
    expected = "sha256=" + hmac.new(hook.secret.encode(), got.body, hashlib.sha256).hexdigest()
    assert got.headers["x-orb-signature"] == expected
    assert got.headers["x-orb-event"] == "computer.created"
    event = json.loads(got.body)
    assert set(event) == {"id", "type", "created_at", "data"}
    assert event["type"] == "computer.created"
    assert event["data"]["computer"]["id"] == computer.id

    async def recorded() -> bool:
        return len(await client.list_deliveries(hook.id)) == 1

    await until(recorded)
    [delivery] = await client.list_deliveries(hook.id)
    assert (delivery.event_id, delivery.type, delivery.attempt) == (
        event["id"],
        "computer.created",
        1,
    )
    assert (delivery.status_code, delivery.success) == (200, True)


async def test_failures_are_retried_until_a_2xx(client: OrbClient, receiver: Receiver) -> None:
    receiver.statuses = [500, 503]
    hook = await client.create_webhook(receiver.url, ["computer.destroyed"])
    computer = await client.create_computer("retry")
    await client.delete_computer(computer.id)

    async def three() -> bool:
        return len(await client.list_deliveries(hook.id)) == 3

    await until(three)
    deliveries = await client.list_deliveries(hook.id)
    assert [(d.attempt, d.status_code, d.success) for d in deliveries] == [
        (3, 200, True), (2, 503, False), (1, 500, False),
    ]  # fmt: skip
    assert len({d.event_id for d in deliveries}) == 1
    assert [r.headers["x-orb-event"] for r in receiver.received] == ["computer.destroyed"] * 3


async def test_an_unreachable_url_records_the_error(client: OrbClient) -> None:
    hook = await client.create_webhook("http://127.0.0.1:9/nothing", ["computer.created"])
    await client.create_computer("nobody-listens")

    async def tried() -> bool:
        return bool(await client.list_deliveries(hook.id))

    await until(tried)
    first = (await client.list_deliveries(hook.id))[-1]
    assert (first.attempt, first.success, first.status_code) == (1, False, None)
    assert first.error


async def test_only_subscribed_events_are_sent(client: OrbClient, receiver: Receiver) -> None:
    await client.create_webhook(receiver.url, ["computer.destroyed"])
    computer = await client.create_computer("quiet")
    await client.delete_computer(computer.id)
    await asyncio.wait_for(receiver.arrived.wait(), 15)
    assert [json.loads(r.body)["type"] for r in receiver.received] == ["computer.destroyed"]


async def test_agent_events_are_delivered(
    client: OrbClient, receiver: Receiver, server: RunningServer
) -> None:
    events = ["agent.spawned", "agent.checkpointed", "agent.restored"]
    await client.create_webhook(receiver.url, events)
    computer = await client.create_computer("agent-events")
    code = server.state_dir / "computers" / computer.id / "agent" / "code"
    (code / "main.py").write_text("import time\ntime.sleep(600)\n")
    await client.upload_config(computer.id, AGENT)
    port = (await client.deploy(computer.id)).agents[0].port
    assert port is not None
    await client.demote(computer.id, port)
    await client.promote(computer.id, port)

    async def all_three() -> bool:
        return len(receiver.received) >= 3

    await until(all_three, state=lambda: [r.headers["x-orb-event"] for r in receiver.received])
    bodies = [json.loads(r.body) for r in receiver.received]
    assert sorted(b["type"] for b in bodies) == sorted(events)  # each its own delivery: any order
    assert {b["data"]["computer_id"] for b in bodies} == {computer.id}
    assert {b["data"]["agent"]["port"] for b in bodies} == {port}
    states = {b["type"]: b["data"]["agent"]["state"] for b in bodies}
    assert states == {"agent.spawned": "running", "agent.checkpointed": "checkpointed",
                      "agent.restored": "running"}  # fmt: skip


async def test_an_agent_that_exits_sends_finished(
    client: OrbClient, receiver: Receiver, server: RunningServer
) -> None:
    await client.create_webhook(receiver.url, ["agent.finished"])
    computer = await client.create_computer("agent-exits")
    code = server.state_dir / "computers" / computer.id / "agent" / "code"
    (code / "main.py").write_text("import sys\nprint('bye', file=sys.stderr)\nsys.exit(3)\n")
    await client.upload_config(computer.id, AGENT)
    await client.deploy(computer.id)
    await asyncio.wait_for(receiver.arrived.wait(), 15)
    [event] = [json.loads(r.body) for r in receiver.received]
    assert event["type"] == "agent.finished"
    agent = event["data"]["agent"]
    assert (agent["state"], agent["exit_code"], agent["stderr_tail"]) == ("failed", 3, "bye\n")
