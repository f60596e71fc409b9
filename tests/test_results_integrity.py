"""Results folders are all or nothing, output paths are checked before anything runs, and a
run's memory is estimated (honestly) and bounded before it starts.

Signals are sent to `ladder run --out` in subprocesses, during the simulation and during the
write phase (the writer's test hook LADDER_TEST_WRITE_PAUSE makes it pause before each
file); each time the folder must be either the previous one, intact, or a complete new one.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

import sim
from sim.analyses.compare import from_folder
from sim.engine import folder as folder_module
from sim.engine import memory
from sim.engine import stream as stream_module
from sim.engine.folder import MANIFEST, TEST_PAUSE, tidy
from sim.engine.folder_read import read_folder
from sim.errors import InputError
from sim.present.plots import RunView
from tests.helpers import ROOT, make_scenario
from tests.test_cli import cli
from tests.test_interrupt import cpu_seconds

SEED = ROOT / "scenarios" / "belarus-poland-2024-tension.yaml"
STAGES = [{"id": "calm", "name": "Calm", "up": 1},
          {"id": "tense", "name": "Tense", "up": 2, "down": 0},
          {"id": "war", "name": "War", "absorbing": True}]


def walker(push: float = 1.0) -> dict:
    return {"kind": "state", "actions": {"push": {"effect": push}, "calm": {"effect": -1}},
            "policy": {"weights": {"push": 1, "calm": 1}}}


@pytest.fixture
def scenario(tmp_path) -> Path:
    make_scenario(tmp_path, STAGES, {"x": walker()}, horizon=10, decay=0.5, name="base")
    return tmp_path / "base.yaml"


def complete(folder: Path) -> dict:
    """The manifest of a complete results folder (every file checked, SHA-256 included)."""
    manifest = json.loads((folder / MANIFEST).read_text())
    read_folder(folder, manifest["kind"], list(manifest["files"]))
    return manifest


def siblings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.glob(f".{folder.name}.*"))


@pytest.fixture
def no_simulation(monkeypatch):
    """Fail the test if anything is simulated."""
    def refuse(*args, **kwargs):
        raise AssertionError("a simulation started")

    import sim.explore.sweep  # imported first, so that it holds the real run_points

    monkeypatch.setattr(sim.explore.sweep, "run_points", refuse)
    monkeypatch.setattr("sim.engine.runner._in_order", refuse)


# -- the folder and its manifest --------------------------------------------------------------


def test_the_manifest_lists_every_file_with_its_size_and_hash(tmp_path, scenario, capsys):
    out = tmp_path / "res" / "base"
    code, _, err = cli(capsys, "run", scenario, "--runs", 300, "--out", out)
    assert code == 0, err
    manifest = complete(out)
    assert manifest["kind"] == "run" and manifest["format"] == "ladder-folder"
    assert manifest["runs"] == manifest["planned_runs"] == 300
    assert manifest["partial"] is False
    names = {p.name for p in out.iterdir()}
    assert set(manifest["files"]) == names - {MANIFEST}
    for name, entry in manifest["files"].items():
        assert entry["bytes"] == (out / name).stat().st_size
    assert f"wrote {out} (300 runs): summary.json, runs.csv" in err
    assert siblings(out) == []


def test_a_second_run_replaces_the_folder_whole(tmp_path, scenario, capsys, monkeypatch):
    out = tmp_path / "base"
    assert cli(capsys, "run", scenario, "--runs", 300, "--out", out)[0] == 0
    (out / ".summary.json.abc.tmp").write_text("left by an older ladder")
    code, _, err = cli(capsys, "run", scenario, "--runs", 200, "--out", out)
    assert code == 0, err
    assert "replaced the previous folder" in err
    assert complete(out)["runs"] == 200 and not (out / ".summary.json.abc.tmp").exists()
    assert siblings(out) == []
    # the same without an atomic exchange of names: renamed aside, renamed in, removed
    monkeypatch.setattr(folder_module, "_exchange", lambda a, b: False)
    assert cli(capsys, "run", scenario, "--runs", 100, "--out", out)[0] == 0
    assert complete(out)["runs"] == 100 and siblings(out) == []


def test_out_refuses_a_folder_that_holds_other_files(tmp_path, scenario, capsys, no_simulation):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    code, _, err = cli(capsys, "run", scenario, "--runs", 300, "--out", out)
    assert code == 2
    assert "holds files that are not results (notes.txt)" in err
    assert (out / "notes.txt").read_text() == "mine"


def test_write_results_never_replaces_a_folder_of_other_files(tmp_path, scenario):
    from sim.engine.results import write_results

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    result = sim.run(sim.load_scenario(scenario), runs=50)
    with pytest.raises(InputError, match=r"holds files that are not results \(notes.txt\)"):
        write_results(result, mine)
    assert [p.name for p in mine.iterdir()] == ["notes.txt"] and siblings(mine) == []


def test_readers_refuse_an_incomplete_folder(tmp_path, scenario, capsys):
    good = tmp_path / "good"
    assert cli(capsys, "run", scenario, "--runs", 300, "--out", good)[0] == 0
    damages = {
        "no-manifest": (lambda f: (f / MANIFEST).unlink(), "no manifest.json"),
        "truncated": (lambda f: (f / "runs.csv").write_bytes((f / "runs.csv").read_bytes()[:99]),
                      "runs.csv has 99 bytes, manifest.json says"),
        "changed": (lambda f: (f / "summary.json").write_text(
            (f / "summary.json").read_text().replace('"runs": 300', '"runs": 3000')),
                    "summary.json has"),
        "missing": (lambda f: (f / "occupancy.csv").unlink(), "occupancy.csv is missing"),
        "same-size": (lambda f: (f / "summary.json").write_text(
            (f / "summary.json").read_text().replace('"horizon": 10', '"horizon": 12')),
                      "summary.json does not match its SHA-256"),
        "bad-manifest": (lambda f: (f / MANIFEST).write_text("{"), "not valid JSON"),
    }
    for name, (damage, message) in damages.items():
        folder = tmp_path / name
        shutil.copytree(good, folder)
        damage(folder)
        code, _, err = cli(capsys, "compare", folder, scenario)
        assert code == 2, name
        assert f"{folder}: incomplete results folder" in err and message in err, (name, err)
        code, _, err = cli(capsys, "report", folder, "--out", tmp_path / "r.html")
        assert code == 2 and "incomplete results folder" in err, (name, err)
        with pytest.raises(InputError, match="incomplete results folder"):
            from_folder(folder)
        if name != "truncated":  # the view does not read runs.csv, but checks its size too
            with pytest.raises(InputError, match="incomplete results folder"):
                RunView.from_folder(folder)
    assert not (tmp_path / "r.html").exists()
    assert cli(capsys, "compare", good, scenario)[0] == 0


def test_a_sweep_folder_is_all_or_nothing_too(tmp_path, scenario, capsys):
    out = tmp_path / "sweep"
    args = ("sweep", scenario, "--vary", "actors.x.actions.push.effect=0.5:1.5", "--design",
            "grid", "--points", 2, "--runs-per-point", 50, "--out", out)
    for _ in range(2):
        code, _, err = cli(capsys, *args)
        assert code == 0, err
    assert "wrote" in err and "replaced the previous folder" in err
    manifest = complete(out)
    assert manifest["kind"] == "sweep" and manifest["points"] == 2
    assert set(manifest["files"]) == {"sweep.json", "points.csv"} and siblings(out) == []
    code, _, err = cli(capsys, "compare", out, scenario)
    assert code == 2 and "a results folder of `ladder sweep`, not of `ladder run`" in err


# -- a full disk ------------------------------------------------------------------------------


def full_disk_at(monkeypatch, name: str) -> None:
    """The disk is full when `name` is written: a whole file (`_write_file`), or a chunk of a
    table streamed as the run goes (`ResultsStream._csv`)."""
    real, append = folder_module._write_file, stream_module.ResultsStream._csv

    def write(path, write):
        if path.name == name:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(path, write)

    def stream(self, table, frame):
        if table == name:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.staging.tmp / table))
        return append(self, table, frame)

    monkeypatch.setattr(folder_module, "_write_file", write)
    monkeypatch.setattr(stream_module.ResultsStream, "_csv", stream)


def test_a_full_disk_leaves_the_previous_folder(tmp_path, scenario, capsys, monkeypatch):
    out = tmp_path / "base"
    assert cli(capsys, "run", scenario, "--runs", 300, "--out", out)[0] == 0
    before = complete(out)
    for name in ("runs.csv", "tension.csv", MANIFEST):
        with monkeypatch.context() as m:
            full_disk_at(m, name)
            code, _, err = cli(capsys, "run", scenario, "--runs", 200, "--out", out)
        assert code == 2
        assert err.strip() == (f"ladder: error: cannot write {out}: No space left on device "
                               f"({name}); the previous folder is intact")
        assert complete(out) == before and siblings(out) == []
    full_disk_at(monkeypatch, "points.csv")
    code, _, err = cli(capsys, "sweep", scenario, "--vary", "actors.x.actions.push.effect=1:2",
                       "--design", "grid", "--points", 2, "--runs-per-point", 20,
                       "--out", tmp_path / "sw")
    assert code == 2 and "nothing was written" in err
    assert not (tmp_path / "sw").exists() and siblings(tmp_path / "sw") == []


# -- what killed writes leave -----------------------------------------------------------------


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_stale_temporary_is_removed_and_named(tmp_path, scenario, capsys):
    out = tmp_path / "base"
    assert cli(capsys, "run", scenario, "--runs", 300, "--out", out)[0] == 0
    pid = dead_pid()
    stale = tmp_path / f".base.tmp-{pid}"
    stale.mkdir()
    (stale / "runs.csv").write_text("half")
    alive = tmp_path / f".base.tmp-{os.getppid()}"  # a running process: left alone
    alive.mkdir()
    code, _, err = cli(capsys, "run", scenario, "--runs", 200, "--out", out)
    assert code == 0, err
    assert (f"removed {stale}, a temporary folder left by an interrupted write to {out} "
            f"(process {pid} has ended)") in err
    assert not stale.exists() and alive.exists() and complete(out)["runs"] == 200


def test_a_folder_renamed_aside_by_a_killed_swap_is_put_back(tmp_path, scenario, capsys):
    out = tmp_path / "base"
    assert cli(capsys, "run", scenario, "--runs", 300, "--out", out)[0] == 0
    pid = dead_pid()
    out.rename(tmp_path / f".base.old-{pid}")  # killed between its two renames
    (tmp_path / f".base.tmp-{pid}").mkdir()
    notes = tidy(out)
    assert notes[0].startswith(f"restored {out} from {tmp_path / f'.base.old-{pid}'}")
    assert notes[1].startswith(f"removed {tmp_path / f'.base.tmp-{pid}'}")
    assert complete(out)["runs"] == 300 and siblings(out) == []


def test_signals_wait_while_the_names_are_swapped():
    signals = folder_module._Signals()
    with signals:
        signals.deferring = True
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)
        assert signals.pending == signal.SIGTERM
        with pytest.raises(folder_module._Stop):
            signals.resume()
    assert signal.getsignal(signal.SIGTERM) is not signals._handle


# -- signals in a subprocess ------------------------------------------------------------------


def start(scenario: Path, out: Path, runs: int, pause: float | None = None,
          *more: str) -> subprocess.Popen:
    env = dict(os.environ)
    if pause is not None:
        env[TEST_PAUSE] = str(pause)
    return subprocess.Popen([sys.executable, "-m", "sim.cli", "run", str(scenario), "--runs",
                             str(runs), "--out", str(out), *more], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_for(condition, what: str, timeout: float = 90) -> None:
    deadline = time.time() + timeout
    while not condition():
        if time.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def previous(tmp_path, scenario, capsys) -> tuple[Path, dict]:
    out = tmp_path / "base"
    assert cli(capsys, "run", scenario, "--runs", 300, "--out", out)[0] == 0
    return out, complete(out)


SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGKILL]


@pytest.mark.parametrize("files", [0, 3], ids=["before-any-file", "after-3-files"])
@pytest.mark.parametrize("signum", SIGNALS, ids=[s.name for s in SIGNALS])
def test_a_signal_while_writing_leaves_the_previous_folder(previous, scenario, signum, files,
                                                           capsys):
    out, before = previous
    proc = start(scenario, out, 2000, 0.4)
    tmp = out.parent / f".base.tmp-{proc.pid}"
    streamed = {"runs.csv", "runs.parquet", "moves.csv", "moves.parquet"}  # as the run goes

    def written() -> int:  # files of the write phase, after the run (-1: still running)
        names = {p.name for p in tmp.iterdir()} if tmp.is_dir() else set()
        return len(names - streamed) if streamed <= names else -1

    wait_for(lambda: written() >= files, "the write phase")
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=60)
    assert "Traceback" not in stderr
    assert complete(out) == before  # the previous folder, intact
    if signum == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
        assert siblings(out) == [tmp.name]  # found and removed by the next write
        code, _, err = cli(capsys, "run", scenario, "--runs", 100, "--out", out)
        assert code == 0 and f"removed {tmp}" in err and complete(out)["runs"] == 100
    else:
        how = "interrupted" if signum == signal.SIGINT else "terminated"
        assert proc.returncode == {signal.SIGINT: 130, signal.SIGTERM: 143}[signum]
        assert stderr.strip() == f"ladder: {how} while writing {out}: the previous folder " \
                                 "is intact"
    assert siblings(out) == []
    assert cli(capsys, "compare", out, scenario)[0] == 0


def test_sigterm_while_writing_a_new_folder_leaves_nothing(tmp_path, scenario):
    out = tmp_path / "new"
    proc = start(scenario, out, 2000, 0.4)
    wait_for(lambda: (tmp_path / f".new.tmp-{proc.pid}").is_dir(), "the write phase")
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143
    assert stderr.strip() == f"ladder: terminated while writing {out}: nothing was written"
    assert not out.exists() and siblings(out) == []


@pytest.mark.parametrize("signum", SIGNALS, ids=[s.name for s in SIGNALS])
def test_a_signal_while_simulating(previous, signum, capsys):
    out, before = previous
    proc = start(SEED, out, 3_000_000, None, "--horizon", "10")
    deadline = time.time() + 60
    while cpu_seconds(proc.pid) < 6 and time.time() < deadline:
        time.sleep(0.2)
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=120)
    assert "Traceback" not in stderr
    if signum == signal.SIGINT:  # the finished chunks: a complete folder, marked partial
        assert proc.returncode == 1, stderr
        manifest = complete(out)
        assert manifest["partial"] is True and manifest["planned_runs"] == 3_000_000
        runs = manifest["runs"]
        assert 0 < runs < 3_000_000
        assert json.loads((out / "summary.json").read_text())["partial"] is True
        assert (f"wrote {out} (partial: {runs:,} of 3,000,000 runs; replaced the previous "
                "folder)") in stderr
    elif signum == signal.SIGTERM:  # the tables streamed so far are removed
        assert proc.returncode == 143
        assert stderr.strip() == f"ladder: terminated while writing {out}: the previous " \
                                 "folder is intact"
        assert complete(out) == before
    else:  # killed: the hidden temporary folder stays until the next write removes it
        assert proc.returncode == -signum
        assert complete(out) == before
        tmp = f".base.tmp-{proc.pid}"
        assert siblings(out) == [tmp]
        code, _, err = cli(capsys, "run", SEED, "--runs", 100, "--out", out)
        assert code == 0 and f"removed {out.parent / tmp}" in err
    assert siblings(out) == []


# -- output paths, checked first --------------------------------------------------------------


@contextmanager
def read_only(folder: Path):
    """A folder in which nobody, root included, can create a file."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    if not shutil.which("chattr") or subprocess.run(["chattr", "+i", str(folder)],
                                                    capture_output=True).returncode:
        pytest.skip("running as root without chattr +i: no folder is read-only")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_a_read_only_out_parent_fails_before_simulating(tmp_path, scenario, capsys,
                                                        no_simulation):
    ro = tmp_path / "ro"
    ro.mkdir()
    transcript_script = tmp_path / "script.txt"
    transcript_script.write_text("q\n")
    vary = ("--vary", "actors.x.actions.push.effect=1:2", "--design", "grid", "--points", 2)
    cases = [
        (("run", scenario, "--runs", 1_000_000, "--out", ro / "base"), "--out", ro / "base"),
        (("run", scenario, "--out", ro / "new" / "base"), "--out", ro / "new" / "base"),
        (("run", scenario, "--plot", ro / "x.png"), "--plot", ro / "x.png"),
        (("compare", scenario, scenario, "--plot", ro / "x.svg"), "--plot", ro / "x.svg"),
        (("report", scenario, "--out", ro / "r.html"), "--out", ro / "r.html"),
        (("sweep", scenario, *vary, "--out", ro / "sw"), "--out", ro / "sw"),
        (("sweep", scenario, *vary, "--plot", ro / "s.png"), "--plot", ro / "s.png"),
        (("play", scenario, "--as", "x", "--script", transcript_script, "--transcript",
          ro / "d.md"), "--transcript", ro / "d.md"),
    ]
    with read_only(ro):
        for args, what, path in cases:
            started = time.perf_counter()
            code, _, err = cli(capsys, *args)
            assert code == 2, (args, err)
            assert f"ladder: error: {what} {path}: cannot write in folder {ro}" in err, err
            assert time.perf_counter() - started < 5
    assert list(ro.iterdir()) == []


