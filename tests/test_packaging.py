"""Packaging (issue 18): the wheel builds, holds the license, `py.typed`, the schemas and the
bundled library, and, installed outside the checkout, runs a bundled scenario by its id. Also
the bundled library by id (`ladder list`, `resolve_input`) and `ladder --print-completion`.

The wheel is built here with the test extra's setuptools, without build isolation, so the
test needs no network; `.ci/build-lower-bound` builds it with the lowest setuptools allowed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

from sim.cli import build_parser, main
from sim.cli.completion import script
from sim.format import access, library
from sim.format.library import bundled_ladders, bundled_scenarios, resolve_input
from sim.format.validate import validate_paths
from sim.format.yamlio import load_yaml
from tests.helpers import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
LADDER_FILES = sorted((ROOT / "ladders").glob("*.yaml"))
SCENARIO_FILES = sorted((ROOT / "scenarios").rglob("*.yaml"))
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "sim", "ladders", "scenarios")


def _bound(requires: list[str]) -> str:
    return next(m.group(1) for r in requires if (m := re.fullmatch(r"setuptools>=([\d.]+)", r)))


def _numbers(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", text)[:3])


# -- the configuration ----------------------------------------------------------------------------

def test_the_listed_packages_are_the_folders():
    """pyproject lists its packages (the library is mapped, not found): every folder of sim/
    and of scenarios/ must be in the list, and each library package has its YAML files."""
    folders = {"sim"} | {"sim." + ".".join(p.relative_to(ROOT / "sim").parts)
                         for p in (ROOT / "sim").rglob("*") if p.is_dir()
                         and p.name != "__pycache__" and any(p.iterdir())}
    folders |= {"sim.library.ladders", "sim.library.scenarios"}
    folders |= {"sim.library.scenarios." + ".".join(p.relative_to(ROOT / "scenarios").parts)
                for p in (ROOT / "scenarios").rglob("*") if p.is_dir()}
    setuptools = PYPROJECT["tool"]["setuptools"]
    assert set(setuptools["packages"]) == folders
    assert setuptools["package-dir"] == {"sim.library.ladders": "ladders",
                                         "sim.library.scenarios": "scenarios"}
    data = setuptools["package-data"]
    for package in folders:
        if package.startswith("sim.library."):
            assert data.get(package) == ["*.yaml"], package


def test_the_build_backend_bound_is_the_one_the_license_needs_and_ci_checks():
    requires = PYPROJECT["build-system"]["requires"]
    assert _numbers(_bound(requires)) >= (77, 0, 1)  # SPDX `license` and `license-files`
    assert PYPROJECT["project"]["license"] == "MIT"
    assert PYPROJECT["project"]["license-files"] == ["LICENSE"]
    test_extra = PYPROJECT["project"]["optional-dependencies"]["test"]
    assert _bound(test_extra) == _bound(requires)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ".ci/build-lower-bound" in ci.split("pytest", 1)[1]  # after the tests
    assert os.access(ROOT / ".ci" / "build-lower-bound", os.X_OK)
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert (ROOT / "sim" / "py.typed").is_file()


def test_every_bundled_id_is_its_file_name_and_names_one_file():
    stems = [p.stem for p in [*LADDER_FILES, *SCENARIO_FILES]]
    assert len(stems) == len(set(stems))
    for path in [*LADDER_FILES, *SCENARIO_FILES]:
        assert load_yaml(path)["id"] == path.stem, path
    assert sorted(bundled_ladders()) == sorted(p.stem for p in LADDER_FILES)
    assert sorted(bundled_scenarios()) == sorted(p.stem for p in SCENARIO_FILES)


# -- the wheel ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The wheel, built from a copy of the checkout's sources (so no build/ or egg-info is
    written into the checkout), with this environment's setuptools."""
    have = version("setuptools")
    need = _bound(PYPROJECT["build-system"]["requires"])
    assert _numbers(have) >= _numbers(need), (
        f"setuptools {have} cannot build the project (needs {need}): "
        "python3 -m pip install -e '.[test]'")
    tmp = tmp_path_factory.mktemp("packaging")
    src = tmp / "src"
    src.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, src / name)
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-build-isolation",
                           "--no-deps", "-q", "-w", str(tmp / "dist"), str(src)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = (tmp / "dist").glob("ladder-*.whl")
    return wheel


def test_the_wheel_holds_the_license_types_schemas_and_library(built: Path):
    names = set(zipfile.ZipFile(built).namelist())
    dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
    assert f"{dist_info}/licenses/LICENSE" in names
    metadata = zipfile.ZipFile(built).read(f"{dist_info}/METADATA").decode()
    assert "License-Expression: MIT" in metadata
    assert "sim/py.typed" in names
    for schema in (ROOT / "sim" / "format" / "schemas").glob("*.json"):
        assert f"sim/format/schemas/{schema.name}" in names
    for path in LADDER_FILES:
        assert f"sim/library/ladders/{path.name}" in names
    for path in SCENARIO_FILES:
        rel = path.relative_to(ROOT / "scenarios").as_posix()
        assert f"sim/library/scenarios/{rel}" in names
    for module in (ROOT / "sim").rglob("*.py"):
        assert module.relative_to(ROOT).as_posix() in names
    assert not [n for n in names if n.startswith(("tests/", "ladders/", "scenarios/", "docs/"))]


