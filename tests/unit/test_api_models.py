"""The API models parse real-shaped answers and tolerate what the service varies."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from orb_tui.api import (
    Agent,
    AgentState,
    ApiKey,
    Build,
    Computer,
    ComputerList,
    ConfigUpload,
    CreatedKey,
    CreatedWebhook,
    Delivery,
    Demoted,
    Deployment,
    DirListing,
    ExecResult,
    LoginToken,
    Promoted,
    ProtocolError,
    Registration,
    Usage,
    Webhook,
)
from orb_tui.api.models import parse_list

CID = "abc12345-1234-5678-9abc-def012345678"
UTC = timezone.utc

COMPUTER = {
    "id": CID,
    "org_id": "org-1",
    "name": "my-agent",
    "runtime_mb": 1024,
    "disk_mb": 4096,
    "status": "ready",
    "agent_count": 0,
    "port_mappings": [{"host_port": 40001, "container_port": 8000}],
    "created_at": "2026-11-28T20:15:03Z",
    "has_config": True,
}


def test_computer_from_the_local_server() -> None:
    c = Computer.from_json(COMPUTER)
    assert c.id == CID and c.short_id == "abc12345"
    assert (c.name, c.runtime_mb, c.disk_mb, c.status, c.agent_count) == (
        "my-agent",
        1024,
        4096,
        "ready",
        0,
    )
    assert c.port_mappings[0].host_port == 40001 and c.port_mappings[0].container_port == 8000
    assert c.created_at == datetime(2026, 11, 28, 20, 15, 3, tzinfo=UTC)
    assert c.has_config is True
    assert c.extra == {}


def test_computer_as_the_reference_publishes_it() -> None:
    published = {k: v for k, v in COMPUTER.items() if k not in ("created_at", "has_config")}
    published["port_mappings"] = []
    c = Computer.from_json(published)
    assert c.created_at is None and c.has_config is None and c.port_mappings == ()


def test_unknown_fields_are_kept_in_extra_and_not_shown() -> None:
    c = Computer.from_json({**COMPUTER, "region": "eu-west", "tags": ["a"]})
    assert c.extra == {"region": "eu-west", "tags": ["a"]}
    assert "eu-west" not in repr(c)


def test_missing_optional_fields_take_defaults() -> None:
    c = Computer.from_json({"id": CID})
    assert (c.name, c.org_id, c.runtime_mb, c.status, c.agent_count) == ("", "", 0, "", 0)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"name": "x"}, ["computer", "`id`", "missing"]),
        ({"id": ["x"]}, ["computer", "`id`", "a list"]),
        ({"id": CID, "runtime_mb": "lots"}, ["`runtime_mb`", "whole number"]),
        ({"id": CID, "port_mappings": {"host_port": 1}}, ["`port_mappings`", "a list"]),
        ({"id": CID, "port_mappings": [{"host_port": 1}]}, ["port mapping", "`container_port`"]),
        ({"id": CID, "created_at": "yesterday"}, ["`created_at`", "not a date"]),
        ("ready", ["computer", "expected an object", "a string"]),
    ],
)
def test_a_wrong_shape_names_what_was_wrong(data: object, words: list[str]) -> None:
    with pytest.raises(ProtocolError) as caught:
        Computer.from_json(data)
    for word in words:
        assert word in str(caught.value)


def test_computer_list_wrapped_and_bare() -> None:
    wrapped = ComputerList.from_json({"computers": [COMPUTER], "total": 3})
    assert wrapped.total == 3 and wrapped.computers[0].id == CID
    bare = ComputerList.from_json([COMPUTER, {**COMPUTER, "id": "other"}])
    assert bare.total == 2 and [c.id for c in bare.computers] == [CID, "other"]
    assert ComputerList.from_json({"computers": []}).total == 0


@pytest.mark.parametrize("data", [{"computers": {"id": CID}}, {"items": []}, 3, None])
def test_computer_list_of_the_wrong_shape(data: object) -> None:
    with pytest.raises(ProtocolError, match="computer list"):
        ComputerList.from_json(data)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-28T20:15:03Z", datetime(2026, 11, 28, 20, 15, 3, tzinfo=UTC)),
        ("2026-11-28T21:15:03+01:00", datetime(2026, 11, 28, 20, 15, 3, tzinfo=UTC)),
        ("2026-11-28T20:15:03", datetime(2026, 11, 28, 20, 15, 3, tzinfo=UTC)),
        ("2026-11-28T20:15:03.123456789Z", datetime(2026, 11, 28, 20, 15, 3, 123456, tzinfo=UTC)),
        ("2026-11-28 20:15:03.5+00:00", datetime(2026, 11, 28, 20, 15, 3, 500000, tzinfo=UTC)),
        (1795896903, datetime(2026, 11, 28, 20, 15, 3, tzinfo=UTC)),
        (None, None),
    ],
)
def test_datetimes_in_the_forms_seen(text: object, expected: datetime | None) -> None:
    parsed = ApiKey.from_json({"key_id": "k", "created_at": text}).created_at
    assert parsed == expected


def test_keys_listed_and_created() -> None:
    listed = {"keys": [{"key_id": "k1", "name": "ci", "prefix": "orb_a1b2", "created_at": None}]}
    keys = parse_list(listed, "keys", ApiKey.from_json, "key list")
    assert keys == [ApiKey("k1", "ci", "orb_a1b2", None)]
    assert parse_list(listed["keys"], "keys", ApiKey.from_json, "key list") == keys
    created = CreatedKey.from_json({"key_id": "k2", "api_key": "orb_SECRETSECRET", "name": "p"})
    assert created.prefix == "orb_SECR"  # the cloud does not send one; derived from the key
    assert "SECRETSECRET" not in repr(created)


def test_credentials_never_appear_in_repr() -> None:
    reg = Registration.from_json({"tenant_id": "t1", "api_key": "YdZMsecretkey"})
    token = LoginToken.from_json({"token": "eyJsecret.jwt", "expires_in": 86400})
    hook = CreatedWebhook.from_json(
        {"id": "w", "url": "https://x/h", "events": ["agent.spawned"], "secret": "whsecret"}
    )
    assert reg.api_key == "YdZMsecretkey" and token.expires_in == 86400
    for model, secret in [(reg, "YdZMsecretkey"), (token, "eyJsecret"), (hook, "whsecret")]:
        assert secret not in repr(model) and secret not in str(model)


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("running", AgentState.RUNNING),
        ("RUNNING", AgentState.RUNNING),
        ("Frozen", AgentState.FROZEN),
        ("checkpointed", AgentState.CHECKPOINTED),
        ("FAILED", AgentState.FAILED),
        ("finished", AgentState.FINISHED),
        ("hibernating", AgentState.UNKNOWN),
        (None, AgentState.UNKNOWN),
        (7, AgentState.UNKNOWN),
    ],
)
def test_agent_state_in_any_case(state: object, expected: AgentState) -> None:
    assert AgentState.parse(state) is expected


def test_agents_listed_with_optional_fields() -> None:
    data = {
        "agents": [
            {"pid": 12, "port": 10001, "state": "Running", "name": "a", "lang": "python",
             "entry": "main.py", "started_at": "2026-11-28T20:15:03Z"},
            {"pid": 13, "port": 10002, "state": "failed", "name": "b", "lang": "node",
             "entry": "i.js", "started_at": "2026-11-28T20:15:03Z",
             "finished_at": "2026-11-28T20:16:03Z", "exit_code": 3, "stderr_tail": "boom"},
            {"pid": 14, "port": 10003, "state": "sleeping", "cpu": 0.5},
        ]
    }  # fmt: skip
    agents = parse_list(data, "agents", Agent.from_json, "agent list")
    assert agents[0].state is AgentState.RUNNING and agents[0].state_text == "Running"
    assert agents[0].exit_code is None and agents[0].finished_at is None
    assert (agents[1].state, agents[1].exit_code, agents[1].stderr_tail) == (
        AgentState.FAILED,
        3,
        "boom",
    )
    assert agents[2].state is AgentState.UNKNOWN and agents[2].state_text == "sleeping"
    assert agents[2].extra == {"cpu": 0.5}


def test_deployment_demote_and_promote() -> None:
    d = Deployment.from_json({"computer_id": CID, "deployed": 1, "agents": [{"pid": 5, "port": 9}]})
    assert d.deployed == 1 and d.agents[0].pid == 5 and d.agents[0].state is AgentState.UNKNOWN
    assert Demoted.from_json({"status": "demoted", "checkpoint_dir": "/x"}).checkpoint_dir == "/x"
    assert Promoted.from_json({"status": "promoted", "port": 10007}).port == 10007


def test_build_from_the_reference_and_the_local_server() -> None:
    published = {
        "computer_id": CID,
        "cloned": True,
        "steps": [
            {"step": "npm install", "exit_code": 0, "stdout": "ok", "stderr": ""},
            {"step": "npm build", "exit_code": 2, "stdout": "\x1b[31mfail", "stderr": "e"},
        ],
        "success": False,
    }
    b = Build.from_json(published)
    assert b.build_id is None and b.cloned and not b.success
    assert b.failed_step is not None and b.failed_step.step == "npm build"
    assert b.steps[1].stdout == "\x1b[31mfail" and b.steps[0].duration_ms is None
    local = {**published, "build_id": "b1", "started_at": "2026-11-28T20:15:03Z",
             "finished_at": "2026-11-28T20:15:04Z"}  # fmt: skip
    assert Build.from_json(local).build_id == "b1"
    without_success = {k: v for k, v in published.items() if k != "success"}
    assert Build.from_json(without_success).success is False


def test_config_upload_summary() -> None:
    u = ConfigUpload.from_json(
        {
            "computer_id": CID,
            "config_summary": {
                "agent": {"name": "bot", "lang": "python", "entry": "main.py"},
                "backend": {"provider": "anthropic"},
                "ports": [8000],
            },
            "source": "uploaded",
        }
    )
    assert (u.summary.agent_name, u.summary.agent_lang, u.summary.agent_entry) == (
        "bot",
        "python",
        "main.py",
    )
    assert u.summary.raw["backend"] == {"provider": "anthropic"}
    assert u.summary.extra == {"backend": {"provider": "anthropic"}, "ports": [8000]}


def test_exec_result_from_the_reference_and_a_timeout() -> None:
    plain = ExecResult.from_json({"stdout": "hi\n", "stderr": "", "exit_code": 0})
    assert plain == ExecResult("hi\n", "", 0, False, None)
    timed = ExecResult.from_json(
        {"stdout": "", "stderr": "", "exit_code": 124, "timed_out": True, "duration_ms": 1000}
    )
    assert timed.timed_out and timed.exit_code == 124
    with pytest.raises(ProtocolError, match="exit_code"):
        ExecResult.from_json({"stdout": "", "stderr": ""})


def test_directory_listing_forms() -> None:
    local = DirListing.from_json(
        {
            "path": "/agent/code",
            "files": [
                {
                    "name": "src",
                    "type": "directory",
                    "size": None,
                    "modified": "2026-11-28T20:15:03Z",
                },
                {"name": "a.py", "type": "file", "size": 12, "modified": "2026-11-28T20:15:03Z"},
            ],
        }
    )
    assert local.path == "/agent/code" and local.files[0].is_dir and not local.files[1].is_dir
    assert local.files[1].size == 12
    bare = DirListing.from_json([{"name": "logs", "type": "DIR"}, {"name": "x", "is_dir": True}])
    assert bare.path == "" and all(f.is_dir for f in bare.files)
    assert not DirListing.from_json({"files": [{"name": "y"}]}).files[0].is_dir


def test_usage_with_and_without_daily() -> None:
    u = Usage.from_json(
        {
            "period_start": "2026-11-01T00:00:00Z",
            "period_end": "2026-11-28T00:00:00Z",
            "runtime_gb_hours": 1.5,
            "disk_gb_hours": 20,
            "computers_created": 2,
            "computers_destroyed": 1,
            "checkpoint_cycles": 0,
            "daily": [{"date": "2026-11-28", "runtime_gb_hours": 0.5, "disk_gb_hours": 1}],
        }
    )
    assert u.disk_gb_hours == 20.0 and isinstance(u.disk_gb_hours, float)
    assert u.daily[0].date == date(2026, 11, 28) and u.daily[0].disk_gb_hours == 1.0
    published = Usage.from_json({"period_start": None, "period_end": None, "runtime_gb_hours": 0})
    assert published.daily == () and published.computers_created == 0


def test_webhooks_and_deliveries() -> None:
    hooks = parse_list(
        {"webhooks": [{"id": "w1", "url": "https://h/x", "events": ["computer.created"],
                       "created_at": "2026-11-28T20:15:03Z"}]},
        "webhooks", Webhook.from_json, "webhook list",
    )  # fmt: skip
    assert hooks[0].events == ("computer.created",)
    with pytest.raises(ProtocolError, match="events"):
        Webhook.from_json({"id": "w", "url": "u", "events": "computer.created"})
    d = Delivery.from_json(
        {"id": "d1", "event_id": "e1", "type": "computer.created", "attempt": 2,
         "status_code": None, "error": "connection refused", "success": False,
         "created_at": "2026-11-28T20:15:03Z"}
    )  # fmt: skip
    assert d.status_code is None and d.error == "connection refused" and d.attempt == 2


def test_models_are_frozen() -> None:
    c = Computer.from_json(COMPUTER)
    with pytest.raises(AttributeError):
        c.name = "other"  # type: ignore[misc]