def test_output_paths_of_the_wrong_kind_fail_before_simulating(tmp_path, scenario, capsys,
                                                               no_simulation):
    (tmp_path / "dir.png").mkdir()
    os.mkfifo(tmp_path / "fifo.png")
    (tmp_path / "file").write_text("x")
    cases = [
        (("run", scenario, "--plot", tmp_path / "dir.png"), "is a folder; give a file name"),
        (("run", scenario, "--plot", tmp_path / "fifo.png"), "is a special file"),
        (("run", scenario, "--plot", tmp_path / "no" / "x.png"), "folder"),
        (("report", scenario, "--out", tmp_path / "dir.png" / "..." / "r.html"), "folder"),
        (("run", scenario, "--out", tmp_path / "file"), "exists and is not a folder"),
        (("run", scenario, "--out", tmp_path / "file" / "sub"), "is not a folder"),
        (("sweep", scenario, "--vary", "actors.x.actions.push.effect=1:2", "--out",
          tmp_path / "file"), "exists and is not a folder"),
    ]
    for args, message in cases:
        code, _, err = cli(capsys, *args)
        assert code == 2 and message in err, (args, err)


# -- memory -----------------------------------------------------------------------------------


def test_parse_size():
    assert memory.parse_size("8G") == 8 * 1024**3
    assert memory.parse_size("500M") == 500 * 1024**2
    assert memory.parse_size("1.5g") == int(1.5 * 1024**3)
    assert memory.parse_size("2048") == 2048
    assert memory.parse_size("4GiB") == memory.parse_size("4GB") == 4 * 1024**3
    for bad in ("", "G", "-1G", "0", "12Q", "1e9"):
        with pytest.raises(InputError, match="expected a size"):
            memory.parse_size(bad)
    assert memory.default_max_memory() <= 4 * 1024**3


