"""Scripts never write into mlpy's own cache directory, whatever a host grants: every engine
denies it, including engines made after the variables that place it changed."""

from __future__ import annotations

import mlpy


def _denied_everywhere(engine: mlpy.Engine, directory: str) -> bool:
    grants = engine.capabilities
    return not any(grants.allows(area, path)
                   for area in ("file.write", "file.append", "file.delete", "path.write")
                   for path in (directory, f"{directory}/grammar.pickle"))


def test_an_engine_with_no_grants_denies_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MLPY_CACHE_DIR", str(tmp_path / "one"))
    engine = mlpy.Engine()
    assert engine.capabilities.denies  # the denies are there even with nothing granted
    widened = engine.resolve_capabilities(["file.write:/**", "path.write:/**"])
    assert not widened.allows("file.write", str(tmp_path / "one" / "x"))
    assert widened.allows("file.write", str(tmp_path / "elsewhere"))


def test_a_granted_engine_denies_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MLPY_CACHE_DIR", str(tmp_path / "cache"))
    engine = mlpy.Engine(capabilities=["file.write:/**", "file.append:/**", "file.delete:/**",
                                       "path.write:/**"], deny=["env.read"])
    assert _denied_everywhere(engine, str(tmp_path / "cache"))
    assert engine.capabilities.allows("file.write", str(tmp_path / "other"))


def test_a_new_cache_location_is_denied_to_later_engines(tmp_path, monkeypatch):
    monkeypatch.setenv("MLPY_CACHE_DIR", str(tmp_path / "first"))
    first = mlpy.Engine()
    monkeypatch.setenv("MLPY_CACHE_DIR", str(tmp_path / "second"))
    second = mlpy.Engine()
    grants = ["file.write:/**"]
    assert not first.resolve_capabilities(grants).allows("file.write", str(tmp_path / "first/x"))
    assert not second.resolve_capabilities(grants).allows("file.write",
                                                          str(tmp_path / "second/x"))
    assert second.resolve_capabilities(grants).allows("file.write", str(tmp_path / "first/x"))
