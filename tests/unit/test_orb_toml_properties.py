"""Properties of the orb.toml validator and edits: no input makes them raise or lose text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orb_tui.config.orb_toml import EditError, add_port, check, set_env
from orb_tui.config.orb_toml_positions import KeyPath, Scanner

CORPUS = [
    path.read_text()
    for path in sorted((Path(__file__).parent.parent / "data" / "orb_toml").glob("*.toml"))
]
MINIMAL = (Path(__file__).parent.parent / "data" / "orb_toml" / "minimal.toml").read_text()
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TOMLKIT = settings(FAST, max_examples=50)  # tomlkit is slow; fewer, richer documents

# Pieces TOML is made of, so random text often gets past the parser into the schema checks.
PIECES = st.sampled_from(
    [
        "[agent]",
        "[agent.env]",
        "[[agent]]",
        "[ports]",
        "name",
        "lang",
        "entry",
        "expose",
        " = ",
        "=",
        '"',
        "'",
        '"""',
        "'''",
        "\\",
        "\n",
        "\r\n",
        " ",
        "#",
        ",",
        "[",
        "]",
        "{",
        "}",
        ".",
        "1",
        "8000",
        "true",
        "1979-05-27",
        "07:32:00",
        "x",
        "é",
        "\t",
        '"python"',
        "[1, 2]",
        "{ a = 1 }",
    ]
)
TOMLISH = st.lists(PIECES, max_size=40).map("".join)
KEYS = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=8
)
SCALARS = st.one_of(
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.text(max_size=10),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=10,
)
DOCS = st.dictionaries(KEYS, VALUES, max_size=5)


def assert_in_text(text: str, line: int, column: int) -> None:
    lines = text.split("\n")
    assert 1 <= line <= len(lines)
    assert 1 <= column <= len(lines[line - 1]) + 1


@FAST
@given(st.text(max_size=200))
def test_any_text_gives_problems_not_exceptions(text: str) -> None:
    for problem in check(text).problems:
        assert_in_text(text, problem.line, problem.column)


@FAST
@given(TOMLISH)
def test_toml_like_text_gives_problems_inside_the_text(text: str) -> None:
    for problem in check(text).problems:
        assert_in_text(text, problem.line, problem.column)


@FAST
@given(st.sampled_from(CORPUS), st.integers(0, 2000), st.integers(0, 5), st.text(max_size=5))
def test_mangled_corpus_files_never_raise(text: str, at: int, cut: int, insert: str) -> None:
    at %= len(text) + 1
    mangled = text[:at] + insert + text[at + cut :]
    for problem in check(mangled).problems:
        assert_in_text(mangled, problem.line, problem.column)


def leaf_paths(value: Any, path: KeyPath = ()) -> list[KeyPath]:
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in leaf_paths(item, (*path, key))]
    if isinstance(value, list) and value:
        return [p for index, item in enumerate(value) for p in leaf_paths(item, (*path, index))]
    return [path]


@TOMLKIT
@given(DOCS)
def test_the_scanner_finds_every_value_tomlkit_writes(doc: dict[str, Any]) -> None:
    text = tomlkit.dumps(doc)
    report = check(text)
    assert report.data is not None
    positions = Scanner(text).run()
    for path in leaf_paths(report.data):
        if path:
            assert path in positions.values, (path, text)
            assert_in_text(text, *positions.value(path))


@TOMLKIT
@given(DOCS, st.integers(1, 65535))
def test_add_port_keeps_every_other_value(doc: dict[str, Any], port: int) -> None:
    text = "# keep me\n" + tomlkit.dumps(doc)
    try:
        after = add_port(text, port)
    except EditError:
        return  # [ports] or expose of the wrong type: refused, not mangled
    data = check(after).data
    assert data is not None
    assert port in data["ports"]["expose"]
    assert after.startswith("# keep me\n")
    before = check(text).data
    assert before is not None
    assert {k: v for k, v in data.items() if k != "ports"} == {
        k: v for k, v in before.items() if k != "ports"
    }


@TOMLKIT
@given(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True), st.text(max_size=20))
def test_set_env_round_trips_any_value(name: str, value: str) -> None:
    after = set_env(MINIMAL, name, value)
    data = check(after).data
    assert data is not None
    assert data["agent"]["env"][name] == value
