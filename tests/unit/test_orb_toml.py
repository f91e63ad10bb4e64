"""The orb.toml validator against a corpus of real shapes and broken files, with exact positions."""

from __future__ import annotations

from pathlib import Path

import pytest

from orb_tui.config.orb_toml import Problem, check, starter_template, type_name, validate

CORPUS = Path(__file__).parent.parent / "data" / "orb_toml"
CASES = sorted(CORPUS.glob("*.toml"))


def test_the_corpus_is_there() -> None:
    assert len(CASES) >= 40
    assert all(case.with_suffix(".expected").exists() for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.stem for case in CASES])
def test_corpus_problems_and_positions(case: Path) -> None:
    expected = case.with_suffix(".expected").read_text().splitlines()
    report = check(case.read_text())
    assert [str(problem) for problem in report.problems] == expected
    assert report.syntax_ok is not case.stem.startswith("syntax_")


def test_a_good_file_has_no_problems_and_its_data() -> None:
    report = check((CORPUS / "full_backend.toml").read_text())
    assert report.problems == ()
    assert report.data is not None
    assert report.data["agent"]["env"]["LOG_LEVEL"] == "debug"
    assert report.data["ports"]["expose"] == [8000, 9090]


def test_errors_and_warnings_are_told_apart() -> None:
    report = check('[agent]\nname = "a"\nlang = "cobol"\nentry = "x"\nextra = 1\n')
    assert [p.message for p in report.errors] == [
        '[agent] lang must be one of python, node, binary, go, rust (got "cobol")'
    ]
    assert [p.message for p in report.warnings] == ['unknown key "extra" in [agent]']


def test_problem_fields_and_text() -> None:
    [problem] = validate('[agent]\nname = "a"\nlang = "go"\nentry = 5\n')
    assert problem == Problem("error", 4, 9, "[agent] entry must be a string, not an integer")
    assert str(problem) == "4:9: error: [agent] entry must be a string, not an integer"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('a = "x', "1:5: error: invalid TOML: unclosed string: it never ends (opened here)"),
        ("a = 1\r\na = 2\r\n", "2:1: error: invalid TOML: duplicate key: a is already set"),
        (
            'x = """\nab"""c\n',
            "2:6: error: invalid TOML: expected the end of the line after a value"
            " (a missing comma or quote?)",
        ),
        ("d = 2026-11-31", "1:5: error: invalid TOML: invalid date or time: 2026-11-31"),
        ("[a]\n[ a ]\n", "2:1: error: invalid TOML: duplicate table: [a] is already declared"),
        ("\ufeff[agent]\n", "1:1: error: invalid TOML: expected key = value or a [table] header"),
    ],
)
def test_more_syntax_errors(text: str, expected: str) -> None:
    assert [str(p) for p in validate(text)] == [expected]


def test_positions_survive_tricky_keys_and_strings() -> None:
    text = (
        '"agent" = { name = "a", lang = "node", entry = "i.js" }\n'
        '["ports"]\n'
        "# expose = [1]\n"
        "'expose' = [ # comment ]\n"
        '  """multi\n] [ports]\n""",\n'
        "  8080,\n"
        "]\n"
    )
    assert [str(p) for p in validate(text)] == [
        "5:3: error: [ports] expose must hold only integers; item 1 is a string",
    ]


def test_array_of_tables_inside_a_known_section() -> None:
    text = '[agent]\nname = "a"\nlang = "go"\nentry = "a"\n[[agent.env]]\nA = 1\n'
    assert [str(p) for p in validate(text)] == [
        "5:1: error: agent.env must be a table of strings ([agent.env]), not an array"
    ]


def test_starter_template_is_valid_and_named() -> None:
    text = starter_template('my "odd" agent')
    report = check(text)
    assert report.problems == ()
    assert report.data is not None
    assert report.data["agent"]["name"] == "my odd agent"
    assert "# [ports]" in text


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (True, "a boolean"),
        (1, "an integer"),
        (1.5, "a float"),
        ("s", "a string"),
        ([], "an array"),
        ({}, "a table"),
        (object(), "a value"),
    ],
)
def test_type_names(value: object, name: str) -> None:
    assert type_name(value) == name
