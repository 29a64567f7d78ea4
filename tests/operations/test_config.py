"""MLConfig (integration spec §10): every source, the precedence of §10.3 with the provenance
of every value, the errors and warnings a bad config gets, and what Engine(config) and
AsyncEngine(config=) take from it.

Every test passes ``env=`` and ``start_dir=`` explicitly, so the machine's own variables and
files never count.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import types
import warnings
from pathlib import Path

import pytest

import mlpy
from mlpy.aio import AsyncEngine
from mlpy.config import OPTIONS, MLConfig, MLConfigWarning, reference_table
from mlpy.errors import MLConfigurationError


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load(folder: Path, **kwargs) -> MLConfig:
    kwargs.setdefault("env", {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MLConfigWarning)
        return MLConfig.load(start_dir=folder, **kwargs)


# ----------------------------------------------------------------------------- defaults


def test_the_defaults_are_the_table_and_say_so(tmp_path):
    config = load(tmp_path)
    assert config.files == () and config.environment is None and config.warnings == ()
    for option in OPTIONS:
        if option.key == "environments":
            continue
        explained = config.explain(option.key)
        assert explained.source == "default", option.key
        assert explained.layers == (("default", explained.value),)
    assert config.get("async.max_workers") == 4
    assert config.get("runtime.timeout") == 30.0
    assert config.get("sandbox.memory_limit") == "256MB"
    assert MLConfig() == config  # the constructor reads nothing


def test_a_section_reads_as_a_read_only_mapping(tmp_path):
    section = load(tmp_path).get("observability.logging")
    assert dict(section) == {"level": "WARNING", "format": "text"}
    with pytest.raises(TypeError):
        section["level"] = "DEBUG"


def test_a_config_is_immutable_and_with_overrides_makes_a_new_one(tmp_path):
    config = load(tmp_path)
    with pytest.raises(AttributeError):
        config.files = ()
    changed = config.with_overrides({"async": {"max_workers": 9}})
    assert changed.get("async.max_workers") == 9 and changed.explain(
        "async.max_workers").source == "api"
    assert config.get("async.max_workers") == 4
    assert changed != config


# ----------------------------------------------------------------------------- files


@pytest.mark.parametrize("name, text", [
    ("mlpy.json", '{"async": {"max_workers": 7}}'),
    (".mlpy.json", '{"async": {"max_workers": 7}}'),
    ("mlpy.toml", "[async]\nmax_workers = 7\n"),
    ("pyproject.toml", "[project]\nname = 'x'\n[tool.mlpy.async]\nmax_workers = 7\n"),
    ("mlpy.yaml", "async:\n  max_workers: 7\n"),
    ("mlpy.yml", "async: {max_workers: 7}\n"),
])
def test_every_file_format_is_read(tmp_path, name, text):
    if name.endswith((".yaml", ".yml")):
        pytest.importorskip("yaml")
    file = write(tmp_path, name, text)
    config = load(tmp_path)
    assert config.files == (file,)
    assert config.get("async.max_workers") == 7
    assert config.explain("async.max_workers").source == f"file:{file}"


def test_a_pyproject_without_tool_mlpy_is_no_config(tmp_path):
    write(tmp_path, "pyproject.toml", "[project]\nname = 'x'\n")
    assert load(tmp_path).files == ()


def test_the_file_is_found_walking_up_and_the_nearest_directory_wins(tmp_path):
    write(tmp_path, "mlpy.json", '{"async": {"max_workers": 2}}')
    nearer = write(tmp_path / "app", "mlpy.toml", "[async]\nmax_pending = 5\n")
    deep = tmp_path / "app" / "src" / "pkg"
    deep.mkdir(parents=True)
    config = load(deep)
    assert config.files == (nearer,)
    assert config.get("async.max_pending") == 5
    assert config.get("async.max_workers") == 4  # the farther file is not merged in


def test_several_files_in_one_directory_warn_and_the_first_name_wins(tmp_path):
    write(tmp_path, "pyproject.toml", "[tool.mlpy.async]\nmax_workers = 3\n")
    write(tmp_path, "mlpy.toml", "[async]\nmax_workers = 2\n")
    chosen = write(tmp_path, "mlpy.json", '{"async": {"max_workers": 1}}')
    with pytest.warns(MLConfigWarning, match="several config files") as caught:
        config = MLConfig.load(start_dir=tmp_path, env={})
    assert config.files == (chosen,) and config.get("async.max_workers") == 1
    message = str(caught[0].message)
    assert "using mlpy.json" in message and "mlpy.toml" in message
    assert "pyproject.toml" in message
    assert any("several config files" in w for w in config.warnings)


def test_tool_mlpy_in_pyproject_is_the_lowest_file_of_its_directory(tmp_path):
    # integration spec §10.2: [tool.mlpy] ranks below the mlpy.* files of the same directory
    write(tmp_path, "pyproject.toml", "[tool.mlpy]\nml_module_paths = ['from-pyproject']\n")
    chosen = write(tmp_path, "mlpy.toml", "ml_module_paths = ['from-mlpy-toml']\n")
    config = load(tmp_path)
    assert config.files == (chosen,)
    assert config.get("ml_module_paths") == (str(tmp_path / "from-mlpy-toml"),)


def test_the_module_system_finds_the_same_file(tmp_path):
    from mlpy.modules.paths import load_project_config

    write(tmp_path, "pyproject.toml", "[tool.mlpy]\nml_module_paths = ['a']\n")
    write(tmp_path, "mlpy.json", '{"ml_module_paths": ["b"]}')
    project = load_project_config(tmp_path)
    assert project.path == tmp_path / "mlpy.json"
    assert project.ml_module_paths == (tmp_path / "b",)
    assert any("several config files" in w for w in project.warnings)


def test_an_explicit_path_and_mlpy_config_choose_the_file(tmp_path):
    write(tmp_path, "mlpy.json", '{"async": {"max_workers": 2}}')
    other = write(tmp_path / "elsewhere", "prod.toml", "[async]\nmax_workers = 3\n")
    named = write(tmp_path / "elsewhere", "named.json", '{"async": {"max_workers": 5}}')
    assert load(tmp_path, env={"MLPY_CONFIG": str(other)}).get("async.max_workers") == 3
    explicit = load(tmp_path, path=named, env={"MLPY_CONFIG": str(other)})
    assert explicit.files == (named,) and explicit.get("async.max_workers") == 5


def test_a_missing_explicit_file_is_an_error_naming_who_named_it(tmp_path):
    with pytest.raises(MLConfigurationError, match="MLPY_CONFIG names 'nope.toml'"):
        load(tmp_path, env={"MLPY_CONFIG": "nope.toml"})
    with pytest.raises(MLConfigurationError, match="no such config file"):
        load(tmp_path, path=tmp_path / "absent.json")


def test_isolated_reads_no_file_and_no_variable_but_an_explicit_path(tmp_path):
    write(tmp_path, "mlpy.json", '{"async": {"max_workers": 2}}')
    named = write(tmp_path / "x", "named.json", '{"async": {"max_pending": 9}}')
    env = {"MLPY__ASYNC__MAX_WORKERS": "8", "MLPY_CONFIG": str(named)}
    isolated = load(tmp_path, env=env, isolated=True)
    assert isolated.files == () and isolated.get("async.max_workers") == 4
    explicit = load(tmp_path, path=named, env=env, isolated=True)
    assert explicit.get("async.max_pending") == 9 and explicit.get("async.max_workers") == 4


# ----------------------------------------------------------------------------- bad files


@pytest.mark.parametrize("name, text, line", [
    ("mlpy.json", '{\n  "async": {"max_workers": 3,}\n}\n', 2),
    ("mlpy.toml", "[async]\nmax_workers = = 3\n", 2),
])
def test_a_malformed_file_is_an_error_naming_the_file_and_line(tmp_path, name, text, line):
    file = write(tmp_path, name, text)
    with pytest.raises(MLConfigurationError) as caught:
        load(tmp_path)
    error = caught.value
    assert error.file == str(file) and error.span.line == line
    assert str(error).startswith(f"{file}:{line}:")


def test_a_file_that_is_not_a_mapping_is_an_error(tmp_path):
    file = write(tmp_path, "mlpy.json", "[1, 2]")
    with pytest.raises(MLConfigurationError, match="must be a mapping") as caught:
        load(tmp_path)
    assert caught.value.file == str(file)


@pytest.mark.parametrize("data, key, expected", [
    ({"async": {"max_workers": "many"}}, "async.max_workers", "an integer >= 1"),
    ({"async": {"max_workers": 0}}, "async.max_workers", "an integer >= 1"),
    ({"async": {"max_workers": True}}, "async.max_workers", "an integer"),
    ({"runtime": {"timeout": "soon"}}, "runtime.timeout", "a number > 0 or null"),
    ({"runtime": {"isolation": "docker"}}, "runtime.isolation",
     "one of inprocess, subprocess"),
    ({"security": {"deny": "file.write"}}, "security.deny", "a list of strings"),
    ({"python_extension_paths": "./ext"}, "python_extension_paths", "a list of strings"),
    ({"sandbox": {"memory_limit": "lots"}}, "sandbox.memory_limit", "a size"),
    ({"compiler": {"strict_security": False}}, "compiler.strict_security", "one of true"),
    ({"security": {"profiles": {"p": "console.write"}}}, "security.profiles",
     "a mapping of profile names to lists of capability strings"),
    ({"async": 4}, "async", "a mapping (a section)"),
])
def test_a_wrong_type_is_an_error_naming_file_key_and_expected_type(tmp_path, data, key,
                                                                    expected):
    file = write(tmp_path, "mlpy.json", json.dumps(data))
    with pytest.raises(MLConfigurationError) as caught:
        load(tmp_path)
    error = caught.value
    assert error.file == str(file)
    assert error.message.startswith(f"{key}: expected {expected}"), error.message
    assert str(error).startswith(f"{file}: error: {key}: expected")


def test_a_wrong_type_in_an_overlay_names_the_file(tmp_path):
    file = write(tmp_path, "mlpy.json",
                 '{"environments": {"prod": {"async": {"max_workers": -1}}}}')
    with pytest.raises(MLConfigurationError, match="async.max_workers: expected") as caught:
        load(tmp_path)
    assert caught.value.file == str(file)


def test_unknown_keys_warn_with_the_closest_known_key_and_are_ignored(tmp_path):
    write(tmp_path, "mlpy.json", json.dumps({
        "asyncc": {"max_workers": 2}, "async": {"max_worker": 3}, "max_pending": 4,
        "zzz": 1}))
    with pytest.warns(MLConfigWarning) as caught:
        config = MLConfig.load(start_dir=tmp_path, env={})
    messages = [str(w.message) for w in caught]
    assert any("unknown key 'asyncc'" in m and "did you mean 'async'?" in m for m in messages)
    assert any("'async.max_worker'" in m and "did you mean 'async.max_workers'?" in m
               for m in messages)
    # a key at the wrong level is pointed at its section
    assert any("'max_pending'" in m and "did you mean 'async.max_pending'?" in m
               for m in messages)
    assert any("unknown key 'zzz' (ignored)" in m and "did you mean" not in m
               for m in messages)
    assert config.get("async.max_workers") == 4 and len(config.warnings) == 4


def test_project_keys_are_kept_as_information(tmp_path):
    write(tmp_path, "mlpy.json", '{"name": "shop", "version": "1.0.0"}')
    config = load(tmp_path)
    assert config.get("name") == "shop" and config.get("version") == "1.0.0"
    assert config.warnings == ()


# ----------------------------------------------------------------------------- paths


def test_relative_paths_resolve_against_the_files_directory(tmp_path, monkeypatch):
    project = tmp_path / "project"
    write(project, "mlpy.json", '{"python_extension_paths": ["./ext", "../shared"], '
                                '"ml_module_paths": ["lib"]}')
    (project / "sub").mkdir()
    monkeypatch.chdir(tmp_path)
    config = load(project / "sub")
    assert config.get("python_extension_paths") == (str(project / "ext"),
                                                    str(project / "../shared"))
    assert config.get("ml_module_paths") == (str(project / "lib"),)


def test_var_and_tilde_are_expanded_in_path_values_only(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    write(tmp_path, "mlpy.json", json.dumps({
        "name": "${ROOT}-project", "ml_module_paths": ["${ROOT}/lib", "~/mllib"],
        "runtime": {"result_name": "~out"}}))
    config = load(tmp_path, env={"ROOT": "/srv/ml"})
    assert config.get("ml_module_paths") == ("/srv/ml/lib", str(tmp_path / "home" / "mllib"))
    assert config.get("name") == "${ROOT}-project"
    assert config.get("runtime.result_name") == "~out"


def test_an_unset_variable_in_a_path_is_an_error_naming_it(tmp_path):
    file = write(tmp_path, "mlpy.json", '{"ml_module_paths": ["${NOT_SET}/lib"]}')
    with pytest.raises(MLConfigurationError, match=r"uses \$\{NOT_SET\}, which is not set") \
            as caught:
        load(tmp_path)
    assert caught.value.file == str(file)


def test_paths_from_the_environment_and_the_api_resolve_against_the_working_directory(
        tmp_path, monkeypatch):
    write(tmp_path / "project", "mlpy.json", '{"ml_module_paths": ["lib"]}')
    monkeypatch.chdir(tmp_path)
    config = load(tmp_path / "project", env={"MLPY_ML_MODULE_PATHS": "envlib"},
                  overrides={"ml_module_paths": ["apilib"]})
    assert config.get("ml_module_paths") == (
        str(tmp_path / "apilib"), str(tmp_path / "project" / "lib"), str(tmp_path / "envlib"))


# ----------------------------------------------------------------------------- environment


def test_double_underscore_variables_set_keys_with_type_coercion(tmp_path):
    config = load(tmp_path, env={
        "MLPY__ASYNC__MAX_WORKERS": "8",
        "MLPY__ASYNC__DEFAULT_TIMEOUT": "2.5",
        "MLPY__RUNTIME__MAX_STEPS": "null",
        "MLPY__RUNTIME__CAPTURE_OUTPUT": "yes",
        "MLPY__DEBUG__ENABLED": "0",
        "MLPY__RUNTIME__RESULT_NAME": "42",  # a string key keeps the text
        "MLPY__SECURITY__DEFAULT_CAPABILITIES": '["console.write"]',
        "MLPY__COMPILER__CACHE__MAX_ENTRIES": "64",
        "MLPY__SANDBOX__MEMORY_LIMIT": "128MB",
        "MLPY__OBSERVABILITY__LOGGING": '{"format": "json"}',  # a whole section as JSON
        "UNRELATED": "x",
    })
    assert config.get("async.max_workers") == 8
    assert config.get("async.default_timeout") == 2.5
    assert config.get("runtime.max_steps") is None
    assert config.get("runtime.capture_output") is True
    assert config.get("debug.enabled") is False
    assert config.get("runtime.result_name") == "42"
    assert config.get("security.default_capabilities") == ("console.write",)
    assert config.get("compiler.cache.max_entries") == 64
    assert config.get("sandbox.memory_limit") == "128MB"
    assert config.get("observability.logging.format") == "json"
    assert config.explain("async.max_workers").source == "env:MLPY__ASYNC__MAX_WORKERS"
    assert config.explain("observability.logging.format").source == \
        "env:MLPY__OBSERVABILITY__LOGGING"
    assert config.warnings == ()


@pytest.mark.parametrize("variable, text, key, expected", [
    ("MLPY__ASYNC__MAX_WORKERS", "eight", "async.max_workers", "an integer >= 1"),
    ("MLPY__RUNTIME__CAPTURE_OUTPUT", "maybe", "runtime.capture_output", "true or false"),
    ("MLPY__SECURITY__DENY", "file.write", "security.deny", "a list of strings"),
])
def test_a_bad_variable_is_an_error_naming_the_variable_key_and_type(tmp_path, variable,
                                                                     text, key, expected):
    with pytest.raises(MLConfigurationError) as caught:
        load(tmp_path, env={variable: text})
    assert caught.value.message.startswith(f"env:{variable}: {key}: expected {expected}")
    assert caught.value.file is None


def test_an_unknown_variable_warns_with_the_variable_it_likely_meant(tmp_path):
    with pytest.warns(MLConfigWarning, match="did you mean MLPY__ASYNC__MAX_WORKERS") as caught:
        MLConfig.load(start_dir=tmp_path, env={"MLPY__ASYNC__MAX_WORKRS": "3"})
    assert "env:MLPY__ASYNC__MAX_WORKRS: unknown key 'async.max_workrs'" in str(
        caught[0].message)


def test_the_module_path_and_debug_variables_count(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load(tmp_path, env={"MLPY_EXTENSION_PATHS": f"a{os.pathsep} b",
                                 "MLPY_ML_MODULE_PATHS": "lib", "MLPY_DEBUG": "1"})
    assert config.get("python_extension_paths") == (str(tmp_path / "a"), str(tmp_path / "b"))
    assert config.explain("ml_module_paths").source == "env:MLPY_ML_MODULE_PATHS"
    assert config.get("debug.enabled") is True


# ----------------------------------------------------------------------------- overlays


OVERLAID = {
    "runtime": {"timeout": 10, "isolation": "inprocess"},
    "environments": {"production": {"runtime": {"isolation": "subprocess"},
                                    "security": {"redact_resources": True}},
                     "ci": {"runtime": {"timeout": 1}}},
}


def test_mlpy_env_and_environment_choose_the_overlay(tmp_path):
    file = write(tmp_path, "mlpy.json", json.dumps(OVERLAID))
    production = load(tmp_path, env={"MLPY_ENV": "production"})
    assert production.environment == "production"
    assert production.get("runtime.isolation") == "subprocess"
    assert production.get("runtime.timeout") == 10.0  # not in the overlay: the base value
    assert production.explain("runtime.isolation").source == \
        f"file:{file}#environments.production"
    assert production.explain("runtime.timeout").source == f"file:{file}"
    ci = load(tmp_path, environment="ci", env={"MLPY_ENV": "production"})  # argument wins
    assert ci.environment == "ci" and ci.get("runtime.timeout") == 1.0
    assert ci.get("runtime.isolation") == "inprocess"
    assert set(ci.environments) == {"production", "ci"}
    assert load(tmp_path).get("runtime.isolation") == "inprocess"  # no overlay chosen


def test_an_unknown_overlay_is_an_error_listing_the_known_ones(tmp_path):
    write(tmp_path, "mlpy.json", json.dumps(OVERLAID))
    with pytest.raises(MLConfigurationError, match="MLPY_ENV=staging.*defines ci, production"):
        load(tmp_path, env={"MLPY_ENV": "staging"})
    with pytest.raises(MLConfigurationError, match="no config file was found"):
        load(tmp_path, environment="ci", isolated=True)


def test_overlays_do_not_nest(tmp_path):
    write(tmp_path, "mlpy.json", '{"environments": {"a": {"environments": {"b": {}}}}}')
    with pytest.warns(MLConfigWarning, match="overlays do not nest"):
        MLConfig.load(start_dir=tmp_path, env={}, environment="a")


# ----------------------------------------------------------------------------- precedence


LAYERS = ("api", "cli", "env", "overlay", "file", "default")


def layered(tmp_path: Path, top: str) -> MLConfig:
    """runtime.timeout set by every layer from ``top`` down: file 1, overlay 2, env 3,
    cli 4, api 5 (the default is 30)."""
    below = LAYERS[LAYERS.index(top):]
    data: dict = {}
    if "file" in below:
        data["runtime"] = {"timeout": 1}
    if "overlay" in below:
        data["environments"] = {"prod": {"runtime": {"timeout": 2}}}
    write(tmp_path, "mlpy.json", json.dumps(data))
    config = load(tmp_path, environment="prod" if "overlay" in below else None,
                  env={"MLPY__RUNTIME__TIMEOUT": "3"} if "env" in below else {})
    if "cli" in below:
        config = config.with_overrides({"runtime.timeout": 4}, source="cli:--timeout")
    if "api" in below:
        config = config.with_overrides({"runtime": {"timeout": 5}})
    return config


PRECEDENCE = [
    ("api", 5.0, "api"),
    ("cli", 4.0, "cli:--timeout"),
    ("env", 3.0, "env:MLPY__RUNTIME__TIMEOUT"),
    ("overlay", 2.0, "file:{file}#environments.prod"),
    ("file", 1.0, "file:{file}"),
    ("default", 30.0, "default"),
]


@pytest.mark.parametrize("top, value, source", PRECEDENCE)
def test_the_precedence_matrix_with_provenance(tmp_path, top, value, source):
    config = layered(tmp_path, top)
    explained = config.explain("runtime.timeout")
    file = tmp_path / "mlpy.json"
    assert explained.value == value
    assert explained.source == source.format(file=file)
    # every layer that set it, highest first, down to the default
    expected_chain = [s.format(file=file) for t, _, s in PRECEDENCE
                      if LAYERS.index(t) >= LAYERS.index(top)]
    assert [s for s, _ in explained.layers] == expected_chain
    assert config.get("runtime.timeout") == value


def test_an_api_value_made_earlier_still_beats_a_later_cli_value(tmp_path):
    config = MLConfig({"runtime": {"timeout": 5}}).with_overrides(
        {"runtime.timeout": 4}, source="cli:--timeout")
    assert config.explain("runtime.timeout").source == "api"
    assert config.get("runtime.timeout") == 5.0


def test_an_override_source_must_be_one_of_the_three(tmp_path):
    for bad in ("cli", "file:x", "env", "default"):
        with pytest.raises(MLConfigurationError, match="override source"):
            MLConfig().with_overrides({"runtime.timeout": 1}, source=bad)


def test_lists_from_a_higher_source_replace_lower_ones(tmp_path):
    write(tmp_path, "mlpy.json", '{"security": {"default_capabilities": ["console.write"]}}')
    config = load(tmp_path, env={"MLPY__SECURITY__DEFAULT_CAPABILITIES": '["file.read"]'})
    assert config.get("security.default_capabilities") == ("file.read",)


def test_denies_are_the_union_of_every_source(tmp_path):
    file = write(tmp_path, "mlpy.json", json.dumps({
        "security": {"deny": ["file.write"]},
        "environments": {"prod": {"security": {"deny": ["network.http"]}}}}))
    config = load(tmp_path, environment="prod",
                  env={"MLPY__SECURITY__DENY": '["file.delete"]'}).with_overrides(
        {"security": {"deny": []}})  # an empty list lifts nothing
    explained = config.explain("security.deny")
    assert set(explained.value) == {"file.write", "network.http", "file.delete"}
    assert explained.source == (f"file:{file} + file:{file}#environments.prod + "
                                "env:MLPY__SECURITY__DENY")


def test_module_paths_concatenate_api_cli_overlay_file_env_without_duplicates(tmp_path,
                                                                              monkeypatch):
    monkeypatch.chdir(tmp_path)
    file = write(tmp_path, "mlpy.json", json.dumps({
        "ml_module_paths": ["file", "shared"],
        "environments": {"dev": {"ml_module_paths": ["overlay"]}}}))
    config = load(tmp_path, environment="dev",
                  env={"MLPY_ML_MODULE_PATHS": f"env{os.pathsep}shared"},
                  overrides={"ml_module_paths": ["api"]}).with_overrides(
        {"ml_module_paths": ["cli"]}, source="cli:-M")
    assert config.get("ml_module_paths") == tuple(
        str(tmp_path / name) for name in ("api", "cli", "overlay", "file", "shared", "env"))
    assert config.explain("ml_module_paths").source == (
        f"api + cli:-M + file:{file}#environments.dev + file:{file} + "
        "env:MLPY_ML_MODULE_PATHS")


# ----------------------------------------------------------------------------- reading


def test_explain_and_get_name_the_closest_key_for_an_unknown_one():
    config = MLConfig()
    with pytest.raises(MLConfigurationError, match="did you mean 'async.max_workers'"):
        config.get("async.max_worker")
    with pytest.raises(MLConfigurationError, match="is a section"):
        config.explain("async")
    explained = config.explain("async.max_workers").to_dict()
    assert explained == {"key": "async.max_workers", "value": 4, "source": "default",
                         "layers": [{"source": "default", "value": 4}],
                         "description": "Executions an AsyncEngine runs at once."}


def test_to_dict_is_a_complete_config_a_file_can_hold(tmp_path):
    write(tmp_path, "mlpy.json", json.dumps(OVERLAID))
    config = load(tmp_path, environment="production")
    data = config.to_dict()
    json.dumps(data)  # JSON-ready
    assert data["runtime"]["isolation"] == "subprocess"
    assert set(data["environments"]) == {"production", "ci"}
    copy = write(tmp_path / "copy", "mlpy.json", json.dumps(data))
    again = load(copy.parent)
    assert again.get("runtime.isolation") == "subprocess"
    assert again.get("security.redact_resources") is True


# ----------------------------------------------------------------------------- Engine


def test_engine_takes_its_settings_from_a_config(tmp_path):
    config = MLConfig({
        "security": {"default_capabilities": ["console.write"], "deny": ["file.write"],
                     "profiles": {"reader": ["file.read:/srv/**"]},
                     "audit": {"buffer": 10, "sample_use": 0.5}, "redact_resources": True},
        "runtime": {"timeout": 2.5, "max_steps": 1000, "max_recursion": 50},
        "compiler": {"cache": {"max_entries": 3}}})
    engine = mlpy.Engine(config)
    assert engine.config is config
    assert engine.timeout == 2.5 and engine.max_steps == 1000 and engine.max_depth == 50
    assert engine.capabilities.allows("console.write")
    assert not engine.resolve_capabilities(["file.write"]).allows("file.write", "/tmp/x")
    assert "reader" in engine.profiles
    assert engine.audit.events.maxlen == 10 and engine.audit.use_sample_rate == 0.5
    assert engine.audit.redact is True
    assert engine._cache_size == 3
    done = engine.execute('import console; console.log("hi"); result = 1;',
                          capture_output=True)
    assert done.ok and done.stdout == "hi\n"


def test_explicit_engine_arguments_win_and_denies_add_up():
    config = MLConfig({"runtime": {"timeout": 2.5, "max_recursion": 50},
                       "security": {"deny": ["file.write"],
                                    "default_capabilities": ["console.write"]}})
    engine = mlpy.Engine(config=config, timeout=None, deny=["network.http"], capabilities=())
    assert engine.timeout is None and engine.max_depth == 50
    assert not engine.capabilities.allows("console.write")
    granted = engine.resolve_capabilities(["file.write", "network.http", "file.read"])
    assert not granted.allows("file.write", "/tmp/x")
    assert not granted.allows("network.http", "https://example.org/")
    assert granted.allows("file.read", "/tmp/x")


def test_engine_gets_the_configs_module_directories_after_its_own(tmp_path):
    for name in ("given", "configured"):
        write(tmp_path / name, f"{name}_mod.ml", f'result = "{name}";\n')
    write(tmp_path / "configured", "given_mod.ml", 'result = "shadowed";\n')
    config = MLConfig({"ml_module_paths": [str(tmp_path / "configured")]})
    engine = mlpy.Engine(config, ml_module_paths=[tmp_path / "given"])
    assert engine.registry.ml_module_paths == [tmp_path / "given", tmp_path / "configured"]
    done = engine.execute("import given_mod; import configured_mod; "
                          "result = [given_mod.result, configured_mod.result];")
    assert done.value == ["given", "configured"], done.error


def test_a_config_loaded_isolated_keeps_the_path_variables_out(tmp_path, monkeypatch):
    monkeypatch.setenv("MLPY_ML_MODULE_PATHS", str(tmp_path))
    isolated = MLConfig.load(start_dir=tmp_path, isolated=True)
    assert mlpy.Engine(isolated).registry.ml_module_paths == []
    assert mlpy.Engine().registry.ml_module_paths == [tmp_path]  # the library default


def test_engine_takes_the_path_of_a_config_file(tmp_path, monkeypatch):
    for variable in ("MLPY_ENV", "MLPY_CONFIG"):
        monkeypatch.delenv(variable, raising=False)
    file = write(tmp_path, "shop.toml", "[runtime]\ntimeout = 4\n")
    engine = mlpy.Engine(config=str(file))
    assert engine.timeout == 4.0 and engine.config.files == (file,)
    assert mlpy.Engine(file).timeout == 4.0


def test_a_bad_config_argument_is_a_configuration_error(tmp_path):
    with pytest.raises(MLConfigurationError, match="takes an MLConfig or the path"):
        mlpy.Engine(config={"runtime": {"timeout": 1}})
    with pytest.raises(MLConfigurationError, match="no such config file"):
        mlpy.Engine(tmp_path / "missing.toml")


def test_engine_without_config_is_unchanged():
    engine = mlpy.Engine(timeout=3)
    assert engine.config is None and engine.timeout == 3 and engine.max_depth == 500


def test_a_config_can_put_executions_in_a_sandbox(tmp_path):
    config = MLConfig({"runtime": {"isolation": "subprocess"},
                       "sandbox": {"pool_size": 1, "memory_limit": "512MB"}})
    engine = mlpy.Engine(config)
    try:
        assert engine.isolation == "subprocess"
        assert engine.sandbox.pool_size == 1
        assert engine.execute("result = 6 * 7;").value == 42
    finally:
        engine.close()


# ----------------------------------------------------------------------------- AsyncEngine


def test_async_engine_takes_the_async_section_and_makes_its_engine_from_the_config():
    config = MLConfig({"async": {"max_workers": 3, "max_pending": 7, "default_timeout": 4,
                                 "cancel_grace": 0.5},
                       "runtime": {"max_recursion": 40}})
    engine = AsyncEngine(config=config, max_pending=9)
    try:
        assert engine.config is config and engine.engine.config is config
        assert (engine.max_workers, engine.max_pending, engine.default_timeout,
                engine.cancel_grace) == (3, 9, 4.0, 0.5)
        assert engine.engine.max_depth == 40
        result = asyncio.run(engine.execute("result = 2 + 3;"))
        assert result.value == 5
    finally:
        engine.shutdown()


def test_async_engine_with_an_engine_given_uses_that_engine():
    own = mlpy.Engine(timeout=9)
    engine = AsyncEngine(own, config=MLConfig({"async": {"max_workers": 2}}))
    try:
        assert engine.engine is own and engine.max_workers == 2
    finally:
        engine.shutdown()


def test_a_bad_async_value_is_refused_when_loading():
    with pytest.raises(MLConfigurationError, match="async.max_workers: expected"):
        MLConfig({"async": {"max_workers": 0}})


# ----------------------------------------------------------------------------- observability


@pytest.fixture
def mlpy_logger():
    """The mlpy logger as it was, restored after the test."""
    logger = logging.getLogger("mlpy")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    root = (list(logging.getLogger().handlers), logging.getLogger().level)
    yield logger
    logger.handlers[:], (logger.level, logger.propagate) = saved[0], saved[1:]
    assert (list(logging.getLogger().handlers), logging.getLogger().level) == root


def test_a_config_without_logging_settings_leaves_logging_alone(mlpy_logger):
    before = (list(mlpy_logger.handlers), mlpy_logger.level)
    mlpy.Engine(MLConfig({"runtime": {"timeout": 1}}))
    assert (list(mlpy_logger.handlers), mlpy_logger.level) == before


def test_logging_json_goes_on_the_mlpy_logger_only(mlpy_logger, capsys):
    root_handlers = list(logging.getLogger().handlers)
    engine = mlpy.Engine(MLConfig({"observability": {"logging": {"format": "json",
                                                                 "level": "DEBUG"}}}))
    assert logging.getLogger().handlers == root_handlers
    assert mlpy_logger.level == logging.DEBUG
    installed = [h for h in mlpy_logger.handlers if getattr(h, "_mlpy_configured", False)]
    assert len(installed) == 1
    engine.execute("x = 1 / 0;")  # an ML error: logged at DEBUG
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    records = [json.loads(line) for line in lines]
    assert records and all(r["logger"].startswith("mlpy") for r in records)
    assert any(r.get("execution_id") for r in records)
    # a second engine replaces the handler instead of adding one
    mlpy.Engine(MLConfig({"observability": {"logging": {"format": "text"}}}))
    assert len([h for h in mlpy_logger.handlers
                if getattr(h, "_mlpy_configured", False)]) == 1


@pytest.fixture
def no_installs(monkeypatch):
    """Forget what earlier tests installed; make the extras' packages look present."""
    import mlpy.config as config_module

    monkeypatch.setattr(config_module, "_installed", set())
    real_find_spec = config_module.importlib.util.find_spec
    monkeypatch.setattr(config_module.importlib.util, "find_spec",
                        lambda name: object() if name in ("prometheus_client",
                                                          "opentelemetry.trace")
                        else real_find_spec(name))
    return config_module


