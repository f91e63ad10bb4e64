"""Builds: clone or update `[source] git` into /agent/code, then run `[build] steps` until one fails."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from orb_tui.server import exec as exec_
from orb_tui.server.processes import Child
from orb_tui.server.sandbox import PATH, Box, Sandbox

STEP_TIMEOUT = 600.0
GIT_TIMEOUT = 600.0


@dataclass(frozen=True)
class StepOutcome:
    """One build step, or the failed clone (named `git clone <url>`)."""

    step: str
    exit_code: int
    stdout: str
    stderr: str
    duration_ms: int


@dataclass(frozen=True)
class BuildOutcome:
    """A whole build; `cloned` is true when this build cloned or updated the source from git."""

    cloned: bool
    steps: list[StepOutcome]
    success: bool


Track = Callable[[Child], Callable[[], None]]
"""Registers a started child with the runtime (so destroy can kill it); returns the unregister."""


def redact(url: str) -> str:
    """`url` without a password or token in its user part."""
    return re.sub(r"(?<=://)[^/@]*@", "***@", url)


async def _run(child: Child, track: Track, timeout: float) -> exec_.ExecOutcome:
    untrack = track(child)
    try:
        return await exec_.complete(child, timeout)
    finally:
        untrack()


async def fetch_source(
    sandbox: Sandbox, box: Box, git: str, branch: str, track: Track
) -> StepOutcome | None:
    """Clone `branch` of `git` into /agent/code (or fetch and reset it); a StepOutcome on failure.

    git runs on the host, so a local path or file:// URL of the host works; it never runs hooks
    from the fetched repository.
    """
    code = box.agent_dir / "code"
    env = {"PATH": PATH, "HOME": str(box.root), "LANG": "C.UTF-8", "GIT_TERMINAL_PROMPT": "0"}
    if (code / ".git").exists():
        name = f"git fetch {redact(git)}"
        commands = [
            ["git", "-C", str(code), "fetch", "--quiet", "--", git, branch],
            ["git", "-C", str(code), "reset", "--quiet", "--hard", "FETCH_HEAD"],
        ]
    else:
        name = f"git clone {redact(git)}"
        code.mkdir(parents=True, exist_ok=True)
        clone = ["git", "clone", "--quiet", "--branch", branch, "--single-branch"]
        commands = [[*clone, "--", git, str(code)]]
    for argv in commands:
        child = sandbox.spawn_host(box, argv, cwd=box.root, env=env)
        done = await _run(child, track, GIT_TIMEOUT)
        if done.exit_code != 0:
            return StepOutcome(name, done.exit_code, done.stdout, done.stderr, done.duration_ms)
    return None


async def run_build(
    sandbox: Sandbox,
    box: Box,
    *,
    git: str | None,
    branch: str,
    steps: list[str],
    working_dir: str,
    track: Track,
) -> BuildOutcome:
    """Fetch the source (if any), then run each step with `bash -c` in `working_dir`."""
    if git:
        failed = await fetch_source(sandbox, box, git, branch, track)
        if failed is not None:
            return BuildOutcome(cloned=False, steps=[failed], success=False)
    outcomes: list[StepOutcome] = []
    problem = _working_dir_problem(sandbox, box, working_dir)
    for step in steps:
        if problem is not None:
            outcomes.append(StepOutcome(step, 1, "", problem, 0))
            break
        child = sandbox.spawn(box, ["bash", "-c", step], cwd=working_dir)
        done = await _run(child, track, STEP_TIMEOUT)
        outcomes.append(
            StepOutcome(step, done.exit_code, done.stdout, done.stderr, done.duration_ms)
        )
        if done.exit_code != 0:
            break
    success = all(o.exit_code == 0 for o in outcomes)
    return BuildOutcome(cloned=bool(git), steps=outcomes, success=success)


def _working_dir_problem(sandbox: Sandbox, box: Box, working_dir: str) -> str | None:
    try:
        host = sandbox.host_path(box, working_dir)
    except ValueError:
        return f"working_dir {working_dir} is outside /agent\n"
    if not host.is_dir():
        return f"working_dir {working_dir} does not exist\n"
    return None
