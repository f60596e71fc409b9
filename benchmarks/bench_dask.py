"""What a chunk costs on Dask: per-chunk overhead of `--scheduler` against this process.

    python benchmarks/bench_dask.py                 # 60 chunks of 10 runs, 3 repeats
    python benchmarks/bench_dask.py --chunks 100 --repeats 5
    python benchmarks/bench_dask.py --quick         # smoke test: 10 chunks, 1 repeat

The chunks are `sim.engine.runner.run_chunk` tasks of the gambler's ruin example, made tiny
(--runs per chunk, default 10, where a real chunk has 10,000) so that their time is nearly
all overhead: sending the task (the pickled Scenario), scheduling it, running it, sending the
result back. The same tasks are timed

- in this process, one after another (what `ladder run` does with --jobs 1);
- through `sim.engine.workers.chunks_on_dask` on a Dask LocalCluster of 2 workers started
  beforehand (and warmed up: each worker has run one chunk), by its address;
- the same on a real `dask scheduler` with two `dask worker` processes (one thread each) on
  127.0.0.1, started beforehand as `tests/test_cluster.py` starts them.

Each Dask call connects a Client, checks the scheduler and its workers and closes, as a
command does. Per-chunk overhead = (Dask time - in-process time) / chunks, the median over
--repeats; the connect line is one call with a single chunk, less that chunk in process.
One real chunk (10,000 runs, in process) is timed too, to put the overhead beside it. The
chunks' results must match; the benchmark says whether they do. It asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from _child import ROOT, cpu_model

sys.path.insert(0, str(ROOT))

SCENARIO = ROOT / "scenarios" / "examples" / "gamblers-ruin.yaml"


def tasks(chunks: int, runs: int) -> list[tuple]:
    """Chunk k of `runs` runs from the root seed 1, as `run_many` makes them."""
    import numpy as np

    import sim

    scenario = sim.load_scenario(SCENARIO)
    root = np.random.SeedSequence(1)
    return [(scenario, k, runs, root.spawn(1)[0], False) for k in range(chunks)]


def in_process(work: list[tuple]) -> list:
    from sim.engine.runner import run_chunk

    return [run_chunk(*t) for t in work]


def on_dask(address: str) -> Callable[[list[tuple]], list]:
    from sim.engine.workers import chunks_on_dask

    return lambda work: list(chunks_on_dask(iter(work), 1, address))


def timed(fn: Callable[[list[tuple]], list], work: list[tuple], repeats: int
          ) -> tuple[float, list]:
    """The median seconds of `repeats` calls, and the last call's results."""
    times, out = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        out = fn(work)
        times.append(time.perf_counter() - started)
    return statistics.median(times), out


@contextlib.contextmanager
def local_cluster() -> Iterator[str]:
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        yield cluster.scheduler_address


@contextlib.contextmanager
def real_cluster() -> Iterator[str]:
    """`dask scheduler` and two `dask worker`s on 127.0.0.1, stopped on leaving."""
    from distributed import Client

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / "scheduler.json"

        def start(*argv: str) -> subprocess.Popen:
            return subprocess.Popen([sys.executable, "-m", *argv], cwd=folder, env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    start_new_session=True)
        procs = [start("distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port",
                       "0", "--scheduler-file", str(file), "--no-dashboard")]
        try:
            while not file.exists() or not file.read_text().strip():
                time.sleep(0.1)
            address = json.loads(file.read_text())["address"]
            procs += [start("distributed.cli.dask_worker", address, "--nthreads", "1",
                            "--no-nanny", "--no-dashboard", "--local-directory",
                            f"{folder}/w{i}") for i in range(2)]
            with Client(address) as client:
                client.wait_for_workers(2, timeout=60)
            yield address
        finally:
            stop(procs[1:])  # the workers first: without their scheduler they linger
            stop(procs[:1])


def stop(procs: list[subprocess.Popen]) -> None:
    """SIGTERM to each process group, SIGKILL to what is left after 10 s."""
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        for p in procs:
            if p.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, sig)
        deadline = time.monotonic() + wait
        for p in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(max(0.0, deadline - time.monotonic()))


def warm_up(address: str, work: list[tuple]) -> None:
    """Each worker imports sim and runs a chunk, as the workers of a running cluster have."""
    from distributed import Client

    with Client(address) as client:
        futures = [client.submit(in_process, work[:1], pure=False, workers=[w])
                   for w in client.nthreads()]
        client.gather(futures)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chunks", type=int, default=60, help="chunks (default: %(default)s)")
    ap.add_argument("--runs", type=int, default=10,
                    help="runs per chunk (default: %(default)s; a real chunk has 10,000)")
    ap.add_argument("--repeats", type=int, default=3, help="repeats (default: %(default)s)")
    ap.add_argument("--quick", action="store_true", help="smoke mode: 10 chunks, 1 repeat")
    args = ap.parse_args(argv)
    chunks, repeats = (10, 1) if args.quick else (args.chunks, args.repeats)
    import distributed
    import numpy as np

    print(f"{chunks} chunks of {args.runs} runs of {SCENARIO.relative_to(ROOT)}; median of "
          f"{repeats}; {time.strftime('%Y-%m-%d')}")
    print(f"cpu: {cpu_model()}; os.cpu_count() = {os.cpu_count()}; python "
          f"{platform.python_version()}; numpy {np.__version__}; distributed "
          f"{distributed.__version__}; load average {os.getloadavg()[0]:.1f}\n")
    work = tasks(chunks, args.runs)
    in_process(work[:1])  # imports and first-call costs, which a running worker has paid
    full, _ = timed(in_process, tasks(1, 10_000), repeats)
    base, expected = timed(in_process, work, repeats)
    one, _ = timed(in_process, work[:1], repeats)
    print(f"{'setting':<44} {'seconds':>8} {'per chunk, ms':>14} {'overhead, ms':>13}")
    print(f"{'one real chunk (10,000 runs), in process':<44} {full:>8.3f} {1000 * full:>14.1f}")
    print(f"{'in process':<44} {base:>8.3f} {1000 * base / chunks:>14.1f}")
    same = True
    for label, cluster in (("Dask LocalCluster, 2 workers, running", local_cluster),
                           ("dask scheduler + 2 dask workers, tcp", real_cluster)):
        with cluster() as address:
            warm_up(address, work)
            seconds, out = timed(on_dask(address), work, repeats)
            connect, _ = timed(on_dask(address), work[:1], repeats)
        same &= all(a.peak.tolist() == b.peak.tolist() for a, b in zip(out, expected,
                                                                          strict=True))
        print(f"{label:<44} {seconds:>8.3f} {1000 * seconds / chunks:>14.1f} "
              f"{1000 * (seconds - base) / chunks:>13.1f}")
        print(f"{'  connect and check (one chunk, less in process)':<44} "
              f"{connect - one:>8.3f}")
    print(f"\nsame chunk results in every setting: {'yes' if same else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
