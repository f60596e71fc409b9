"""The docs keep up with the code: commands and options in README.md, file keys in
docs/format.md, and the README's set-up commands in CI (in the style of sqlite-utils'
documentation tests)."""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import pytest

from sim.cli import build_parser
from sim.format import vocabulary

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
FORMAT = (ROOT / "docs" / "format.md").read_text(encoding="utf-8")
CI_RUN = (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("the ladder parser has no subcommands")


def run_options() -> list[str]:
    options = []
    for action in subparsers()["run"]._actions:
        options += [o for o in action.option_strings if o.startswith("--") and o != "--help"]
    return options


SUBCOMMANDS = sorted(subparsers())
RUN_OPTIONS = run_options()

# Every key of every mapping of both formats (the loaders' key sets are these; see
# tests/test_schemas.py).
FILE_KEYS = sorted({(name, key) for name, node in vocabulary.nodes().items()
                    for key in node.properties})


def test_parser_has_the_documented_commands():
    assert {"compare", "run", "show", "validate"} <= set(SUBCOMMANDS)
    assert {"--runs", "--seed", "--jobs", "--horizon", "--set", "--out", "--json",
            "--trace"} <= set(RUN_OPTIONS)


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_is_in_the_readme(command):
    assert f"`ladder {command}" in README


@pytest.mark.parametrize("option", RUN_OPTIONS)
def test_every_run_option_is_in_the_readme(option):
    assert re.search(rf"{re.escape(option)}\b", README), option


@pytest.mark.parametrize("node, key", FILE_KEYS)
def test_every_file_key_is_in_format_md(node, key):
    assert re.search(rf"(?<![\w.-]){re.escape(key)}:", FORMAT), f"{node}: {key}"


def setup_commands() -> list[str]:
    match = re.search(r"^```sh\n(.*?)^```", README, re.S | re.M)
    assert match, "README.md has no ```sh block"
    return match.group(1).splitlines()[:2]


def ci_command() -> str:
    lines = [line.strip() for line in CI_RUN.splitlines()]
    commands = [line for line in lines if "pytest" in line and not line.startswith("#")]
    assert len(commands) == 1, commands
    return commands[0]


def test_readme_setup_commands():
    install_run, install_test = setup_commands()
    # python3: a stock machine (Debian) has no `python`; the scenario by its bundled id
    assert install_run == "python3 -m pip install -e . && ladder run belarus-poland-2024"
    assert install_test.startswith("python3 -m pip install -e '.[test]'")
    assert install_test.endswith("&& python3 -m pytest")


def without_quiet(command: str) -> list[str]:
    return [word for word in shlex.split(command) if word != "-q"]


def test_ci_runs_the_readme_test_command_up_to_quiet_flags():
    assert without_quiet(setup_commands()[1]) == without_quiet(ci_command())


def test_ci_runs_the_readme_test_command_exactly():
    assert setup_commands()[1] == ci_command()


def test_readme_files_exist():
    for path in re.findall(r"^- `([\w./-]+)`", README, re.M):
        assert (ROOT / path).exists(), path
