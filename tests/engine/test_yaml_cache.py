"""Parsed YAML is kept by content, in memory and on disk: never stale, never shared between callers."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mockingjob.core import resources
from mockingjob.core.resources import read_yaml


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("MOCKINGJOB_CACHE_DIR", str(folder))
    monkeypatch.setattr(resources, "_KEPT", {})
    return folder


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_every_call_gets_its_own_copy(tmp_path: Path, cache: Path) -> None:
    path = _write(tmp_path / "a.yaml", "jobs: [{id: 1, when: 2024-01-02T03:04:05Z}]\n")
    first = read_yaml(path)
    first["jobs"][0]["id"] = 99
    again = read_yaml(path)
    assert again["jobs"][0]["id"] == 1
    assert again == yaml.safe_load(path.read_text())  # YAML's own types (a timestamp here) survive the cache


def test_a_new_process_reads_what_an_earlier_one_parsed(tmp_path: Path, cache: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path / "a.yaml", "name: first\n")
    assert read_yaml(path) == {"name": "first"}
    assert len(list(cache.iterdir())) == 1
    monkeypatch.setattr(resources, "_KEPT", {})  # as a new process starts
    monkeypatch.setattr(resources.yaml, "load", lambda *a, **k: pytest.fail("parsed again"))
    assert read_yaml(path) == {"name": "first"}


def test_a_changed_file_is_parsed_again(tmp_path: Path, cache: Path) -> None:
    path = _write(tmp_path / "a.yaml", "name: first\n")
    assert read_yaml(path) == {"name": "first"}
    _write(path, "name: second\n")
    assert read_yaml(path) == {"name": "second"}


def test_a_damaged_cache_file_is_parsed_again(tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path / "a.yaml", "name: first\n")
    read_yaml(path)
    (kept,) = cache.iterdir()
    kept.write_bytes(b"not a pickle")
    monkeypatch.setattr(resources, "_KEPT", {})
    assert read_yaml(path) == {"name": "first"}


def test_an_unusable_cache_folder_only_costs_the_speed_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = _write(tmp_path / "a-file", "")
    monkeypatch.setenv("MOCKINGJOB_CACHE_DIR", str(blocker / "cache"))  # cannot be created
    monkeypatch.setattr(resources, "_KEPT", {})
    assert read_yaml(_write(tmp_path / "a.yaml", "name: first\n")) == {"name": "first"}


def test_an_empty_cache_setting_keeps_nothing_on_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCKINGJOB_CACHE_DIR", "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(resources, "_KEPT", {})
    assert read_yaml(_write(tmp_path / "a.yaml", "name: first\n")) == {"name": "first"}
    assert not (tmp_path / "xdg").exists()


def test_errors_still_name_the_file_and_are_not_kept(tmp_path: Path, cache: Path) -> None:
    path = _write(tmp_path / "bad.yaml", "a: 1\na: 2\n")
    for _ in range(2):
        with pytest.raises(yaml.YAMLError, match="duplicate key 'a'") as raised:
            read_yaml(path)
        assert "bad.yaml" in str(raised.value)
    assert not cache.exists() or not list(cache.iterdir())
