"""The ``run`` flags are made from the settings' one declaration (RunConfig's fields): every
setting a command line can give has its flag, the flag's choices are what the setting
accepts, and its help names the setting's own default."""

from __future__ import annotations

import argparse
from dataclasses import MISSING, fields

import pytest

from tests.helpers.cli import cli
from treesvsnets.cli_parser import build_parser
from treesvsnets.config import RunConfig

#: settings given only in a TOML file (per-file options; a --space file holds the spaces)
TOML_ONLY = {"tables", "spaces"}
#: the flags of the run command itself, not settings
COMMAND_FLAGS = {"help", "config", "quiet", "space_file", "resume", "retry_failed"}


def _run_actions() -> dict[str, argparse.Action]:
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return {a.dest: a for a in commands.choices["run"]._actions if a.option_strings}


def test_every_setting_has_its_flag_and_every_flag_is_a_setting_or_the_commands_own():
    actions = _run_actions()
    settings = {f.name for f in fields(RunConfig)}
    assert set(actions) - settings == COMMAND_FLAGS
    assert settings - set(actions) == TOML_ONLY


def test_a_flags_choices_are_exactly_what_its_setting_accepts():
    checks = {f.name: f.metadata["check"] for f in fields(RunConfig)}
    checked = 0
    for dest, action in _run_actions().items():
        if not action.choices:
            continue
        assert all(checks[dest](choice) is None for choice in action.choices), dest
        assert checks[dest]("not-a-choice") is not None, dest
        checked += 1
    assert checked >= 5  # protocol, task, class_weight, device, sampler


def test_a_flags_help_names_its_settings_default():
    actions = _run_actions()
    named = 0
    for setting in fields(RunConfig):
        action = actions.get(setting.name)
        value = setting.default
        if action is None or value in (None, MISSING, ()) or isinstance(value, bool):
            continue
        shown = " ".join(map(str, value)) if isinstance(value, tuple) else str(value)
        assert f"(default: {shown}" in action.help, setting.name
        named += 1
    assert named >= 8
    assert "(default: every core)" in actions["threads"].help


def test_a_switch_sets_the_other_value_of_its_setting_and_is_otherwise_not_given():
    parser = build_parser()
    given = parser.parse_args(["run", "--no-baseline", "--in-process", "--fold-parallel"])
    assert (given.baseline, given.isolate, given.fold_parallel) == (False, False, True)
    default = parser.parse_args(["run"])
    assert (default.baseline, default.isolate, default.fold_parallel) == (None, None, None)
    assert RunConfig().baseline and RunConfig().isolate and not RunConfig().fold_parallel


def test_typed_flags_become_the_settings_values():
    args = build_parser().parse_args(
        [
            "run",
            "-d",
            "iris",
            "-d",
            "wine",
            "--seeds",
            "1",
            "2",
            "--shape",
            "1x8x8",
            "--test-size",
            "0.3",
            "-j",
            "2",
            "--max-memory",
            "2GB",
        ]
    )
    assert args.datasets == ["iris", "wine"] and args.seeds == [1, 2]
    assert args.shape == (1, 8, 8) and args.test_size == 0.3 and args.jobs == 2
    assert args.max_memory == "2GB"


def test_a_bad_shape_is_the_settings_own_sentence(capsys):
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args(["run", "--shape", "8"])
    assert stopped.value.code == 2
    assert "'8' is not a shape; write CxL for sequences (1x40)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("given", "sentence"),
    [
        (
            {"seeds": 3},
            "'seeds' must be a non-empty list of non-negative integers below 2**32 "
            "(4294967296), got 3.",
        ),
        (  # scikit-learn's random_state: a traceback from the first split
            {"seeds": [2**40]},
            "'seeds' must be a non-empty list of non-negative integers below 2**32 "
            "(4294967296), got (1099511627776,).",
        ),
        ({"datasets": "wine"}, "'datasets' must be a non-empty list of names, got 'wine'."),
        ({"plugins": "x.py"}, "'plugins' must be a list of files or module names, got 'x.py'."),
    ],
)
def test_a_list_setting_given_one_value_from_python_is_one_sentence(given, sentence):
    """A list setting is a list from Python too: one value is refused in words, not read
    letter by letter or failed on with a TypeError."""
    from treesvsnets.errors import ConfigError

    with pytest.raises(ConfigError) as refused:
        RunConfig().with_overrides(**given)
    assert str(refused.value) == sentence


def test_a_table_named_in_another_script_names_its_run_folder(tmp_path):
    """A run of '表.csv' was written to '<time>-_' (every non-ASCII letter made '_')."""
    table = tmp_path / "表.csv"
    table.write_text("x,y\n" + "".join(f"{i * 7 % 40},{'ab'[i % 2]}\n" for i in range(40)))
    done = cli("run", "-d", table, "-e", "logreg", "--folds", "2", "-q", "--out", tmp_path / "o")
    assert done.returncode == 0, done.stderr
    (run_dir,) = (tmp_path / "o").iterdir()
    assert run_dir.name.endswith("-表")


def test_a_run_name_too_long_for_a_folder_is_one_sentence_and_exit_2(tmp_path):
    """--name of 300 characters: OSError 'File name too long', a traceback."""
    done = cli("run", "-d", "iris", "-e", "logreg", "--name", "x" * 300, "--out", tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith(
        "treesvsnets: error: 'name' must be a plain folder name (no slashes, 200 bytes at most)"
    )
    assert not any(tmp_path.iterdir())
    empty = cli("run", "-d", "iris", "-e", "logreg", "--out", "", cwd=tmp_path)  # not '.'
    assert empty.returncode == 2 and not any(tmp_path.iterdir())
    assert (
        empty.stderr == "treesvsnets: error: 'out' must be a folder's path (not empty), got ''.\n"
    )


@pytest.mark.parametrize("given", [{"target": "price"}, {"shape": (1, 4)}])
def test_a_tables_setting_in_a_run_without_a_table_file_is_refused_not_ignored(given):
    """Built-in and OpenML datasets declare their own target: a --target (--shape) that
    nothing would read is one sentence, while a run with a table file takes it."""
    from treesvsnets.errors import ConfigError

    with pytest.raises(ConfigError) as refused:
        RunConfig(datasets=("iris", "openml:31"), **given)
    key = next(iter(given))
    assert str(refused.value).startswith(f"{key!r} describes a table file, and none of this ")
    assert "(iris, openml:31)" in str(refused.value)
    assert RunConfig(datasets=("iris", "houses.csv"), **given).datasets[1] == "houses.csv"
