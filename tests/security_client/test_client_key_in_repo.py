"""No key-shaped string in the screenshots/ folder, nor anywhere in the repository's tracked files.

Keys the local server hands out are `orb_` + 43 url-safe characters (org keys) or 43 url-safe
characters (the key `register` returns); webhook secrets are 64 hex digits. A screenshot may show
a key masked (`orb_a1b2…9f3c`), never more of it.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from leak_kit import svg_text

REPO = Path(__file__).resolve().parents[2]
ORG_KEY = re.compile(r"orb_[A-Za-z0-9_-]{9,}")  # more than the 4 characters a masked key shows
LONG_TOKEN = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{32,}(?![A-Za-z0-9_-])")
FULL_ORG_KEY = re.compile(r"orb_[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])")


def random_looking(token: str) -> bool:
    """A long run that reads like a secret (digits and both cases, or 40+ hex digits), not words."""
    digits = any(c.isdigit() for c in token)
    mixed = any(c.islower() for c in token) and any(c.isupper() for c in token)
    return digits and (mixed or re.fullmatch(r"[0-9a-f]{40,}", token) is not None)


def screenshots() -> list[Path]:
    return sorted((REPO / "screenshots").glob("*.svg"))


def test_the_key_pattern_finds_a_key_in_an_svg_and_passes_a_masked_one() -> None:
    key = "orb_" + "Ab3_-" * 8 + "xyz"
    shown = "<svg><style>.r1 { fill: #fff }</style><text>key&#160;" + key + "</text></svg>"
    assert ORG_KEY.findall(svg_text(shown)) == [key]
    masked = "<svg><text>orb_Ab3_…-xyz</text><text>orb_Ab3_&#8230;-xyz</text></svg>"
    assert ORG_KEY.findall(svg_text(masked)) == []
    assert random_looking("X1" + key[4:]) and random_looking("0a" * 32)
    assert not random_looking("AgentsFilesBuildConfigTerminalExec")


@pytest.mark.parametrize("svg", screenshots(), ids=lambda p: p.name)
def test_no_screenshot_holds_a_key(svg: Path) -> None:
    raw = svg.read_text(encoding="utf-8")
    shown = svg_text(raw)
    assert ORG_KEY.findall(shown) == [], f"{svg.name} shows an org key in full"
    tokens = [t for t in LONG_TOKEN.findall(shown) if random_looking(t)]
    assert tokens == [], f"{svg.name} shows a long random token (a key or secret?)"
    assert FULL_ORG_KEY.findall(raw) == [], f"{svg.name} holds an org key in its markup"


def test_no_tracked_file_holds_an_org_key() -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=False
    ).stdout
    if not listed:
        pytest.skip("not a git checkout")
    found: list[str] = []
    for name in listed.decode().split("\0"):
        path = REPO / name
        if not name or not path.is_file() or path.stat().st_size > 2 << 20:
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        found += [f"{name}: {m}" for m in FULL_ORG_KEY.findall(text)]
    assert found == [], found
