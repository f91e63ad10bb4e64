"""Nothing a computer's user sends or plants reaches outside its `/agent`: the files routes, deleting
the computer, and the host-side writes the server does for it (agent logs, checkpoints, source).

tests/contract/test_files.py checks the plain `..` and symlink reads; this adds the other spellings,
the `?path=` form, links into a sibling computer, loops, and the routes that write.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx
import pytest
from sec_box import CONFIG, Box

from orb_tui.server import files


@pytest.fixture
def planted(box: Box, tmp_path: Path) -> Path:
    """Links in the computer's /agent/data pointing out of it; returns a host folder with a secret."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("host secret\n")
    data = box.root / "agent" / "data"
    (data / "out-dir").symlink_to(outside)
    (data / "out-abs-file").symlink_to(outside / "secret.txt")
    (data / "up").symlink_to("../..")  # the computer's folder: limits.json, source/
    (data / "loop-a").symlink_to("loop-b")
    (data / "loop-b").symlink_to("loop-a")
    return outside


ESCAPES = [
    "agent/data/out-dir/secret.txt",
    "agent/data/out-abs-file",
    "agent/data/up/limits.json",
    "agent/data/up",
    "agent/data/loop-a",
    "agent/data/out-dir",
    "agent%2Fdata%2F..%2F..%2Flimits.json",
    "agent/data/%2e%2e/%2e%2e/limits.json",
    "agent/data/%252e%252e/%252e%252e/limits.json",
    "agent/data/..%5C..%5Climits.json",
    "agent/data/%00/../../limits.json",
    "/etc/passwd",
    "%2Fetc%2Fpasswd",
    "agent/../../../../etc/passwd",
    "agent/./data/../../limits.json",
]


@pytest.mark.parametrize("form", ["path", "query"])
async def test_no_spelling_of_a_path_leaves_agent(box: Box, planted: Path, form: str) -> None:
    base = f"/v1/computers/{box.computer_id}/files"
    for path in ESCAPES:
        url = f"{base}/{path}" if form == "path" else f"{base}?path={path}"
        answer = await box.http.get(url)
        assert answer.status_code == 404, (url, answer.status_code, answer.text[:200])
        assert answer.json()["error"] == "not_found"
        assert "host secret" not in answer.text and "runtime_mb" not in answer.text


async def test_a_listing_shows_links_without_following_them(box: Box, planted: Path) -> None:
    answer = await box.http.get(f"/v1/computers/{box.computer_id}/files/agent/data")
    entries = {entry["name"]: entry for entry in answer.json()["files"]}
    # a link is listed as what it is on disk (its own size is the length of its target text)
    assert entries["out-dir"]["type"] == "file"
    assert entries["out-dir"]["size"] == len(str(planted))
    assert "secret.txt" not in answer.text


async def test_a_link_into_another_computer_is_404(box: Box) -> None:
    other = (await box.http.post("/v1/computers", json={"name": "sibling"})).json()["id"]
    sibling = box.root.parent / other / "agent" / "data"
    (sibling / "theirs.txt").write_text("sibling data\n")
    (box.root / "agent" / "data" / "peer").symlink_to(f"../../../{other}/agent/data")
    for path in ("agent/data/peer", "agent/data/peer/theirs.txt"):
        answer = await box.http.get(f"/v1/computers/{box.computer_id}/files/{path}")
        assert answer.status_code == 404, path
    await box.http.delete(f"/v1/computers/{other}")


async def test_deleting_a_computer_leaves_what_its_links_point_at(box: Box, planted: Path) -> None:
    (box.root / "agent" / "code" / "host-link").symlink_to(planted)
    assert (await box.http.delete(f"/v1/computers/{box.computer_id}")).status_code == 200
    assert not box.root.exists()
    assert (planted / "secret.txt").read_text() == "host secret\n"


async def test_writes_through_a_planted_link_stay_in_the_sandbox(
    sandboxed_box: Box, planted: Path
) -> None:
    box = sandboxed_box
    result = await box.exec(
        f"echo pwned > /agent/data/out-abs-file; echo pwned > {planted}/secret.txt;"
        f" rm -rf /agent/data/out-dir/; ls {planted}"
    )
    assert result["exit_code"] != 0 or "secret.txt" not in str(result["stdout"])
    assert (planted / "secret.txt").read_text() == "host secret\n"


