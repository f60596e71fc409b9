"""File access: `ladder:` and `extends:` stay inside the scenario's project (or the bundled
library, or what --allow-outside allows) and never show a referenced file's text; inputs
are regular files read with a size cap (no FIFO hangs, no endless /dev/zero); over-long
paths are one-line errors; a huge list is refused quickly by the value budget."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from sim.cli import main
from sim.errors import ValidationError
from sim.format import access
from sim.format.access import ENV, allowing, check_reference, project_root, read_input
from sim.format.yamlio import MAX_BYTES, MAX_NODES, SNIPPET, load_yaml, parse_yaml

ROOT = Path(__file__).resolve().parents[1]
BUNDLED_SCENARIO = ROOT / "scenarios" / "belarus-poland-2024.yaml"
SECRET = "root:x:0:0:TOPSECRET-7f3a9c:/root:/bin/bash\nAPI_KEY=TOPSECRET-b41e\n"
MARKS = ("TOPSECRET", "API_KEY", "/bin/bash")

LADDER = """\
id: tiny
title: Tiny
stages:
  - {id: calm, name: Calm, up: 2}
  - {id: tense, name: Tense, up: 5, down: 1}
  - {id: war, name: War, absorbing: true}
"""
SCENARIO = """\
id: s
title: S
ladder: {ladder}
start: calm
clock: {{horizon: 10}}
actors:
  red:
    kind: state
    actions: {{push: {{effect: 0.5}}, wait: {{}}}}
    policy: {{weights: {{push: 1, wait: 1}}}}
