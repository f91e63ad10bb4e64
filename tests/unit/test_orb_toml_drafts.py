"""The draft store: unsaved orb.toml edits on disk, private, atomic, and forgiving of bad files."""

from __future__ import annotations

import stat
from pathlib import Path

from orb_tui.config.drafts import DraftStore, computer_key, file_key


def test_save_load_drop(tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "drafts")
    key = computer_key("abc12345-0000")
    assert store.load(key) is None
    store.save(key, '[agent]\nname = "é"  # edited\n', base="old", label="demo")
    draft = store.load(key)
    assert draft is not None
    assert (draft.text, draft.base, draft.label) == (
        '[agent]\nname = "é"  # edited\n',
        "old",
        "demo",
    )
    store.drop(key)
    assert store.load(key) is None
    store.drop(key)  # dropping twice is fine


def test_drafts_are_private_and_leave_no_temp_files(tmp_path: Path) -> None:
    store = DraftStore(tmp_path)
    for n in range(3):
        store.save("computer-x", f"v{n}", base=None)
    [only] = list(tmp_path.iterdir())
    assert stat.S_IMODE(only.stat().st_mode) == 0o600
    draft = store.load("computer-x")
    assert draft is not None
    assert draft.text == "v2"
    assert draft.base is None


def test_bad_files_are_no_draft(tmp_path: Path) -> None:
    store = DraftStore(tmp_path)
    (tmp_path / "computer-a.json").write_text("{not json")
    (tmp_path / "computer-b.json").write_text('{"key": "computer-b", "text": 3}')
    (tmp_path / "computer-c.json").write_text('{"key": "computer-other", "text": "x"}')
    assert [store.load(f"computer-{k}") for k in "abc"] == [None, None, None]
    store.save("computer-d", "d", base=None)
    assert [d.key for d in store.all()] == ["computer-d", "computer-other"]


def test_keys_for_files_and_odd_names(tmp_path: Path) -> None:
    assert file_key(tmp_path / "a" / ".." / "orb.toml") == file_key(tmp_path / "orb.toml")
    assert file_key(tmp_path / "orb.toml") != file_key(tmp_path / "other.toml")
    store = DraftStore(tmp_path)
    store.save("../../escape me", "x", base=None)
    assert all(p.parent == tmp_path for p in tmp_path.iterdir())
    draft = store.load("../../escape me")
    assert draft is not None
    assert draft.text == "x"