def test_a_run_too_big_for_memory_is_refused_before_it_starts(capsys, no_simulation,
                                                              tmp_path):
    started = time.perf_counter()
    code, _, err = cli(capsys, "compare", SEED, SEED, "--runs", 100_000_000)
    assert code == 2
    assert re.search(r"this would need about [\d,]+ GiB of memory \(200,000,000 runs x [\d,]+ "
                     r"bytes kept per run of per-run outcomes", err), err
    for way in ("fewer runs", "a smaller scenario", "--max-memory"):
        assert way in err
    assert time.perf_counter() - started < 10
    # `run --out` writes its tables chunk by chunk: a few chunks' rows, whatever the runs
    est = memory.estimate([sim.load_scenario(SEED)], 100_000_000, streamed=True)
    assert est.total < 200 * 1024**2
    assert est.describe().startswith("about ") and "per-run tables of the chunks" in \
        est.describe()


def test_max_memory_sets_the_bound(tmp_path, scenario, capsys, monkeypatch):
    out = tmp_path / "o"
    code, _, err = cli(capsys, "run", scenario, "--runs", 20000, "--out", out,
                       "--max-memory", "1M")
    assert code == 2 and "more than the limit of 1.0 MiB" in err and not out.exists()
    assert cli(capsys, "run", scenario, "--runs", 20000, "--out", out,
               "--max-memory", "1G")[0] == 0
    monkeypatch.setattr(memory, "default_max_memory", lambda: 1024**2)  # a small machine
    code, _, err = cli(capsys, "run", scenario, "--runs", 20000, "--out", out)
    assert code == 2 and "more than the limit of 1.0 MiB" in err
    assert cli(capsys, "run", scenario, "--runs", 20000, "--out", out,
               "--max-memory", "500M")[0] == 0
    for args in (("compare", scenario, scenario, "--runs", 20000),
                 ("report", scenario, "--runs", 20000, "--out", tmp_path / "r.html"),
                 ("sweep", scenario, "--vary", "actors.x.actions.push.effect=1:2",
                  "--runs-per-point", 20000)):
        code, _, err = cli(capsys, *args)
        assert code == 2 and "more than the limit of 1.0 MiB" in err, args
        assert "--max-memory" in err
    code, _, err = cli(capsys, "run", scenario, "--max-memory", "12Q")
    assert code == 2 and "argument --max-memory: '12Q': expected a size" in err