"""


@pytest.fixture(autouse=True)
def no_allowance(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """tmp_path/proj with ladders/tiny.yaml and scenarios/; secrets beside it, outside."""
    proj = tmp_path / "proj"
    (proj / "ladders").mkdir(parents=True)
    (proj / "scenarios").mkdir()
    (proj / "ladders" / "tiny.yaml").write_text(LADDER)
    (tmp_path / "secret.txt").write_text(SECRET)
    (tmp_path / "secret.yaml").write_text(SECRET)
    return proj


def scenario(proj: Path, ladder: str, name: str = "s.yaml") -> Path:
    path = proj / "scenarios" / name
    path.write_text(SCENARIO.format(ladder=ladder))
    return path


def ladder_cli(capsys, *argv: str) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out + out.err


def assert_no_secret(text: str) -> None:
    for mark in MARKS:
        assert mark not in text, text


# -- references stay inside the project ---------------------------------------------------------

def test_the_project_is_the_nearest_folder_with_ladders_or_scenarios(project: Path,
                                                                     tmp_path: Path) -> None:
    assert project_root(project / "scenarios" / "s.yaml") == project.resolve()
    assert project_root(project / "scenarios" / "deep" / "x.yaml") == project.resolve()
    (tmp_path / "loose").mkdir()
    assert project_root(tmp_path / "loose" / "x.yaml") == (tmp_path / "loose").resolve()


@pytest.mark.skipif(not Path("/etc/passwd").is_file(), reason="no /etc/passwd")
def test_ladder_etc_passwd_is_refused_unread(project: Path, capsys) -> None:
    path = scenario(project, "/etc/passwd")
    code, text = ladder_cli(capsys, "validate", path)
    assert code == 2
    assert (f"{path}:3: ladder: ladder '/etc/passwd' is outside this scenario's project "
            f"({project.resolve()}); pass --allow-outside /etc to allow it") in text
    assert "root:" not in text and "/bin/" not in text


@pytest.mark.parametrize("ref", ["../../secret.txt", "../../secret.yaml", "ABSOLUTE"])
def test_ladder_outside_the_project_is_refused_without_its_text(project: Path, tmp_path: Path,
                                                                ref: str, capsys) -> None:
    ref = str(tmp_path / "secret.txt") if ref == "ABSOLUTE" else ref
    code, text = ladder_cli(capsys, "validate", scenario(project, ref))
    assert code == 2
    assert "is outside this scenario's project" in text
    assert f"pass --allow-outside {tmp_path.resolve()} to allow it" in text
    assert_no_secret(text)


def test_a_symlink_inside_the_project_is_resolved_before_the_check(project: Path,
                                                                   tmp_path: Path,
                                                                   capsys) -> None:
    (project / "ladders" / "link.yaml").symlink_to(tmp_path / "secret.yaml")
    code, text = ladder_cli(capsys, "validate", scenario(project, "../ladders/link.yaml"))
    assert code == 2 and "is outside this scenario's project" in text
    assert str((tmp_path / "secret.yaml").resolve()) in text
    assert_no_secret(text)


def test_an_id_found_above_the_project_is_refused(project: Path, tmp_path: Path,
                                                 capsys) -> None:
    (tmp_path / "ladders").mkdir()
    (tmp_path / "ladders" / "above.yaml").write_text(LADDER.replace("id: tiny", "id: above"))
    code, text = ladder_cli(capsys, "validate", scenario(project, "above"))
    assert code == 2 and "ladder 'above' (" in text and "is outside" in text


def test_allow_outside_lets_a_ladder_through(project: Path, tmp_path: Path, capsys) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "tiny.yaml").write_text(LADDER)
    path = scenario(project, str(elsewhere / "tiny.yaml"))
    code, text = ladder_cli(capsys, "validate", path)
    assert code == 2 and "--allow-outside" in text
    assert ladder_cli(capsys, "validate", path, "--allow-outside", elsewhere)[0] == 0
    assert ladder_cli(capsys, "show", path, "--allow-outside", tmp_path)[0] == 0
    assert ENV not in os.environ  # the allowance lasts for the command only


def test_an_allowed_file_that_is_not_a_mapping_is_named_not_quoted(project: Path,
                                                                   tmp_path: Path,
                                                                   capsys) -> None:
    path = scenario(project, "../../secret.yaml")
    code, text = ladder_cli(capsys, "validate", path, "--allow-outside", tmp_path)
    assert code == 2
    assert f"got a string ({len(' '.join(SECRET.split()))} characters)" in text
    assert_no_secret(text)


def test_allow_outside_must_exist(project: Path, capsys) -> None:
    code, text = ladder_cli(capsys, "validate", scenario(project, "../ladders/tiny.yaml"),
                            "--allow-outside", project / "nope")
    assert code == 2 and "--allow-outside" in text and "no such file or folder" in text


def test_set_ladder_follows_the_same_rule(project: Path, tmp_path: Path, capsys) -> None:
    path = scenario(project, "../ladders/tiny.yaml")
    code, text = ladder_cli(capsys, "exact", path, "--set", f"ladder={tmp_path / 'secret.txt'}")
    assert code == 2 and "ladder: ladder '" in text and "is outside" in text
    assert_no_secret(text)


VARIANT = "id: v\ntitle: V\ndescription: d\nsources: [x]\nextends: {base}\n"


@pytest.mark.parametrize("ref", ["../../secret.yaml", "ABSOLUTE"])
def test_extends_outside_the_project_is_refused_without_its_text(project: Path,
                                                                 tmp_path: Path, ref: str,
                                                                 capsys) -> None:
    ref = str(tmp_path / "secret.yaml") if ref == "ABSOLUTE" else ref
    path = project / "scenarios" / "v.yaml"
    path.write_text(VARIANT.format(base=ref))
    code, text = ladder_cli(capsys, "validate", path)
    assert code == 2
    assert f"{path}:5: extends: baseline '{ref}'" in text and "is outside" in text
    assert_no_secret(text)
    code, text = ladder_cli(capsys, "validate", path, "--allow-outside", tmp_path)
    assert code == 2 and "is invalid (see below)" in text and "got a string (" in text
    assert_no_secret(text)


def test_allow_outside_lets_a_baseline_through(project: Path, tmp_path: Path, capsys) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "tiny.yaml").write_text(LADDER)
    (elsewhere / "base.yaml").write_text(SCENARIO.format(ladder="tiny.yaml"))
    path = project / "scenarios" / "v.yaml"
    path.write_text(VARIANT.format(base=elsewhere / "base.yaml"))
    assert ladder_cli(capsys, "validate", path)[0] == 2
    assert ladder_cli(capsys, "validate", path, "--allow-outside", elsewhere)[0] == 0


def test_the_bundled_library_is_always_allowed(tmp_path: Path, capsys) -> None:
    text = BUNDLED_SCENARIO.read_text()
    for ladder in ("belarus-2024", "poland-nato-response", "russia-2024-nuclear"):
        text = text.replace(f"ladder: {ladder}\n",
                            f"ladder: {ROOT / 'ladders' / ladder}.yaml\n")
    assert "ladders/belarus-2024.yaml" in text
    (tmp_path / "a.yaml").write_text(text)
    (tmp_path / "v.yaml").write_text(VARIANT.format(base=BUNDLED_SCENARIO))
    code, out = ladder_cli(capsys, "validate", tmp_path / "a.yaml", tmp_path / "v.yaml")
    assert code == 0, out


def test_the_allowance_reaches_child_processes(project: Path, tmp_path: Path) -> None:
    """The demo server (a child process) reads LADDER_ALLOW_OUTSIDE, which the command sets
    while it runs."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "tiny.yaml").write_text(LADDER)
    path = scenario(project, str(elsewhere / "tiny.yaml"))
    child = [sys.executable, "-c", "import sys; from sim.format.scenario import load_scenario;"
             " print(load_scenario(sys.argv[1]).ladder.id)", str(path)]
    env = {k: v for k, v in os.environ.items() if k != ENV}
    refused = subprocess.run(child, capture_output=True, text=True, env=env, timeout=60)
    assert refused.returncode != 0 and "is outside" in refused.stderr
    with allowing([elsewhere]):
        assert os.environ[ENV] == str(elsewhere.resolve())
        allowed = subprocess.run(child, capture_output=True, text=True, timeout=60)
    assert ENV not in os.environ
    assert allowed.returncode == 0 and allowed.stdout.strip() == "tiny"


