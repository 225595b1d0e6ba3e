"""The executor layer: the one place that runs jobs in parallel.

Jobs (replications, scenario runs) go to a local process pool by default, or,
with ``scheduler`` (the ``--scheduler ADDRESS`` option), to a Dask distributed
cluster, for sweeps that outgrow one machine. Either way results come back in
job order and are handed to ``on_result`` as they arrive, so callers reduce
them without holding every run's full output. Progress (``sim.progress``: a
bar on a terminal, plain log lines elsewhere) follows the jobs when
``progress`` names them.

Mesa sets the interpreter-wide start method to "spawn" when imported; spawned
workers re-import the whole stack before running anything. Pools use an
explicit "forkserver" context instead (see ``_context``), and the platform
default where there is none.

Workers ignore SIGINT and SIGHUP (Ctrl-C and a hang-up reach the whole
process group; the parent decides) and take SIGTERM's default action; the
forkserver is started with SIGINT and SIGHUP blocked, so that a Ctrl-C during
its imports prints nothing. If the parent is interrupted or a job fails, the
workers are terminated at once rather than left to finish; if the parent dies
without a word (SIGKILL, a crash), each worker notices within half a second
(a watchdog thread on the parent's process id, and ``PR_SET_PDEATHSIG`` on
Linux for the death of the forkserver) and kills itself, after which the
forkserver and the resource tracker exit too.

A worker that dies (killed, out of memory) breaks the pool: with ``on_lost``
the pool is rebuilt and the jobs that were not finished are run once more;
those lost again are handed to ``on_lost``. Without it, ``WorkerLost`` names
the jobs. Every call to a Dask scheduler has a deadline (``DASK_DEADLINE``).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Iterable

from sim.interrupts import deferred
from sim.progress import progress as show_progress

DASK_DEADLINE = 20.0  # seconds any call to the scheduler (connect, cancel, close) may take
WATCHDOG_SECONDS = 0.5


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
        _start_forkserver()
        return context
    return multiprocessing.get_context()


def _start_forkserver() -> None:
    """Start the forkserver (if not running) with SIGINT and SIGHUP blocked: it and its workers never see them."""
    from multiprocessing import forkserver, resource_tracker

    resource_tracker.ensure_running()  # it blocks and ignores the signals itself
    held = {signal.SIGINT, getattr(signal, "SIGHUP", signal.SIGINT)}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        forkserver.ensure_running()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _start_time(pid: int) -> int | None:
    """The process's start time (clock ticks since boot) on Linux, to tell it from a later one with its pid."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            data = stat.read()
        return int(data[data.rindex(b")") + 2:].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def _alive(pid: int, started: int | None) -> bool:
    """Whether the process ``pid`` (started at ``started``) still runs: not gone, not a zombie, not another."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return fields[0] not in (b"Z", b"X") and (started is None or int(fields[19]) == started)
    except FileNotFoundError:
        return False
    except (OSError, ValueError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def _parent_identity() -> tuple[int, int | None]:
    return os.getpid(), _start_time(os.getpid())


def _watch_parent(pid: int, started: int | None) -> None:
    while True:
        time.sleep(WATCHDOG_SECONDS)
        if not _alive(pid, started):
            os.kill(os.getpid(), signal.SIGKILL)


def _worker_init(parent: int | None = None, started: int | None = None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform == "linux":
        try:  # PR_SET_PDEATHSIG (1): killed when the process that forked this one (the forkserver) dies
            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
            pass
    if parent is not None:
        threading.Thread(target=_watch_parent, args=(parent, started), name="parent-watchdog", daemon=True).start()


def _stop(pool: ProcessPoolExecutor) -> None:
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)


class WorkerLost(RuntimeError):
    """A worker process died (killed, out of memory) while jobs ``indices`` were unfinished."""

    def __init__(self, indices: list[int]):
        super().__init__(f"a worker process died (killed, or out of memory?) with {len(indices)} job(s) unfinished")
        self.indices = list(indices)


class SchedulerError(RuntimeError):
    """The Dask scheduler could not be reached or Dask is not installed."""


def map_jobs(fn: Callable, jobs: Iterable, workers: int | None = None,
             on_result: Callable[[int, object], None] | None = None, scheduler: str | None = None,
             progress: str | None = None, on_lost: Callable[[int, BaseException], object] | None = None) -> list:
    """``[fn(job) for job in jobs]``, in order.

    Serially for one worker or one job; on a local process pool; or on the Dask
    cluster at ``scheduler``. ``on_result(index, result)`` is called as each
    job finishes (in completion order). The first exception of a job is raised
    after the other jobs are stopped. A job lost with its worker (the process
    died) is retried once on a new pool; ``on_lost(index, error)``, if given,
    gives the result of a job lost twice (or killed on Dask), otherwise
    ``WorkerLost`` is raised.
    """
    jobs = list(jobs)
    results: list = [None] * len(jobs)
    bar = show_progress(len(jobs), progress)

    def done(i: int, result) -> None:
        results[i] = result
        if on_result:
            on_result(i, result)
        if bar is not None:
            bar.update(1)

    try:
        if scheduler:
            _map_dask(fn, jobs, scheduler, done, on_lost)
            return results
        workers = workers or default_workers(len(jobs))
        if workers == 1 or len(jobs) <= 1:
            for i, job in enumerate(jobs):
                done(i, fn(job))
            return results
        _map_pool(fn, jobs, workers, done, on_lost)
        return results
    finally:
        if bar is not None:
            bar.close()


def _map_pool(fn: Callable, jobs: list, workers: int, done: Callable[[int, object], None],
              on_lost: Callable[[int, BaseException], object] | None = None) -> None:
    todo = list(range(len(jobs)))
    for attempt in (1, 2):
        lost = _run_pool(fn, jobs, todo, workers, done)
        if not lost:
            return
        if on_lost is None:
            raise WorkerLost(lost)
        if attempt == 2:
            for i in lost:
                done(i, on_lost(i, WorkerLost([i])))
            return
        todo = lost


def _run_pool(fn: Callable, jobs: list, indices: list[int], workers: int,
              done: Callable[[int, object], None]) -> list[int]:
    """Run ``jobs[i]`` for ``i`` in ``indices`` on a new pool; the indices lost if a worker died."""
    handed: set[int] = set()
    with deferred():  # every worker started and known (so that it can be stopped) before an interruption
        pool = ProcessPoolExecutor(max_workers=min(workers, len(indices)), mp_context=_context(),
                                   initializer=_worker_init, initargs=_parent_identity())
        try:
            futures = {pool.submit(fn, jobs[i]): i for i in indices}
        except BaseException:
            _stop(pool)
            raise
    try:
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)  # each result as it comes (progress)
            broken = [f for f in finished if isinstance(f.exception(), BrokenProcessPool)]
            for future in finished:
                if future not in broken:
                    done(futures[future], future.result())  # raises the job's exception
                    handed.add(futures[future])
            if broken:
                wait(pending, timeout=10)  # a broken pool fails every pending job at once
                for future in pending:
                    if future.done() and future.exception() is None:
                        done(futures[future], future.result())
                        handed.add(futures[future])
                _stop(pool)
                return sorted(i for i in indices if i not in handed)
    except BaseException:
        _stop(pool)
        raise
    pool.shutdown(wait=True)
    return []


def _with_deadline(call: Callable[[], object], seconds: float, what: str):
    """``call()`` in a helper thread; SchedulerError if it has not returned after ``seconds``."""
    box: dict = {}

    def target():
        try:
            box["value"] = call()
        except BaseException as err:  # noqa: BLE001 - handed to the caller
            box["error"] = err

    thread = threading.Thread(target=target, name="dask-call", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise SchedulerError(f"{what}: no answer within {seconds:.0f} s")
    if "error" in box:
        raise box["error"]
    return box.get("value")


def _map_dask(fn: Callable, jobs: list, scheduler: str, done: Callable[[int, object], None],
              on_lost: Callable[[int, BaseException], object] | None = None) -> None:
    try:
        import dask
        from distributed import Client, as_completed
    except ImportError:
        raise SchedulerError("--scheduler needs Dask: pip install 'urbanization-sim[dask]'") from None
    limit = f"{DASK_DEADLINE / 2:.0f}s"
    settings = {"distributed.comm.timeouts.connect": limit}  # (its tcp timeout must stay above 10 s)
    where = f"the Dask scheduler at {scheduler}"
    with dask.config.set(settings):
        try:
            client = _with_deadline(lambda: Client(scheduler, timeout=limit), DASK_DEADLINE,
                                    f"cannot reach {where}")
        except SchedulerError:
            raise
        except Exception as err:  # noqa: BLE001 - refused, unresolvable, a handshake that fails
            raise SchedulerError(f"cannot reach {where}: {type(err).__name__}: {err}") from None
    try:
        from distributed import KilledWorker
    except ImportError:  # pragma: no cover
        KilledWorker = ()  # noqa: N806
    try:
        futures = client.map(fn, jobs, pure=False)
        index = {future.key: i for i, future in enumerate(futures)}
        try:
            for future in as_completed(futures):
                try:
                    result = future.result()  # raises the job's exception
                except KilledWorker as err:
                    if on_lost is None:
                        raise
                    result = on_lost(index[future.key], err)
                done(index[future.key], result)
        except BaseException:
            try:
                _with_deadline(lambda: client.cancel(futures), DASK_DEADLINE, f"cancelling the jobs on {where}")
            except Exception:  # noqa: BLE001 - the first failure is the one to report
                pass
            raise
    finally:
        try:
            _with_deadline(lambda: client.close(timeout=DASK_DEADLINE / 2), DASK_DEADLINE, f"closing {where}")
        except Exception:  # noqa: BLE001 - the results are in; a slow goodbye is not a failure
            pass