MEASURE = """
import json, sys
import sim
from sim.cli import main

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024

sim.run(sim.load_scenario(sys.argv[1]), runs=10, seed=1)  # imports and caches first
with open("/proc/self/clear_refs", "w") as handle:
    handle.write("5")  # the peak (VmHWM) starts again from the current RSS
base = status("VmRSS:")
code = main(sys.argv[2:])
print(json.dumps({"code": code, "growth": status("VmHWM:") - base}))
"""


def big_scenario(tmp_path: Path, stages: int, actors: int, actions: int) -> Path:
    rungs = [{"id": f"rung_{i:02d}", "name": f"Rung {i}", "up": i + 1.0, "down": i - 0.5}
             for i in range(stages)]
    del rungs[0]["down"], rungs[-1]["up"], rungs[-1]["down"]
    rungs[-1]["absorbing"] = True
    (tmp_path / "big-ladder.yaml").write_text(yaml.safe_dump(
        {"id": "big", "title": "Big", "stages": rungs}, sort_keys=False))
    acts = {f"act_{j}": {"effect": 0.1 * (j - 1)} for j in range(actions)}
    doc = {"id": "big", "title": "Big", "ladder": "./big-ladder.yaml", "start": "rung_00",
           "clock": {"horizon": 5}, "tension": {"initial": 0, "decay": 0.9},
           "actors": {f"actor_{k}": {"kind": "state", "actions": acts,
                                     "policy": {"weights": dict.fromkeys(acts, 1)}}
                      for k in range(actors)}}
    (tmp_path / "big.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return tmp_path / "big.yaml"


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
def test_the_memory_estimate_is_within_a_factor_of_two_of_the_measured_peak(tmp_path):
    """Peak RSS growth (VmHWM after the command minus VmRSS before), measured in a fresh
    process, against `sim.engine.memory.estimate`: the per-run part (`run --out`, `compare`)
    and the chunk part (a 44-stage, 10-actor scenario)."""
    seed = sim.load_scenario(SEED, {"clock.horizon": 10})
    walk = make_scenario(tmp_path, [{"id": f"s{i}", "name": f"S{i}", "up": i + 1.0}
                                    for i in range(5)] + [{"id": "end", "name": "End",
                                                           "absorbing": True}],
                         {f"a{k}": {"kind": "state",
                                    "actions": {f"x{j}": {"effect": 0.1 * (j - 1)}
                                                for j in range(4)},
                                    "policy": {"weights": {f"x{j}": 1 for j in range(4)}}}
                          for k in range(6)}, horizon=10, decay=0.9, name="walk")
    big = big_scenario(tmp_path, 44, 10, 3)
    cases = [
        (SEED, ["run", str(SEED), "--runs", "60000", "--horizon", "10", "--json", "--out",
                str(tmp_path / "o")], memory.estimate([seed], 60_000, streamed=True)),
        (walk.path, ["compare", walk.path, walk.path, "--runs", "200000", "--json"],
         memory.estimate([walk, walk], 200_000, table=False)),
        (big, ["run", str(big), "--runs", "10000", "--json"],
         memory.estimate([sim.load_scenario(big)], 10_000, keep_runs=False)),
    ]
    for path, args, est in cases:
        proc = subprocess.run([sys.executable, "-c", MEASURE, str(path), *map(str, args)],
                              capture_output=True, text=True, cwd=ROOT, timeout=300)
        measured = json.loads(proc.stdout.strip().splitlines()[-1])
        assert measured["code"] == 0, proc.stderr
        ratio = est.total / measured["growth"]
        assert 0.5 <= ratio <= 2, (args[0], est.total, measured["growth"], ratio)


def test_the_chunk_estimate_grows_with_stages_times_actions(tmp_path):
    """The 44-stage x 40-actor case (measured: 454 MiB for one chunk of 10,000 runs with 3
    actions each) is dominated by the actors' weights, 8 bytes per action, stage and run."""
    sc = sim.load_scenario(big_scenario(tmp_path, 44, 40, 3))
    assert memory.chunk_bytes(sc) == pytest.approx(454 * 1024**2, rel=0.05)
    weights = 8 * 3 * 44 * 40 * 10_000
    assert weights / memory.chunk_bytes(sc) > 0.85
