"""The executor layer: the one place that runs jobs in parallel.

Jobs (replications, scenario runs) go to a local process pool by default, or,
with ``scheduler`` (the ``--scheduler ADDRESS`` option), to a Dask distributed
cluster, for sweeps that outgrow one machine. Either way results come back in
job order and are handed to ``on_result`` as they arrive, so callers reduce
them without holding every run's full output. A progress bar (tqdm, on
standard error, only on a terminal) follows the jobs when ``progress`` names them.

Mesa sets the interpreter-wide start method to "spawn" when imported; spawned
workers re-import the whole stack before running anything. Pools use an
explicit "forkserver" context instead (see ``_context``), and the platform
default where there is none.

Workers ignore SIGINT (Ctrl-C reaches the whole process group; the parent
decides) and take SIGTERM's default action. If the parent is interrupted or a
job fails, the workers are terminated at once rather than left to finish.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from typing import Callable, Iterable


def default_workers(jobs: int) -> int:
    return max(1, min(jobs, os.cpu_count() or 1))


PRELOAD = ["sim.runs", "sim.ensemble", "sim.compare", "sim.calibration", "sim.sensitivity", "sim.bench"]


def _context():
    """Forkserver where available: workers fork from a clean server that has the model preloaded.

    Plain fork would copy the parent's threads' state (numerical libraries
    and Dask start threads; Python 3.12+ warns that fork may then deadlock);
    spawn would re-import everything in every worker.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return context
    return multiprocessing.get_context()


def _worker_init() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _stop(pool: ProcessPoolExecutor) -> None:
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)


class SchedulerError(RuntimeError):
    """The Dask scheduler could not be reached or Dask is not installed."""


def _progress(total: int, label: str | None):
    if not label or total <= 1:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        return None
    return tqdm(total=total, desc=label, unit="run", disable=None, leave=False, file=sys.stderr)


def map_jobs(fn: Callable, jobs: Iterable, workers: int | None = None,
             on_result: Callable[[int, object], None] | None = None, scheduler: str | None = None,
             progress: str | None = None) -> list:
    """``[fn(job) for job in jobs]``, in order.

    Serially for one worker or one job; on a local process pool; or on the Dask
    cluster at ``scheduler``. ``on_result(index, result)`` is called as each
    job finishes (in completion order). The first exception of a job is raised
    after the other jobs are stopped.
    """
    jobs = list(jobs)
    results: list = [None] * len(jobs)
    bar = _progress(len(jobs), progress)

    def done(i: int, result) -> None:
        results[i] = result
        if on_result:
            on_result(i, result)
        if bar is not None:
            bar.update(1)

    try:
        if scheduler:
            _map_dask(fn, jobs, scheduler, done)
            return results
        workers = workers or default_workers(len(jobs))
        if workers == 1 or len(jobs) <= 1:
            for i, job in enumerate(jobs):
                done(i, fn(job))
            return results
        _map_pool(fn, jobs, workers, done)
        return results
    finally:
        if bar is not None:
            bar.close()


def _map_pool(fn: Callable, jobs: list, workers: int, done: Callable[[int, object], None]) -> None:
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_context(), initializer=_worker_init)
    try:
        futures = {pool.submit(fn, job): i for i, job in enumerate(jobs)}
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for future in finished:
                done(futures[future], future.result())  # raises the job's exception
    except BaseException:
        _stop(pool)
        raise
    pool.shutdown(wait=True)


def _map_dask(fn: Callable, jobs: list, scheduler: str, done: Callable[[int, object], None]) -> None:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise SchedulerError("--scheduler needs Dask: pip install 'urbanization-sim[dask]'") from None
    try:
        client = Client(scheduler, timeout="10s")
    except (OSError, TimeoutError) as err:
        raise SchedulerError(f"cannot reach the Dask scheduler at {scheduler}: {err}") from None
    with client:
        futures = client.map(fn, jobs, pure=False)
        index = {future.key: i for i, future in enumerate(futures)}
        try:
            for future in as_completed(futures):
                done(index[future.key], future.result())  # raises the job's exception
        except BaseException:
            client.cancel(futures)
            raise
