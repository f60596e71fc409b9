"""Heavy commands on a real Dask cluster: a `dask scheduler` and two `dask worker` processes on
127.0.0.1, started from this interpreter with this checkout on their path. `run`, `compare`
and `explain` with `--scheduler tcp://...` give what they give in this process: the same
chunks from the same seeds (docs/scale.md)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sim.cli import main
from tests.helpers import ROOT

RUIN = str(ROOT / "scenarios" / "examples" / "gamblers-ruin.yaml")
STARTUP = 60  # seconds for the scheduler to write its file and both workers to join


# -- the cluster -----------------------------------------------------------------------------
def _start(argv: list[str], folder: Path, name: str) -> subprocess.Popen:
    """A process in its own session (so that its whole group can be stopped), logging into
    FOLDER/NAME.log, with this checkout first on its path."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    log = open(folder / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
    try:
        return subprocess.Popen([sys.executable, "-m", *argv], cwd=folder, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                env={**os.environ, "PYTHONPATH": path})
    finally:
        log.close()  # the child holds its own descriptor


def _stop(procs: list[subprocess.Popen]) -> None:
    """SIGTERM to each process group, then SIGKILL to whatever is left after 10 s."""
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        for p in procs:
            if p.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, sig)
        deadline = time.monotonic() + wait
        for p in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(max(0.0, deadline - time.monotonic()))


def _address(file: Path, scheduler: subprocess.Popen, folder: Path) -> str:
    """The scheduler's address, from the file it writes once it listens."""
    deadline = time.monotonic() + STARTUP
    while time.monotonic() < deadline:
        if scheduler.poll() is not None:
            pytest.fail(f"dask scheduler exited:\n{_logs(folder)}")
        with contextlib.suppress(FileNotFoundError, json.JSONDecodeError):
            return json.loads(file.read_text())["address"]
        time.sleep(0.1)
    pytest.fail(f"dask scheduler wrote no address within {STARTUP} s:\n{_logs(folder)}")


def _logs(folder: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}"
                     for p in sorted(folder.glob("*.log")))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[str]:
    """tcp://127.0.0.1:PORT of a scheduler with two one-thread workers, all stopped after the
    module (and, should this process die, by the scheduler's idle timeout and the workers'
    death timeout)."""
    distributed = pytest.importorskip("distributed", reason="needs the dask extra")
    folder = tmp_path_factory.mktemp("dask")
    file = folder / "scheduler.json"
    procs: list[subprocess.Popen] = []
    try:
        procs.append(_start(["distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                             "--port", "0", "--scheduler-file", str(file), "--no-dashboard",
                             "--idle-timeout", "600s"], folder, "scheduler"))
        address = _address(file, procs[0], folder)
        for i in range(2):
            procs.append(_start(["distributed.cli.dask_worker", address, "--nthreads", "1",
                                 "--nworkers", "1", "--no-nanny", "--no-dashboard",
                                 "--death-timeout", "30s", "--local-directory",
                                 str(folder / f"worker-{i}")], folder, f"worker-{i}"))
        with distributed.Client(address, timeout="10s") as client:
            try:
                client.wait_for_workers(2, timeout=STARTUP)
            except TimeoutError:
                pytest.fail(f"two workers did not join within {STARTUP} s:\n{_logs(folder)}")
            where = client.run(eval, "__import__('sim').__file__")
        assert all(Path(p).is_relative_to(ROOT) for p in where.values()), where
        yield address
    finally:
        _stop(procs[1:])  # the workers first: without their scheduler they linger, reconnecting
        _stop(procs[:1])


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# -- the same numbers ------------------------------------------------------------------------
def _without_timing(text: str) -> str:
    """summary.json with its `timing` block cut out."""
    cut, n = re.subn(r',\n  "timing": \{[^}]*\}', "", text)
    assert n == 1, "summary.json ends with one timing block"
    return cut


def test_run_on_the_cluster_writes_the_same_files_less_timing(cluster, tmp_path, capsys):
    """20,001 runs: three chunks (the last of one run), spread over the two workers."""
    here, there = tmp_path / "here", tmp_path / "there"
    assert _cli(capsys, "run", RUIN, "--runs", "20001", "--seed", "5", "--out", str(here))[0] == 0
    code, out, _ = _cli(capsys, "run", RUIN, "--runs", "20001", "--seed", "5", "--out",
                        str(there), "--scheduler", cluster)
    assert code == 0 and "20,001 runs" in out
    names = sorted(p.name for p in here.iterdir())
    assert names == sorted(p.name for p in there.iterdir()) and "runs.csv" in names
    for name in set(names) - {"summary.json", "manifest.json"}:
        assert (here / name).read_bytes() == (there / name).read_bytes(), name
    a, b = ((d / "summary.json").read_text() for d in (here, there))
    assert _without_timing(a) == _without_timing(b)
    # where it ran shows in `timing` only
    assert json.loads(b)["timing"] == {**json.loads(b)["timing"], "jobs": 1,
                                       "scheduler": cluster}
    assert "scheduler" not in json.loads(a)["timing"]
    ma, mb = (json.loads((d / "manifest.json").read_text()) for d in (here, there))
    ma["files"].pop("summary.json"), mb["files"].pop("summary.json")
    assert ma == mb