async def test_agent_logs_and_checkpoints_never_follow_a_link_out(box: Box, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    # a name that walks up, then a logs folder swapped for a link: neither writes outside
    config = CONFIG.replace('name = "a"', 'name = "../../../../../../../../tmp/evil"')
    (box.root / "agent" / "code" / "main.py").write_text("import time\ntime.sleep(60)\n")
    assert (await box.upload(config)).status_code == 200
    deployed = await box.http.post(f"/v1/computers/{box.computer_id}/agents", json={})
    assert deployed.status_code == 200, deployed.text
    port = deployed.json()["agents"][0]["port"]
    logs = sorted(os.listdir(box.root / "agent" / ".orb" / "logs"))
    assert logs == [f"_.._.._.._.._.._.._.._tmp_evil-{port}.log"]
    checkpoints = box.root / "agent" / ".orb" / "checkpoints"
    checkpoints.mkdir(exist_ok=True)
    (checkpoints / str(port)).symlink_to(victim)
    demote = await box.http.post(
        f"/v1/computers/{box.computer_id}/agents/demote", json={"port": port}
    )
    assert demote.status_code == 409, demote.text
    assert os.listdir(victim) == []
    agents = (await box.http.get(f"/v1/computers/{box.computer_id}/agents")).json()["agents"]
    assert agents[0]["state"] == "running"  # refused before it was stopped
    logs_dir = box.root / "agent" / ".orb" / "logs"
    subprocess.run(["rm", "-rf", str(logs_dir)], check=True)
    logs_dir.symlink_to(victim)
    again = await box.http.post(f"/v1/computers/{box.computer_id}/agents", json={})
    assert again.status_code == 409, again.text
    assert "cannot be written" in again.json()["message"]
    assert os.listdir(victim) == []


async def test_a_build_never_runs_git_config_the_computer_wrote(
    sandboxed_box: Box, tmp_path: Path
) -> None:
    box = sandboxed_box
    repo = tmp_path / "repo"
    _git_repo(repo)
    canary = tmp_path / "ran-on-the-host"
    victim = tmp_path / "victim"
    victim.mkdir()
    config = CONFIG + f'[source]\ngit = "{repo}"\nbranch = "trunk"\n'
    assert (await box.upload(config)).status_code == 200
    assert (await _build(box.http, box.computer_id))["success"]
    # the computer arms its checkout: a command for git to run, and hooks
    await box.exec(
        f"cd /agent/code && git config core.fsmonitor 'touch {canary}; false'"
        f" && git config core.hooksPath /agent/data && printf '#!/bin/sh\\ntouch {canary}\\n'"
        " > /agent/data/post-checkout && chmod +x /agent/data/post-checkout"
    )
    (repo / "VERSION").write_text("v2\n")
    _git(repo, "commit", "-qam", "second")
    second = await _build(box.http, box.computer_id)
    assert second["success"], second
    assert not canary.exists(), "git on the host ran a command the computer wrote"
    assert (box.root / "agent" / "code" / "VERSION").read_text() == "v2\n"
    # and /agent/code swapped for a link to a host folder: the checkout lands in the sandbox
    await box.exec(f"rm -rf /agent/code && ln -s {victim} /agent/code")
    await _build(box.http, box.computer_id)
    assert os.listdir(victim) == []


async def _build(http: httpx.AsyncClient, computer_id: str) -> dict[str, object]:
    answer = await http.post(f"/v1/computers/{computer_id}/build")
    assert answer.status_code == 200, answer.text
    result: dict[str, object] = answer.json()
    return result


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@x", "-c", "user.name=t", *args],
                   cwd=repo, check=True, capture_output=True)  # fmt: skip


def _git_repo(repo: Path) -> None:
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "trunk")
    (repo / "VERSION").write_text("v1\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "first")


async def test_root_in_a_computer_has_no_capabilities(sandboxed_box: Box) -> None:
    result = await sandboxed_box.exec(
        "grep CapEff /proc/self/status; mknod /tmp/disk b 8 0 && echo MKNOD;"
        " mount -t tmpfs x /tmp && echo MOUNTED; id -u"
    )
    assert "CapEff:\t0000000000000000\n" in str(result["stdout"]), result
    assert "MKNOD" not in str(result["stdout"]) and "MOUNTED" not in str(result["stdout"])
    assert str(result["stdout"]).endswith("0\n")  # still uid 0 for its own files


def test_a_folder_swapped_for_a_link_after_resolving_is_not_followed(tmp_path: Path) -> None:
    # the race a process in the computer can run against a read: `resolve` sees a real folder,
    # then the folder becomes a link to the host before the file is opened
    root = tmp_path / "computer"
    real = root / "agent" / "data" / "d"
    real.mkdir(parents=True)
    (real / "secret.txt").write_text("the computer's own\n")
    (tmp_path / "host").mkdir()
    (tmp_path / "host" / "secret.txt").write_text("host secret\n")
    target = files.resolve(root, "agent/data/d/secret.txt")
    assert target is not None
    real.rename(root / "agent" / "data" / "moved")
    real.symlink_to(tmp_path / "host")
    assert files.open_real(root, target) is None