def test_the_sdist_holds_the_library_and_license(built: Path):
    src = built.parents[1] / "src"
    proc = subprocess.run([sys.executable, "-c", "import sys; from setuptools import "
                           "build_meta; print(build_meta.build_sdist(sys.argv[1]))",
                           str(built.parents[1] / "sdist")], cwd=src, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    sdist = built.parents[1] / "sdist" / proc.stdout.split()[-1]
    names = {n.split("/", 1)[1] for n in tarfile.open(sdist).getnames() if "/" in n}
    assert {"LICENSE", "pyproject.toml", "sim/py.typed"} <= names
    assert {f"ladders/{p.name}" for p in LADDER_FILES} <= names
    assert {p.relative_to(ROOT).as_posix() for p in SCENARIO_FILES} <= names


def test_installed_outside_the_checkout_a_bundled_scenario_runs_by_id(built: Path):
    """The wheel installed into its own folder (no dependencies: those of this environment
    serve), run from a folder outside the checkout: `ladder list` finds the installed
    library, `ladder run belarus-poland-2024` prints the table, every bundled file resolves
    its `ladder:` and `extends:` there."""
    tmp = built.parents[1]
    site, elsewhere = tmp / "site", tmp / "elsewhere"
    elsewhere.mkdir()
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index",
                           "-q", "--target", str(site), str(built)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    env = {k: v for k, v in os.environ.items() if k != "LADDER_ALLOW_OUTSIDE"}
    env["PYTHONPATH"] = str(site)

    def ladder(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(site / "bin" / "ladder"), *argv], cwd=elsewhere, env=env,
                              capture_output=True, text=True, timeout=300)

    listed = ladder("list", "--json")
    assert listed.returncode == 0, listed.stderr
    catalog = json.loads(listed.stdout)
    assert catalog["library"] == str((site / "sim" / "library").resolve())
    # the history records are listed apart (tests/test_history_record.py), from the wheel too
    assert {x["id"] for x in catalog["scenarios"] + catalog["records"]} == \
        {p.stem for p in SCENARIO_FILES}
    assert catalog["records"] and all(x["path"].startswith(str(site.resolve()))
                                      for x in catalog["scenarios"] + catalog["records"])

    run = ladder("run", "belarus-poland-2024", "--runs", "200")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("belarus-poland-2024 on ladder belarus-2024: 200 runs")
    assert "P(reach) [95% CI]" in run.stdout

    ids = [p.stem for p in [*LADDER_FILES, *SCENARIO_FILES]]
    checked = ladder("validate", *ids)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"checked {len(ids)} file(s): 0 error(s)" in checked.stderr


# -- the bundled library by id -------------------------------------------------------------------

def test_an_id_names_the_bundled_file_and_an_existing_file_wins(tmp_path, monkeypatch):
    bundled = ROOT / "scenarios" / "belarus-poland-2024.yaml"
    assert resolve_input("belarus-poland-2024") == bundled
    assert resolve_input("kahn-1965") == ROOT / "ladders" / "kahn-1965.yaml"
    assert resolve_input("gamblers-ruin", "scenario") == \
        ROOT / "scenarios" / "examples" / "gamblers-ruin.yaml"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "belarus-poland-2024").mkdir()  # e.g. an --out folder: not a file, no match
    assert resolve_input("belarus-poland-2024") == bundled
    (tmp_path / "kahn-1965").write_text("x")
    assert resolve_input("kahn-1965") == Path("kahn-1965")
    for path in ("scenarios/none.yaml", "none.yaml", "./none", ""):
        assert resolve_input(path) == Path(path)