@pytest.mark.parametrize("section, module, extra", [
    ("metrics", "prometheus", "prometheus"), ("tracing", "otel", "otel")])
def test_enabled_metrics_or_tracing_without_their_module_name_the_extra(no_installs,
                                                                        monkeypatch,
                                                                        section, module,
                                                                        extra):
    monkeypatch.setitem(sys.modules, f"mlpy.observability.{module}", None)  # not importable
    config = MLConfig({"observability": {section: {"enabled": True}}})
    with pytest.raises(MLConfigurationError) as caught:
        mlpy.Engine(config)
    error = caught.value
    assert f"observability.{section}.enabled is true (api)" in error.message
    assert f"'{extra}' extra" in error.message
    assert any(f"mlpy[{extra}]" in hint for hint in error.hints)


@pytest.mark.parametrize("section, module", [("metrics", "prometheus"), ("tracing", "otel")])
def test_enabled_metrics_or_tracing_install_once_before_the_engine_exists(no_installs,
                                                                          monkeypatch,
                                                                          section, module):
    calls = []
    fake = types.ModuleType(f"mlpy.observability.{module}")
    fake.install = lambda **options: calls.append(options)
    monkeypatch.setitem(sys.modules, f"mlpy.observability.{module}", fake)
    config = MLConfig({"observability": {section: {"enabled": True, "legacy_names": True}}})
    mlpy.Engine(config)
    mlpy.Engine(config)
    AsyncEngine(config=config).shutdown()
    assert calls == [{"legacy_names": True}]


def test_a_missing_extra_package_is_named_even_when_the_module_imports(monkeypatch):
    import mlpy.config as config_module

    monkeypatch.setattr(config_module, "_installed", set())
    monkeypatch.setattr(config_module.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(MLConfigurationError, match="'prometheus' extra.*prometheus_client"):
        config_module.check_observability(
            MLConfig({"observability": {"metrics": {"enabled": True}}}))


# ----------------------------------------------------------------------------- docs


def test_the_reference_table_lists_every_option_once():
    table = reference_table().splitlines()
    assert table[0].startswith("| Key | Type | Default |")
    keys = [row.split("|")[1].strip().strip("`") for row in table[2:]]
    assert keys == [option.key for option in OPTIONS]