def test_check_reference_names_the_rule(project: Path, tmp_path: Path) -> None:
    referrer = project / "scenarios" / "s.yaml"
    check_reference("ladder", "x", ROOT / "ladders" / "kahn-1965.yaml", referrer)  # bundled
    with pytest.raises(access.OutsideProject, match="pass --allow-outside"):
        check_reference("ladder", "../../secret.txt", project / "../secret.txt", referrer)


# -- inputs are opened safely -------------------------------------------------------------------

def cli(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """`ladder ARGV` in a fresh process; a hang fails the test by its timeout."""
    return subprocess.run([sys.executable, "-m", "sim", *argv], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT)


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    """The error line (validate prints problems on stdout and its count on stderr)."""
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    assert 1 <= len(lines) <= 2 and all(len(line) < 300 for line in lines), lines
    return lines[0]


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    folder = tmp_path / "with_fifo"
    folder.mkdir()
    path = folder / "pipe.yaml"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("command", ["validate", "show", "run"])
def test_a_fifo_input_is_refused_without_blocking(fifo: Path, command: str) -> None:
    line = one_line_error(cli(command, str(fifo)))
    assert line == f"{fifo}: cannot read a FIFO (named pipe): only regular files are read"


def test_validate_a_folder_holding_a_fifo(fifo: Path) -> None:
    (fifo.parent / "ok.yaml").write_text(LADDER)
    proc = cli("validate", str(fifo.parent))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"{fifo}: cannot read a FIFO (named pipe)" in proc.stdout
    assert "checked 1 file(s): 1 error(s)" in proc.stderr


def test_play_script_fifo_is_refused(fifo: Path) -> None:
    line = one_line_error(cli("play", str(BUNDLED_SCENARIO), "--as", "warsaw",
                              "--script", str(fifo)))
    assert line == f"ladder: error: --script {fifo}: cannot read a FIFO (named pipe): only " \
                   "regular files are read"


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
@pytest.mark.parametrize("command", ["validate", "show", "run"])
def test_dev_zero_is_refused(command: str) -> None:
    line = one_line_error(cli(command, "/dev/zero", timeout=60))
    assert line == "/dev/zero: cannot read a character device: only regular files are read"


@pytest.mark.parametrize("command", ["validate", "show", "run"])
def test_a_5000_character_path_is_a_one_line_error(command: str) -> None:
    long = "a/" * 2500
    line = one_line_error(cli(command, long))
    assert line.endswith(" characters): cannot read file: File name too long"), line


def test_long_references_are_one_line_errors(project: Path, capsys) -> None:
    long = "x" * 5000
    code, text = ladder_cli(capsys, "validate", scenario(project, f"{long}.yaml"))
    assert code == 2 and "no ladder '" in text and "(5005 characters)" in text
    path = project / "scenarios" / "v.yaml"
    path.write_text(VARIANT.format(base=f"{long}.yaml"))
    code, text = ladder_cli(capsys, "validate", path)
    assert code == 2 and "no scenario '" in text and long not in text


def test_a_reference_with_control_characters_is_shown_on_one_line(project: Path,
                                                                  capsys) -> None:
    path = project / "scenarios" / "s.yaml"
    path.write_text(SCENARIO.format(ladder='"/etc/x\\nfake: line\\0.yaml"'))
    code, text = ladder_cli(capsys, "validate", path)
    assert code == 2 and "ladder '/etc/x\\nfake: line\\x00.yaml' is outside" in text
    with pytest.raises(ValidationError, match="embedded null byte"):
        load_yaml("a\0b.yaml")


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as handle:
        handle.truncate(3_000_000_000)  # sparse: reading it would take 3 GB
    start = time.perf_counter()
    with pytest.raises(ValidationError) as info:
        load_yaml(path)
    assert time.perf_counter() - start < 1.0
    assert info.value.problems[0].message == \
        f"file is 3000000000 bytes; at most {MAX_BYTES} allowed"
    with pytest.raises(ValidationError):
        read_input(path, 10)


def test_syntax_errors_quote_at_most_a_short_snippet(tmp_path: Path) -> None:
    path = tmp_path / "alias.yaml"
    path.write_text("id: s\ndescription: *" + "k" * 500 + "\n")
    with pytest.raises(ValidationError) as info:
        load_yaml(path)
    message = info.value.problems[0].message
    assert message.startswith("YAML syntax error: found undefined alias")
    assert len(message) <= len("YAML syntax error: ") + SNIPPET and message.endswith("...")


# -- parse time and memory are bounded ----------------------------------------------------------

MEASURE = """\
import sys, time
from sim.errors import ValidationError
from sim.format.yamlio import load_yaml
start = time.perf_counter()
try:
    load_yaml(sys.argv[1])
    print("loaded")
except ValidationError as exc:
    print(exc.problems[0].message)
print(time.perf_counter() - start)
# this process's peak RSS (ru_maxrss would include the forking parent's)
print(next(l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM:")))  # kB
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="peak RSS from /proc")
@pytest.mark.parametrize("kind", ["flow", "block"])
def test_a_list_just_under_the_byte_limit_is_refused_quickly(kind: str, tmp_path: Path) -> None:
    """1.99 MB of `[1, 1, ...]` or `- 1` lines: refused at the value budget, not parsed to the
    end (before the budget: 40 s and 500 MB; now about 1 s and 50 MB)."""
    path = tmp_path / f"{kind}.yaml"
    if kind == "flow":
        path.write_text("[" + ", ".join(["1"] * 663_000) + "]\n")
    else:
        path.write_text("- 1\n" * 497_000)
    assert 1_980_000 < path.stat().st_size < MAX_BYTES
    proc = subprocess.run([sys.executable, "-c", MEASURE, str(path)], capture_output=True,
                          text=True, timeout=120)
    message, seconds, kb = proc.stdout.strip().splitlines()
    assert message == (f"the file holds more than {MAX_NODES} values (keys, items and "
                       f"scalars); at most {MAX_NODES} allowed")
    assert float(seconds) < 10, seconds
    assert int(kb) < 200_000, kb


def test_the_value_budget_leaves_room_for_real_files() -> None:
    """Every bundled file holds far fewer values than the budget."""
    def count(node: yaml.Node) -> int:
        if isinstance(node, yaml.MappingNode):
            return 1 + sum(count(k) + count(v) for k, v in node.value)
        if isinstance(node, yaml.SequenceNode):
            return 1 + sum(count(item) for item in node.value)
        return 1

    files = sorted((ROOT / "ladders").glob("*.yaml")) + sorted(
        (ROOT / "scenarios").rglob("*.yaml"))
    largest = max(count(yaml.compose(f.read_text(), Loader=yaml.SafeLoader)) for f in files)
    assert 100 < largest and 10 * largest < MAX_NODES


def test_aliases_are_still_called_an_alias_bomb() -> None:
    text = "a: &a [" + ", ".join(["x"] * 200) + "]\nb: [" + ", ".join(["*a"] * 200) + "]\n"
    with pytest.raises(ValidationError, match="alias bomb"):
        parse_yaml(text)
