"""Builds: fetch `[source] git` and check it out in /agent/code, then run `[build] steps` until one
fails.

git talks to the source on the host, into a bare repository outside `/agent` (`<computer>/source`)
that nothing in the computer can write; the checkout into /agent/code then runs inside the sandbox,
reading that repository through a read-only mount. So no git on the host ever reads a repository
(config, hooks, fsmonitor) that a process in the computer could have written.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass

from orb_tui.server import exec as exec_
from orb_tui.server.processes import Child
from orb_tui.server.sandbox import PATH, Box, Sandbox

STEP_TIMEOUT = 600.0
"""Seconds a build step may run; `ORB_TUI_BUILD_STEP_TIMEOUT` in the server's environment
overrides it (tests, or a slow machine)."""
GIT_TIMEOUT = 600.0
CHECKOUT = (
    'mkdir -p "$ORB_AGENT_DIR/code" && cd "$ORB_AGENT_DIR/code" && git init --quiet'
    ' && git fetch --quiet --no-tags "$1" orb-source && git reset --quiet --hard FETCH_HEAD'
)
"""The checkout, run in the sandbox; `$1` names the read-only source repository."""


def step_timeout() -> float:
    """`STEP_TIMEOUT`, or the server environment's `ORB_TUI_BUILD_STEP_TIMEOUT` when it is a
    positive number."""
    try:
        value = float(os.environ.get("ORB_TUI_BUILD_STEP_TIMEOUT", ""))
    except ValueError:
        return STEP_TIMEOUT
    return value if 0 < value <= STEP_TIMEOUT else STEP_TIMEOUT


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
    """Fetch `branch` of `git` into the computer's source repository, then check it out into
    /agent/code inside the sandbox (untracked files stay); a StepOutcome on failure.

    The fetch runs on the host, so a local path or file:// URL of the host works; it never runs
    hooks or reads config from anything the computer can write.
    """
    source = box.root / "source"
    fresh = not (source / "HEAD").exists()
    env = {"PATH": PATH, "HOME": str(box.root), "LANG": "C.UTF-8", "GIT_TERMINAL_PROMPT": "0",
           "GIT_CONFIG_NOSYSTEM": "1"}  # fmt: skip
    name = f"git {'clone' if fresh else 'fetch'} {redact(git)}"
    host = [
        ["git", "init", "--quiet", "--bare", str(source)],
        ["git", f"--git-dir={source}", "fetch", "--quiet", "--no-tags", "--", git, branch],
        ["git", f"--git-dir={source}", "update-ref", "refs/heads/orb-source", "FETCH_HEAD"],
    ]
    for argv in host:
        child = sandbox.spawn_host(box, argv, cwd=box.root, env=env)
        done = await _run(child, track, GIT_TIMEOUT)
        if done.exit_code != 0:
            return StepOutcome(name, done.exit_code, done.stdout, done.stderr, done.duration_ms)
    # in the computer's own sandbox: its /agent/code/.git is its own business there
    # (the GIT_CONFIG_* pair is `-c safe.directory=*` for every git in the script: the source
    # repository may show another owner through a user namespace)
    script = ["bash", "-c", CHECKOUT, "checkout", sandbox.source_path(box)]
    safe = {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "safe.directory",
        "GIT_CONFIG_VALUE_0": "*",
    }
    checkout = sandbox.spawn(box, script, cwd="/agent", env=safe)
    done = await _run(checkout, track, GIT_TIMEOUT)
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
        try:
            child = sandbox.spawn(box, ["bash", "-c", step], cwd=working_dir)
        except OSError as exc:  # e.g. working_dir is a symlink out (plain process groups)
            outcomes.append(StepOutcome(step, 126, "", f"cannot start: {exc.strerror or exc}\n", 0))
            break
        limit = step_timeout()
        done = await _run(child, track, limit)
        stderr = done.stderr
        if done.timed_out:
            stderr += f"[killed: the step ran longer than {limit:g} s]\n"
        outcomes.append(StepOutcome(step, done.exit_code, done.stdout, stderr, done.duration_ms))
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