def test_compare_on_the_cluster_is_the_local_comparison(cluster, tmp_path, capsys):
    """Two variants in lockstep (common random numbers), two chunks each."""
    (tmp_path / "ladders").mkdir()
    (tmp_path / "ladders" / "examples-walk.yaml").write_bytes(
        (ROOT / "ladders" / "examples-walk.yaml").read_bytes())
    luck = tmp_path / "luck.yaml"
    luck.write_text(Path(RUIN).read_text().replace("id: gamblers-ruin", "id: gamblers-luck")
                    .replace("escalate: 4, de_escalate: 5", "escalate: 5, de_escalate: 4"))
    args = ["compare", RUIN, str(luck), "--runs", "10500", "--json"]
    code, local, _ = _cli(capsys, *args)
    assert code == 0
    code, remote, _ = _cli(capsys, *args, "--scheduler", cluster)
    assert code == 0 and remote == local
    assert json.loads(remote)["paired"] == {"gamblers-luck": True}


def test_explain_on_the_cluster_is_the_local_explanation(cluster, capsys):
    args = ["explain", RUIN, "--runs", "2000", "--seed", "3", "--fork-runs", "50",
            "--positions", "1", "--json"]
    code, local, _ = _cli(capsys, *args)
    assert code == 0
    code, remote, _ = _cli(capsys, *args, "--scheduler", cluster)
    assert code == 0 and remote == local
    assert {"pathways", "drivers", "offramps", "narratives"} <= set(json.loads(remote))


# -- clear errors ----------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_address_where_nothing_listens_is_a_clear_error(capsys):
    pytest.importorskip("distributed", reason="needs the dask extra")
    address = f"tcp://127.0.0.1:{_free_port()}"
    code, out, err = _cli(capsys, "run", RUIN, "--runs", "100", "--scheduler", address)
    assert code == 2 and out == ""
    assert err.startswith(f"ladder: error: no Dask scheduler answered at {address}: ")
    assert "Traceback" not in err


@pytest.mark.parametrize(("args", "message"), [
    (["run", RUIN, "--scheduler", "nowhere"],
     "argument --scheduler: expected local or tcp://HOST:PORT"),
    (["run", RUIN, "--scheduler", "http://127.0.0.1:8786"],
     "argument --scheduler: expected local or tcp://HOST:PORT"),
    (["run", RUIN, "--scheduler", "tcp://127.0.0.1:8786", "--jobs", "2"],
     "--jobs 2 sizes a run on this machine; the cluster at tcp://127.0.0.1:8786 has its own"),
    (["compare", str(ROOT / "tests"), str(ROOT / "tests"), "--scheduler", "local"],
     "every input is a finished results folder: drop --scheduler"),
    (["explain", str(ROOT / "tests"), "--scheduler", "local"],
     "--jobs and --scheduler apply to a scenario"),
])
def test_options_the_scheduler_cannot_work_with_are_refused(args, message, capsys):
    try:
        code = main(args)
    except SystemExit as exc:  # refused by the parser
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and "Traceback" not in err


def test_without_dask_the_option_says_what_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    code, _, err = _cli(capsys, "run", RUIN, "--runs", "100", "--scheduler", "local")
    assert code == 2
    assert "--scheduler needs Dask (dask[distributed]), which is not installed: " \
           "pip install -e '.[dask]'" in err


def test_a_bare_host_and_port_is_a_tcp_address():
    from sim.cli import build_parser

    args = build_parser().parse_args(["run", RUIN, "--scheduler", "10.0.0.5:8786"])
    assert args.scheduler == "tcp://10.0.0.5:8786"


def test_workers_need_no_scenario_files(cluster, tmp_path):
    """The scenario is loaded here and sent pickled: its files may be gone when it runs."""
    import shutil

    import sim

    (tmp_path / "ladders").mkdir()
    shutil.copy(ROOT / "ladders" / "examples-walk.yaml", tmp_path / "ladders")
    shutil.copy(RUIN, tmp_path / "ruin.yaml")
    scenario = sim.load_scenario(tmp_path / "ruin.yaml")
    shutil.rmtree(tmp_path / "ladders")
    (tmp_path / "ruin.yaml").unlink()
    there = sim.run(scenario, runs=10_500, seed=2, scheduler=cluster)
    here = sim.run(scenario, runs=10_500, seed=2)
    assert here.runs.equals(there.runs) and here.moves.equals(there.moves)