@pytest.mark.parametrize("argv, expected", [
    (["run", "belarus-poland-2042"], "belarus-poland-2042: no such file, and no bundled "
     "scenario has this id; did you mean 'belarus-poland-2024'? (`ladder list` shows the "
     "bundled files)"),
    (["run", "belarus-2024"], "belarus-2024: no such file, and 'belarus-2024' is a bundled "
     "ladder, not a scenario (`ladder list` shows the bundled files)"),
    (["show", "kahn-1956"], "kahn-1956: no such file, and no bundled scenario or ladder has "
     "this id; did you mean 'kahn-1965'? (`ladder list` shows the bundled files)"),
    (["validate", "kahn-1956"], "kahn-1956: no such file, and no bundled scenario or ladder "
     "has this id; did you mean 'kahn-1965'? (`ladder list` shows the bundled files)"),
])
def test_an_unknown_id_is_one_line_with_a_suggestion(argv, expected, capsys, tmp_path,
                                                     monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    captured = capsys.readouterr()  # validate prints problems on stdout, the others stderr
    assert expected in (captured.out + captured.err).splitlines()


def test_every_command_takes_an_id(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["show", "belarus-2024"]) == 0
    assert capsys.readouterr().out.startswith("belarus-2024: Belarus military doctrine")
    assert main(["validate", "checkpoint-opened", "examples-walk"]) == 0
    assert "checked 2 file(s): 0 error(s)" in capsys.readouterr().err
    assert main(["exact", "gamblers-ruin", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["scenario"] == "gamblers-ruin"
    assert main(["run", "checkpoint-opened", "--runs", "50", "--horizon", "10"]) == 0
    assert capsys.readouterr().out.startswith("checkpoint-opened on ladder belarus-2024")
    assert main(["compare", "belarus-poland-2024", "checkpoint-opened", "--runs", "200"]) == 0
    assert "checkpoint-opened" in capsys.readouterr().out


def test_the_library_in_the_installed_layout_resolves_its_references(tmp_path, monkeypatch):
    """A copy laid out as an installed wheel has it (sim/library/...), used as the bundled
    library: ids, `ladder:` ids and `extends:` all resolve inside it."""
    lib = tmp_path / "site" / "sim" / "library"
    shutil.copytree(ROOT / "ladders", lib / "ladders")
    shutil.copytree(ROOT / "scenarios", lib / "scenarios")
    monkeypatch.setattr(access, "BUNDLED", lib)
    monkeypatch.chdir(tmp_path)
    assert resolve_input("belarus-eu-border-2021-2024") == \
        lib / "scenarios" / "history" / "belarus-eu-border-2021-2024.yaml"
    problems, n = validate_paths([*bundled_scenarios(), *bundled_ladders()])
    assert n == len(SCENARIO_FILES) + len(LADDER_FILES)
    assert not [p for p in problems if not p.warning], problems
    assert library.catalog()["library"] == str(lib)


def test_ladder_list(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    records = [p for p in SCENARIO_FILES if load_yaml(p).get("kind") == "history-record"]
    assert records  # listed apart (tests/test_history_record.py)
    assert f"ladders ({len(LADDER_FILES)})" in out
    assert f"scenarios ({len(SCENARIO_FILES) - len(records)})" in out
    assert f"history records ({len(records)};" in out
    row = next(line for line in out.splitlines() if line.split()[:1] == ["checkpoint-opened"])
    assert row.split()[1:3] == ["belarus-2024", "belarus-poland-2024"]
    assert main(["list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["library"] == str(ROOT)
    first = data["scenarios"][[x["id"] for x in data["scenarios"]].index("belarus-poland-2024")]
    assert first == {"id": "belarus-poland-2024", "title": first["title"],
                     "ladder": "belarus-2024", "extends": None,
                     "path": str(ROOT / "scenarios" / "belarus-poland-2024.yaml")}


# -- shell completion -----------------------------------------------------------------------------

def _commands() -> list[str]:
    import argparse

    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return list(action.choices)


def test_the_bash_script_names_every_command_and_bash_accepts_it(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--print-completion", "bash"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    assert text == script(build_parser(), "bash")
    for command in _commands():
        assert f"        {command})" in text, command
    assert "--runs" in text and "'grid lhs morris sobol'" in text
    path = tmp_path / "ladder.bash"
    path.write_text(text)
    assert subprocess.run(["bash", "-n", str(path)], capture_output=True).returncode == 0
    probe = (f'source {path}; COMP_WORDS=(ladder run belarus-p); COMP_CWORD=2; _ladder; '
             'echo "${COMPREPLY[*]}"; COMP_WORDS=(ladder show --format ""); COMP_CWORD=3; '
             '_ladder; echo "${COMPREPLY[*]}"; COMP_WORDS=(ladder ""); COMP_CWORD=1; '
             '_ladder; echo "${COMPREPLY[*]}"')
    out = subprocess.run(["bash", "-c", probe], cwd=tmp_path, capture_output=True, text=True)
    assert out.stdout.splitlines() == ["belarus-poland-2024-tension belarus-poland-2024",
                                       "text mermaid dot",
                                       " ".join(_commands())]


def test_the_zsh_script_is_the_bash_one_through_bashcompinit(tmp_path):
    text = script(build_parser(), "zsh")
    assert "bashcompinit" in text
    assert text.split("bashcompinit\n", 1)[1] == script(build_parser(), "bash").split(
        "(in ~/.bashrc)\n", 1)[1]
    if shutil.which("zsh"):
        path = tmp_path / "ladder.zsh"
        path.write_text(text)
        assert subprocess.run(["zsh", "-n", str(path)], capture_output=True).returncode == 0
