"""Where the points of a sweep run: in this process, in local worker processes, or as tasks
on a Dask distributed cluster; and the chunks of an ensemble on Dask (`chunks_on_dask`, for
`sim.engine.runner.run_many`; docs/scale.md).

A task is one design point: a loaded Scenario (it pickles, so workers need no files), a number
of runs and a seed. Its result depends on nothing else, so a sweep gives the same numbers
however and wherever its points run. At most a few tasks per worker are in flight at once, so
a sweep of many points neither loads every scenario up front nor floods the scheduler.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import queue
import sys
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from .. import __version__
from ..errors import InputError
from ..format.scenario import Scenario
from .outcomes import ChunkResult
from .runner import ignore_sigint, run, run_chunk, worker_context

CONNECT_TIMEOUT = "5s"  # how long to wait for a running Dask scheduler to answer
WORKER_TIMEOUT = "10s"  # how long to wait for a running scheduler's first worker


@dataclass(frozen=True)
class PointTask:
    """One design point to simulate."""

    index: int
    scenario: Scenario
    runs: int
    seed: int


@dataclass(frozen=True)
class PointCounts:
    """What a point's runs produced: the counts every outcome is computed from.

    Attributes:
        index: the point's number in the design.
        n: runs.
        peak: (stages,) runs whose highest stage is each stage.
        final: (stages,) runs that ended in each stage.
        absorbed: runs that ended in an absorbing stage.
        ladders: each coupled ladder's (peak, final) counts by key, as `peak` and `final`
            (empty for one ladder).
    """

    index: int
    n: int
    peak: np.ndarray
    final: np.ndarray
    absorbed: int
    ladders: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)


def evaluate(task: PointTask) -> PointCounts:
    """Simulate one point (a full Monte Carlo run of its scenario, in this process). Its
    memory was checked before the sweep started (`sim.explore.sweep.sweep`)."""
    totals = run(task.scenario, runs=task.runs, seed=task.seed, jobs=1, keep_runs=False,
                 max_memory=math.inf).totals
    assert totals.peak is not None and totals.final is not None  # set by the first chunk
    return PointCounts(task.index, totals.n, totals.peak.copy(), totals.final.copy(),
                       int(totals.absorbed),
                       {k: (r.peak.copy(), r.final.copy()) for k, r in totals.coupled.items()})


def run_points(tasks: Iterable[PointTask], total: int, jobs: int = 1,
               scheduler: str | None = None, progress: bool = False) -> list[PointCounts]:
    """Simulate every task; results in task order.

    Args:
        tasks: the points, produced lazily (each is loaded only when it is sent).
        total: how many there are (for the progress bar).
        jobs: local worker processes; with `scheduler="local"`, the LocalCluster's workers.
        scheduler: None for local processes, "local" for a Dask LocalCluster started here,
            or a Dask scheduler address (tcp://HOST:PORT).
        progress: show a progress bar on stderr.
    """
    bar = _bar(total) if progress else None
    done: dict[int, PointCounts] = {}

    def finished(result: PointCounts) -> None:
        done[result.index] = result
        if bar is not None:
            bar.update(1)

    try:
        if scheduler is None and jobs == 1:
            for task in tasks:
                finished(evaluate(task))
        elif scheduler is None:
            _pool(tasks, jobs, finished)
        else:
            _dask(tasks, jobs, scheduler, finished)
    finally:
        if bar is not None:
            bar.close()
    return [done[i] for i in sorted(done)]


def _bar(total: int):
    from tqdm import tqdm

    tqdm.monitor_interval = 0  # no monitor thread: worker processes are forked
    return tqdm(total=total, unit="point", file=sys.stderr, leave=False, desc="sweep",
                dynamic_ncols=True)


def _pool(tasks: Iterable[PointTask], jobs: int, finished: Callable) -> None:
    """Local worker processes, at most 2 x jobs tasks in flight; Ctrl-C or an error stops the
    workers at once."""
    pool = worker_context().Pool(jobs, initializer=ignore_sigint)
    results: queue.Queue = queue.Queue()
    in_flight, ok = 0, False
    try:
        it = iter(tasks)
        exhausted = False
        while True:
            while not exhausted and in_flight < 2 * jobs:
                task = next(it, None)
                if task is None:
                    exhausted = True
                    break
                pool.apply_async(evaluate, (task,), callback=results.put,
                                 error_callback=results.put)
                in_flight += 1
            if in_flight == 0:
                break
            item = _get(results)
            in_flight -= 1
            if isinstance(item, BaseException):
                raise item
            finished(item)
        ok = True
    finally:
        if ok:
            pool.close()
        else:
            pool.terminate()
        pool.join()


def _get(results: queue.Queue):
    while True:  # a timeout keeps Ctrl-C responsive while waiting
        try:
            return results.get(timeout=0.2)
        except queue.Empty:
            continue


def check_scheduler(address: str) -> None:
    """Ask `address` who it is, within CONNECT_TIMEOUT, before a Client connects to it.

    `Client(address, timeout=...)` bounds the connection but not the handshake that follows,
    so a service that accepts and then stays silent (a web server, say) would hang it.

    Raises:
        InputError: "no Dask scheduler answered at ADDRESS: why" (refused, closed, silent,
            an answer that is not Dask's, or a Dask worker rather than the scheduler).
    """
    from dask.utils import parse_timedelta
    from distributed.comm import CommClosedError, connect

    seconds = parse_timedelta(CONNECT_TIMEOUT)
    try:
        asyncio.get_running_loop()
        return  # called from async code (a notebook, say): leave it to the Client
    except RuntimeError:
        pass

    async def identity() -> object:
        # connecting gets half the time, so that running out of time means a silent peer
        comm = await connect(address, timeout=seconds / 2)
        try:
            await comm.write({"op": "identity"})
            return await comm.read()
        finally:
            comm.abort()

    try:
        reply = asyncio.run(asyncio.wait_for(identity(), seconds))
    except TimeoutError:
        why = (f"it accepted the connection but did not answer within {seconds:g} s (is this "
               "a Dask scheduler's address?)")
    except CommClosedError:
        why = "it closed the connection without answering"
    except Exception as exc:  # whatever a non-Dask service's bytes make of the handshake
        why = str(exc).strip() or type(exc).__name__
    else:
        kind = reply.get("type") if isinstance(reply, dict) else None
        if kind == "Scheduler":
            return
        why = (f"it is a Dask {kind}, not the scheduler" if isinstance(kind, str)
               else "the answer was not a Dask scheduler's")
    raise InputError(f"no Dask scheduler answered at {address}: {why}")


@contextlib.contextmanager
def _client(scheduler: str, jobs: int) -> Iterator:
    """A Dask Client: on a LocalCluster of `jobs` worker processes started here ("local"), or
    connected to a running scheduler (`tcp://HOST:PORT`); closed (and the cluster stopped)
    on leaving."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError("--scheduler needs Dask: pip install -e '.[dask]'") from None
    cluster = None
    try:
        if scheduler == "local":
            cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            client = Client(cluster)
        else:
            check_scheduler(scheduler)
            try:
                client = Client(scheduler, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError, ValueError) as exc:
                raise InputError(f"no Dask scheduler answered at {scheduler}: {exc}") from None
        try:
            if cluster is None:
                check_workers(client, scheduler)
            yield client
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()


def ladder_version() -> str:
    """This `sim`'s version (run on each worker by `check_workers`)."""
    return __version__


def check_workers(client, scheduler: str) -> None:
    """A running cluster has a worker within WORKER_TIMEOUT, and each of its workers imports
    this version of `sim` (a task's result depends on the code that ran it).

    Raises:
        InputError: no worker, a worker that cannot import `sim`, or another version.
    """
    from dask.utils import parse_timedelta

    seconds = parse_timedelta(WORKER_TIMEOUT)
    try:
        client.wait_for_workers(1, timeout=seconds)
    except TimeoutError:
        raise InputError(f"the Dask scheduler at {scheduler} has no workers (none joined within "
                         f"{seconds:g} s): start `dask worker {scheduler}` on the machines "
                         "that should run the chunks (docs/scale.md)") from None
    try:
        versions = client.run(ladder_version)
    except Exception as exc:  # a worker without `sim` fails to unpickle the function
        raise InputError(f"a Dask worker of {scheduler} cannot run ladder's tasks "
                         f"({type(exc).__name__}: {exc}): install the same ladder on every "
                         "worker (docs/scale.md)") from None
    other = {w: v for w, v in versions.items() if v != __version__}
    if other:
        listed = ", ".join(f"{w} has {v}" for w, v in sorted(other.items()))
        raise InputError(f"Dask workers of {scheduler} run another ladder version than this "
                         f"one ({__version__}): {listed}; install the same version everywhere")


def _dask(tasks: Iterable[PointTask], jobs: int, scheduler: str, finished: Callable) -> None:
    """Tasks on a Dask cluster: a LocalCluster started here, or a running scheduler."""
    from distributed import as_completed

    with _client(scheduler, jobs) as client:
        window = max(4, 2 * sum(client.nthreads().values()))
        it: Iterator[PointTask] = iter(tasks)
        first = [client.submit(evaluate, t, pure=False) for _, t in zip(range(window), it,
                                                                          strict=False)]
        pending = as_completed(first)
        for future in pending:
            finished(future.result())
            task = next(it, None)
            if task is not None:
                pending.add(client.submit(evaluate, task, pure=False))


def chunks_on_dask(tasks: Iterable[tuple], jobs: int, scheduler: str
                   ) -> Generator[ChunkResult, None, None]:
    """`run_chunk(*task)` for each task on a Dask cluster, yielded in task order (the same
    chunks, seeds and results as in this process); at most a window of tasks in flight."""
    with _client(scheduler, jobs) as client:
        window = max(4, 2 * sum(client.nthreads().values()))
        it = iter(tasks)
        pending: deque = deque(client.submit(run_chunk, *t, pure=False)
                               for _, t in zip(range(window), it, strict=False))
        while pending:
            result = pending.popleft().result()
            task = next(it, None)
            if task is not None:
                pending.append(client.submit(run_chunk, *task, pure=False))
            yield result
