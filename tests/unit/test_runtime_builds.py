"""Runtime builds from a real local git repository: clone, fetch and reset, steps stopping at a failure."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from proc_probe import zombie_children

from orb_tui.server.runtime import Runtime
from orb_tui.server.sandbox import bwrap_usable

STEPS = ["cat VERSION > built.txt", "echo failing >&2; exit 4", "touch third-step-ran"]


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def commit(repo: Path, version: str) -> None:
    (repo / "VERSION").write_text(version)
    git(repo, "add", "VERSION")
    git(repo, "commit", "-q", "-m", version)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    commit(path, "1")
    return path


@pytest.fixture(params=[True, False], ids=["bwrap", "plain"])
async def runtime(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Runtime]:
    if request.param and not bwrap_usable():
        pytest.skip("bubblewrap is not usable on this machine")
    runtime = Runtime(tmp_path / "state", sandbox=request.param)
    runtime.prepare("c1", runtime_mb=512, disk_mb=1024)
    yield runtime
    await runtime.shutdown()
    assert zombie_children() == []


async def test_steps_stop_at_the_first_failure(runtime: Runtime, repo: Path) -> None:
    build = await runtime.build("c1", git=str(repo), branch="main", steps=STEPS, working_dir="")
    assert build.cloned and not build.success
    assert [(s.step, s.exit_code) for s in build.steps] == [(STEPS[0], 0), (STEPS[1], 4)]
    assert build.steps[1].stderr == "failing\n"
    code = runtime.computer_root("c1") / "agent" / "code"
    assert (code / "built.txt").read_text() == "1"
    assert not (code / "third-step-ran").exists()


async def test_a_later_build_fetches_and_resets(runtime: Runtime, repo: Path) -> None:
    url = f"file://{repo}"
    await runtime.build("c1", git=url, branch="main", steps=[], working_dir="/agent/code")
    code = runtime.computer_root("c1") / "agent" / "code"
    (code / "VERSION").write_text("local edit")
    commit(repo, "2")
    build = await runtime.build(
        "c1", git=url, branch="main", steps=["cat VERSION"], working_dir="/agent/code"
    )
    assert build.success and build.cloned
    assert build.steps[0].stdout == "2"


async def test_a_clone_failure_is_a_failed_step(runtime: Runtime, tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-repo")
    build = await runtime.build("c1", git=missing, branch="main", steps=STEPS, working_dir="")
    assert not build.success and not build.cloned
    [step] = build.steps
    assert step.step == f"git clone {missing}" and step.exit_code != 0
    assert "no-such-repo" in step.stderr


async def test_steps_without_source_run_in_working_dir(runtime: Runtime) -> None:
    build = await runtime.build(
        "c1", git=None, branch="main", steps=["pwd", "ls missing"], working_dir="/agent/data"
    )
    assert not build.cloned and not build.success
    agent = "/agent" if runtime.sandboxed else str(runtime.computer_root("c1") / "agent")
    assert build.steps[0].stdout == f"{agent}/data\n"
    assert build.steps[1].exit_code == 2


async def test_a_missing_working_dir_fails_the_first_step(runtime: Runtime) -> None:
    build = await runtime.build(
        "c1", git=None, branch="main", steps=["true", "true"], working_dir="/agent/code/nope"
    )
    assert [s.exit_code for s in build.steps] == [1]
    assert "does not exist" in build.steps[0].stderr


def test_credentials_in_a_url_are_not_shown() -> None:
    from orb_tui.server.builds import redact

    assert redact("https://user:s3cret@example.com/r.git") == "https://***@example.com/r.git"
    assert redact("/srv/repo") == "/srv/repo"
