"""The one place that starts worker processes.

Mesa sets the interpreter-wide start method to "spawn" when imported; spawned
workers re-import the whole stack before running anything. On Linux, forking
is far cheaper and safe here (no threads are running when a pool starts), so
pools use an explicit "fork" context there and the platform default elsewhere.

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


def _context():
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
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


def map_jobs(fn: Callable, jobs: Iterable, workers: int | None = None,
             on_result: Callable[[int, object], None] | None = None) -> list:
    """``[fn(job) for job in jobs]``, in order; a process pool when there is more than one.

    ``on_result(index, result)`` is called as each job finishes (in completion
    order), so callers can reduce results as they arrive. The first exception
    of a job is raised after the other workers are stopped.
    """
    jobs = list(jobs)
    workers = workers or default_workers(len(jobs))
    results: list = [None] * len(jobs)
    if workers == 1 or len(jobs) <= 1:
        for i, job in enumerate(jobs):
            results[i] = fn(job)
            if on_result:
                on_result(i, results[i])
        return results
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_context(), initializer=_worker_init)
    try:
        futures = {pool.submit(fn, job): i for i, job in enumerate(jobs)}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for future in done:
                results[futures[future]] = future.result()  # raises the job's exception
                if on_result:
                    on_result(futures[future], results[futures[future]])
    except BaseException:
        _stop(pool)
        raise
    pool.shutdown(wait=True)
    return results
